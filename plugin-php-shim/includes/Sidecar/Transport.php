<?php
/**
 * HTTP to the sidecar.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Talks to the sidecar with PHP's curl extension directly rather than wp_remote_request(), because this channel
 * needs what the WP HTTP API does not give: a separate 2 s connect timeout (so a dead sidecar answers 503 fast),
 * the exact raw reply bytes (hashed into `bh`), no proxy for loopback, no redirects, and no interception:
 * `pre_http_request` / `http_request_args` filters and WP_HTTP_BLOCK_EXTERNAL must not be able to alter, mock or
 * block signed traffic. One handle is reused for the whole execute/continue loop (keep-alive).
 */
final class Transport {

	public const DEFAULT_URL = 'http://127.0.0.1:8787';

	private const MAX_REPLY_BYTES = 16777216;

	/**
	 * Base URL without trailing slash.
	 *
	 * @var string
	 */
	private string $base_url;

	/**
	 * Whether the sidecar is on this machine.
	 *
	 * @var bool
	 */
	private bool $loopback;

	/**
	 * Reused curl handle.
	 *
	 * @var \CurlHandle|resource|null
	 */
	private $handle = null;

	/**
	 * Constructor.
	 *
	 * @param string $base_url Sidecar base URL (validated with base_url()).
	 * @param bool   $loopback Whether the host is a loopback address.
	 */
	private function __construct( string $base_url, bool $loopback ) {
		$this->base_url = $base_url;
		$this->loopback = $loopback;
	}

	/**
	 * The configured transport: constant IGNY8_SIDECAR_URL, else the environment variable of that name, else the
	 * hosted sidecar this site enrolled on (Hosted), else the loopback default. Plain http is refused for anything but loopback, and for the one development host that
	 * wp-config names in IGNY8_SIDECAR_HTTP_HOST on a `local` site (for_url()).
	 *
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE when the URL is unusable.
	 */
	public static function configured(): self {
		$url = self::DEFAULT_URL;
		if ( defined( 'IGNY8_SIDECAR_URL' ) && is_string( IGNY8_SIDECAR_URL ) && '' !== IGNY8_SIDECAR_URL ) {
			$url = IGNY8_SIDECAR_URL;
		} elseif ( is_string( getenv( 'IGNY8_SIDECAR_URL' ) ) && '' !== getenv( 'IGNY8_SIDECAR_URL' ) ) {
			$url = (string) getenv( 'IGNY8_SIDECAR_URL' );
		} elseif ( null !== Hosted::url() ) {
			$url = (string) Hosted::url();
		}
		$http_host = defined( 'IGNY8_SIDECAR_HTTP_HOST' ) && is_string( IGNY8_SIDECAR_HTTP_HOST ) ? IGNY8_SIDECAR_HTTP_HOST : '';
		return self::for_url( $url, wp_get_environment_type(), $http_host );
	}

	/**
	 * The transport for a sidecar URL. Plain http goes only to loopback, or, on a site whose environment type is
	 * `local`, to exactly the host that wp-config names in the constant IGNY8_SIDECAR_HTTP_HOST (wp-env: the sidecar
	 * runs on the Docker host, `host.docker.internal`). Only a constant can name it, never an option or the
	 * environment, so nothing an admin screen or a request writes can open plain http.
	 *
	 * @param string $url              Sidecar base URL.
	 * @param string $environment_type wp_get_environment_type().
	 * @param string $http_host        IGNY8_SIDECAR_HTTP_HOST ('' when not defined).
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE when the URL is unusable.
	 */
	public static function for_url( string $url, string $environment_type, string $http_host ): self {
		$parts  = wp_parse_url( $url );
		$scheme = strtolower( (string) ( $parts['scheme'] ?? '' ) );
		$host   = strtolower( trim( (string) ( $parts['host'] ?? '' ), '[]' ) );
		if ( '' === $host || ! in_array( $scheme, array( 'http', 'https' ), true ) || isset( $parts['user'] ) || isset( $parts['query'] ) ) {
			throw new Bridge_Error( 'SIDECAR_UNAVAILABLE', 'The sidecar URL is not a valid http(s) URL.' );
		}
		$loopback = self::is_loopback_host( $host );
		$named_dev_host = 'local' === $environment_type && '' !== $http_host && strtolower( trim( $http_host, '[] ' ) ) === $host;
		if ( 'http' === $scheme && ! $loopback && ! $named_dev_host ) {
			throw new Bridge_Error( 'SIDECAR_UNAVAILABLE', 'A sidecar that is not on this machine must use https (on a local development site, wp-config may name its host in IGNY8_SIDECAR_HTTP_HOST).' );
		}
		return new self( rtrim( $url, '/' ), $loopback );
	}

	/**
	 * The sidecar base URL (no trailing slash), for callers that send fire-and-forget requests themselves.
	 */
	public function base_url(): string {
		return $this->base_url;
	}

	/**
	 * Whether the sidecar is on this machine (no proxy applies).
	 */
	public function is_loopback(): bool {
		return $this->loopback;
	}

	/**
	 * Whether a host name or address is loopback (localhost, 127.0.0.0/8, ::1).
	 *
	 * @param string $host Host without brackets.
	 */
	public static function is_loopback_host( string $host ): bool {
		if ( 'localhost' === $host || '::1' === $host ) {
			return true;
		}
		return (bool) preg_match( '/^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/', $host ) && false !== filter_var( $host, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4 );
	}

	/**
	 * Sends one request.
	 *
	 * @param string               $method             HTTP method.
	 * @param string               $path_and_query     Path (starting with /) plus optional query string.
	 * @param string               $body               Raw body.
	 * @param array<string,string> $headers            Request headers.
	 * @param int                  $connect_timeout_ms Connect timeout in milliseconds.
	 * @param int                  $timeout_ms         Total timeout in milliseconds.
	 * @return array{status:int,headers:array<string,string>,body:string}
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE (no connection, timeout) or SIDECAR_BAD_RESPONSE (oversized).
	 */
	public function send( string $method, string $path_and_query, string $body, array $headers, int $connect_timeout_ms, int $timeout_ms ): array {
		if ( null === $this->handle ) {
			$this->handle = curl_init();
		} else {
			curl_reset( $this->handle );
		}
		$reply_headers = array();
		$reply_body    = '';
		$too_large     = false;
		$header_lines  = array( 'Expect:' );
		foreach ( $headers as $name => $value ) {
			$header_lines[] = $name . ': ' . $value;
		}

		$options = array(
			CURLOPT_URL               => $this->base_url . $path_and_query,
			CURLOPT_CUSTOMREQUEST     => $method,
			CURLOPT_HTTPHEADER        => $header_lines,
			CURLOPT_CONNECTTIMEOUT_MS => max( 100, $connect_timeout_ms ),
			CURLOPT_TIMEOUT_MS        => max( 100, $timeout_ms ),
			CURLOPT_FOLLOWLOCATION    => false,
			CURLOPT_PROTOCOLS         => CURLPROTO_HTTP | CURLPROTO_HTTPS,
			CURLOPT_SSL_VERIFYPEER    => true,
			CURLOPT_SSL_VERIFYHOST    => 2,
			CURLOPT_NOSIGNAL          => true,
			CURLOPT_USERAGENT         => 'igny8-bridge/' . IGNY8_BRIDGE_VERSION,
			CURLOPT_HEADERFUNCTION    => static function ( $handle, string $line ) use ( &$reply_headers ): int {
				$colon = strpos( $line, ':' );
				if ( false !== $colon ) {
					$reply_headers[ strtolower( trim( substr( $line, 0, $colon ) ) ) ] = trim( substr( $line, $colon + 1 ) );
				} elseif ( 0 === strncasecmp( $line, 'HTTP/', 5 ) ) {
					$reply_headers = array(); // A new status line (e.g. after 100 Continue) starts a new header block.
				}
				return strlen( $line );
			},
			CURLOPT_WRITEFUNCTION     => static function ( $handle, string $chunk ) use ( &$reply_body, &$too_large ): int {
				if ( strlen( $reply_body ) + strlen( $chunk ) > self::MAX_REPLY_BYTES ) {
					$too_large = true;
					return -1;
				}
				$reply_body .= $chunk;
				return strlen( $chunk );
			},
		);
		if ( 'HEAD' === $method ) {
			$options[ CURLOPT_NOBODY ] = true;
		} elseif ( 'GET' !== $method || '' !== $body ) {
			// A GET carries a body only on a route with contract reads (their results, see Operations\Route_Reads).
			$options[ CURLOPT_POSTFIELDS ] = $body;
		}
		if ( $this->loopback ) {
			$options[ CURLOPT_NOPROXY ] = '*';
		}
		$bundle = ABSPATH . WPINC . '/certificates/ca-bundle.crt';
		if ( is_readable( $bundle ) ) {
			$options[ CURLOPT_CAINFO ] = $bundle;
		}
		curl_setopt_array( $this->handle, $options );

		$ok = curl_exec( $this->handle );
		if ( $too_large ) {
			throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The sidecar reply is too large.' );
		}
		if ( false === $ok ) {
			$errno = curl_errno( $this->handle );
			throw new Bridge_Error(
				'SIDECAR_UNAVAILABLE',
				CURLE_OPERATION_TIMEDOUT === $errno ? 'The IGNY8 sidecar did not answer in time.' : 'The IGNY8 sidecar is not reachable.'
			);
		}
		return array(
			'status'  => (int) curl_getinfo( $this->handle, CURLINFO_RESPONSE_CODE ),
			'headers' => $reply_headers,
			'body'    => $reply_body,
		);
	}
}
