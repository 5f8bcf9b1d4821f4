<?php
/**
 * Downloads one image to a temp file, safely.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Media;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * PHP's curl, driven directly so every part of the fetch is under control (SPEC §9):
 * every hop is checked by Url_Guard and pinned to the checked address with CURLOPT_RESOLVE (the connected
 * address is compared afterwards too); http/https only; no proxy; redirects are followed by hand, at most
 * MAX_REDIRECTS, each Location checked again; connect and total timeouts within a per-request time budget;
 * the body is capped at MAX_BYTES while it streams; only JPEG, PNG, GIF and WebP by their leading bytes (no SVG);
 * at most MAX_PIXELS pixels. Network I/O happens here only, never inside the publish transaction.
 */
final class Image_Fetcher {

	public const MAX_BYTES = 10485760;

	public const MAX_PIXELS = 40000000;

	public const MAX_REDIRECTS = 3;

	public const TIMEOUT_SECONDS = 10;

	public const CONNECT_TIMEOUT_SECONDS = 5;

	/**
	 * Leading bytes → [mime, extension, IMAGETYPE_*].
	 */
	private const TYPES = array(
		'jpeg' => array( 'image/jpeg', 'jpg', IMAGETYPE_JPEG ),
		'png'  => array( 'image/png', 'png', IMAGETYPE_PNG ),
		'gif'  => array( 'image/gif', 'gif', IMAGETYPE_GIF ),
		'webp' => array( 'image/webp', 'webp', IMAGETYPE_WEBP ),
	);

	/**
	 * Unix time (float) after which no new fetch starts and running ones are cut short.
	 *
	 * @var float
	 */
	private float $deadline;

	/**
	 * Constructor.
	 *
	 * @param float $budget_seconds Time budget for all fetches made with this instance.
	 */
	public function __construct( float $budget_seconds = 30.0 ) {
		$this->deadline = microtime( true ) + $budget_seconds;
	}

	/**
	 * Fetches an image.
	 *
	 * @param string $url Absolute http(s) URL.
	 * @return array{path:string,name:string,mime:string,width:int,height:int,bytes:int} The temp file (the caller deletes it).
	 * @throws Image_Error REFUSED or FAILED.
	 */
	public function fetch( string $url ): array {
		if ( ! function_exists( 'curl_init' ) ) {
			throw Image_Error::failed( 'PHP curl is not available on this server.' );
		}
		require_once ABSPATH . 'wp-admin/includes/file.php';

		$current = $url;
		for ( $hop = 0; $hop <= self::MAX_REDIRECTS; $hop++ ) {
			$target = Url_Guard::check( $current );
			$path   = wp_tempnam( 'igny8-image' );
			if ( ! is_string( $path ) || '' === $path ) {
				throw Image_Error::failed( 'Could not create a temporary file for the image.' );
			}
			try {
				$response = $this->request( $target, $path );
				if ( $response['status'] >= 300 && $response['status'] < 400 && '' !== $response['location'] ) {
					$current = \WP_Http::make_absolute_url( $response['location'], $target['url'] );
					wp_delete_file( $path );
					continue;
				}
				if ( 200 !== $response['status'] ) {
					throw self::unfetched( Image_Error::FAILED, sprintf( 'HTTP %d from %s', $response['status'], $target['host'] ) );
				}
				$image = $this->inspect( $path, $target['host'] );
				$image['name'] = self::file_name( $target['url'], $image['ext'] );
				unset( $image['ext'] );
				$image['path'] = $path;
				return $image;
			} catch ( \Throwable $error ) {
				wp_delete_file( $path );
				throw $error;
			}
		}
		throw Image_Error::refused( sprintf( 'The image URL redirects more than %d times.', self::MAX_REDIRECTS ) );
	}

	/**
	 * What happened after a connection was made stays out of the warning: whoever holds the API key must not learn
	 * whether a port answered, with what status, or why curl failed (a scan oracle). The detail goes to the PHP
	 * error log when WP_DEBUG is on, for the site owner.
	 *
	 * @param string $code   Image_Error::REFUSED or FAILED.
	 * @param string $detail What happened (host and status only, never a credential).
	 */
	private static function unfetched( string $code, string $detail ): Image_Error {
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site owner's diagnostics.
			error_log( 'IGNY8 Bridge: image not fetched: ' . $detail );
		}
		return new Image_Error( $code, 'The image could not be fetched.' );
	}

	/**
	 * One HTTP GET, no redirects followed, body streamed into $path (capped).
	 *
	 * @param array<string,mixed> $target Checked target from Url_Guard::check().
	 * @param string              $path   Temp file.
	 * @return array{status:int,location:string}
	 * @throws Image_Error REFUSED or FAILED.
	 */
	private function request( array $target, string $path ): array {
		$remaining = $this->deadline - microtime( true );
		if ( $remaining < 1.0 ) {
			throw Image_Error::failed( 'The time budget for fetching images in this request is used up.' );
		}
		$total   = (int) max( 1, min( self::TIMEOUT_SECONDS, floor( $remaining ) ) );
		$connect = (int) max( 1, min( self::CONNECT_TIMEOUT_SECONDS, $total ) );

		$file = fopen( $path, 'wb' ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- streaming download into our own temp file.
		if ( false === $file ) {
			throw Image_Error::failed( 'Could not open the temporary image file.' );
		}
		$state = array(
			'status'   => 0,
			'location' => '',
			'bytes'    => 0,
			'too_big'  => false,
			'not_img'  => false,
			'head'     => '',
		);
		$pin   = $target['address'];
		if ( false !== strpos( $pin, ':' ) ) {
			$pin = '[' . $pin . ']';
		}
		$curl    = curl_init();
		$options = array(
			CURLOPT_URL              => $target['url'],
			CURLOPT_PROTOCOLS        => CURLPROTO_HTTP | CURLPROTO_HTTPS,
			CURLOPT_REDIR_PROTOCOLS  => CURLPROTO_HTTP | CURLPROTO_HTTPS,
			CURLOPT_FOLLOWLOCATION   => false,
			CURLOPT_PROXY            => '',
			CURLOPT_NOPROXY          => '*',
			CURLOPT_CONNECTTIMEOUT   => $connect,
			CURLOPT_TIMEOUT          => $total,
			CURLOPT_NOSIGNAL         => true,
			CURLOPT_MAXFILESIZE      => self::MAX_BYTES,
			CURLOPT_SSL_VERIFYPEER   => true,
			CURLOPT_SSL_VERIFYHOST   => 2,
			CURLOPT_FORBID_REUSE     => true,
			CURLOPT_FRESH_CONNECT    => true,
			CURLOPT_USERAGENT        => 'IGNY8-Bridge/' . ( defined( 'IGNY8_BRIDGE_VERSION' ) ? IGNY8_BRIDGE_VERSION : '0' ) . '; ' . home_url( '/' ),
			CURLOPT_HTTPHEADER       => array( 'Accept: image/jpeg, image/png, image/gif, image/webp' ),
			CURLOPT_HEADERFUNCTION   => static function ( $handle, string $line ) use ( &$state ): int {
				if ( preg_match( '#^HTTP/\S+\s+(\d{3})#', $line, $match ) ) {
					$state['status']   = (int) $match[1];
					$state['location'] = '';
				} elseif ( preg_match( '/^Location:\s*(\S.*?)\s*$/i', $line, $match ) ) {
					$state['location'] = $match[1];
				}
				return strlen( $line );
			},
			CURLOPT_WRITEFUNCTION    => static function ( $handle, string $chunk ) use ( &$state, $file ): int {
				$length = strlen( $chunk );
				if ( 200 !== $state['status'] ) {
					return $length; // A redirect or error body: discarded.
				}
				$state['bytes'] += $length;
				if ( $state['bytes'] > self::MAX_BYTES ) {
					$state['too_big'] = true;
					return 0; // Aborts the transfer.
				}
				if ( strlen( $state['head'] ) < 16 ) {
					$state['head'] .= substr( $chunk, 0, 16 - strlen( $state['head'] ) );
					if ( strlen( $state['head'] ) >= 12 && null === self::sniff( $state['head'] ) ) {
						$state['not_img'] = true;
						return 0;
					}
				}
				return false === fwrite( $file, $chunk ) ? 0 : $length; // phpcs:ignore WordPress.WP.AlternativeFunctions
			},
		);
		if ( ! $target['ip_literal'] ) {
			$options[ CURLOPT_RESOLVE ] = array( $target['host'] . ':' . $target['port'] . ':' . $pin );
		}
		$bundle = ABSPATH . WPINC . '/certificates/ca-bundle.crt';
		if ( is_readable( $bundle ) ) {
			$options[ CURLOPT_CAINFO ] = $bundle;
		}
		curl_setopt_array( $curl, $options );
		$ok        = curl_exec( $curl );
		$errno     = curl_errno( $curl );
		$connected = (string) curl_getinfo( $curl, CURLINFO_PRIMARY_IP );
		curl_close( $curl );
		fclose( $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions

		if ( $state['too_big'] || CURLE_FILESIZE_EXCEEDED === $errno ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'larger than %d MB from %s', (int) ( self::MAX_BYTES / 1048576 ), $target['host'] ) );
		}
		if ( $state['not_img'] ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'not an image from %s', $target['host'] ) );
		}
		if ( '' !== $connected && Address_Policy::canonical( $connected ) !== Address_Policy::canonical( $target['address'] ) ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'connection to %s did not go to the checked address', $target['host'] ) );
		}
		if ( false === $ok || 0 !== $errno ) {
			if ( CURLE_OPERATION_TIMEDOUT === $errno ) {
				throw self::unfetched( Image_Error::FAILED, sprintf( 'timeout from %s', $target['host'] ) );
			}
			throw self::unfetched( Image_Error::FAILED, sprintf( 'curl error %d from %s', $errno, $target['host'] ) );
		}
		return array(
			'status'   => (int) $state['status'],
			'location' => (string) $state['location'],
		);
	}

	/**
	 * Checks the downloaded file: type by leading bytes, readable dimensions of the same type, pixel cap.
	 *
	 * @param string $path Temp file.
	 * @param string $host Host (for messages).
	 * @return array{mime:string,ext:string,width:int,height:int,bytes:int}
	 * @throws Image_Error REFUSED.
	 */
	private function inspect( string $path, string $host ): array {
		clearstatcache( true, $path );
		$bytes = (int) filesize( $path );
		$head  = (string) file_get_contents( $path, false, null, 0, 16 ); // phpcs:ignore WordPress.WP.AlternativeFunctions -- local temp file.
		$kind  = self::sniff( $head );
		if ( 0 === $bytes || null === $kind ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'not an image from %s', $host ) );
		}
		list( $mime, $ext, $image_type ) = self::TYPES[ $kind ];
		$size                            = @getimagesize( $path ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- a broken image is answered below.
		if ( ! is_array( $size ) || (int) $size[2] !== $image_type || (int) $size[0] < 1 || (int) $size[1] < 1 ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'damaged image from %s', $host ) );
		}
		if ( (int) $size[0] * (int) $size[1] > self::MAX_PIXELS ) {
			throw self::unfetched( Image_Error::REFUSED, sprintf( 'more than %d megapixels from %s', (int) ( self::MAX_PIXELS / 1000000 ), $host ) );
		}
		return array(
			'mime'   => $mime,
			'ext'    => $ext,
			'width'  => (int) $size[0],
			'height' => (int) $size[1],
			'bytes'  => $bytes,
		);
	}

	/**
	 * The image kind of some leading bytes (key of TYPES), or null.
	 *
	 * @param string $head At least the first 12 bytes.
	 */
	public static function sniff( string $head ): ?string {
		if ( 0 === strncmp( $head, "\xFF\xD8\xFF", 3 ) ) {
			return 'jpeg';
		}
		if ( 0 === strncmp( $head, "\x89PNG\r\n\x1A\n", 8 ) ) {
			return 'png';
		}
		if ( 0 === strncmp( $head, 'GIF87a', 6 ) || 0 === strncmp( $head, 'GIF89a', 6 ) ) {
			return 'gif';
		}
		if ( strlen( $head ) >= 12 && 0 === strncmp( $head, 'RIFF', 4 ) && 'WEBP' === substr( $head, 8, 4 ) ) {
			return 'webp';
		}
		return null;
	}

	/**
	 * A safe file name for the attachment: the URL's last path segment with the extension of the real type.
	 *
	 * @param string $url URL.
	 * @param string $ext Extension of the detected type.
	 */
	private static function file_name( string $url, string $ext ): string {
		$base = rawurldecode( basename( (string) wp_parse_url( $url, PHP_URL_PATH ) ) );
		$base = (string) preg_replace( '/\.[A-Za-z0-9]{1,5}$/', '', $base );
		$base = sanitize_file_name( $base );
		$base = substr( trim( $base, '.-_' ), 0, 100 );
		return ( '' === $base ? 'image' : $base ) . '.' . $ext;
	}
}
