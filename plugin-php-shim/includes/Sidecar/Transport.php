<?php
/**
 * HTTP to the sidecar.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Talks to the sidecar with PHP's curl extension directly rather than wp_remote_request(), because this channel
 * needs what the WP HTTP API does not give: a separate 2 s connect timeout (so a dead sidecar answers 503 fast),
 * the exact raw reply bytes (hashed into `bh`), no proxy for loopback, no redirects, and no interception:
 * `pre_http_request` / `http_request_args` filters and WP_HTTP_BLOCK_EXTERNAL must not be able to alter, mock or
 * block signed traffic. One handle is reused for the whole execute/continue loop (keep-alive).
 *
 * https always verifies the certificate chain and the host name (CURLOPT_SSL_VERIFYPEER / VERIFYHOST 2; no filter
 * or option can turn that off), against WordPress's CA bundle, or against the PEM file wp-config.php names in
 * IGNY8_SIDECAR_CA_BUNDLE (a private CA). A certificate that does not verify is SIDECAR_TLS_FAILED, never retried.
 *
 * A sidecar off this machine (a hosted one) is a network hop: its connect timeout (DNS, TCP and the TLS handshake)
 * is contract `limits.sidecar_remote_connect_timeout_seconds` instead of the loopback 2 s, and a request that never
 * left this machine (DNS failure, connection refused or reset before any request byte was written) is sent once
 * more after a short pause. A request that was written is never sent again, so a publish or a secret rotation cannot
 * run twice because of a retry: a lost reply or a timeout after sending is reported as it is.
 */
final class Transport {

	public const DEFAULT_URL = 'http://127.0.0.1:8787';

	private const MAX_REPLY_BYTES = 16777216;

	/** Pause before the one retry of a request that never left this machine (network hop only). */
	private const RETRY_PAUSE_MS = 250;

	/** curl error numbers of a certificate that did not verify (60 covers unknown CA, self-signed and host name). */
	private const CERTIFICATE_ERRORS = array( 51, 60, 77, 83, 90, 91 );

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
	 * Whether calls cross a network (not loopback): the longer connect timeout and the one retry apply.
	 *
	 * @var bool
	 */
	private bool $network_hop;

	/**
	 * PEM file of the CAs the sidecar's certificate must chain to ('' = WordPress's bundle).
	 *
	 * @var string
	 */
	private string $ca_bundle;

	/**
	 * Reused curl handle.
	 *
	 * @var \CurlHandle|resource|null
	 */
	private $handle = null;

	/**
	 * A request start() sent and finish() has not collected yet: [curl multi handle, curl handle].
	 *
	 * @var array{0:\CurlMultiHandle|resource,1:\CurlHandle|resource}|null
	 */
	private ?array $pending = null;

	/**
	 * Constructor.
	 *
	 * @param string $base_url  Sidecar base URL (validated with base_url()).
	 * @param bool   $loopback  Whether the host is a loopback address.
	 * @param string $ca_bundle IGNY8_SIDECAR_CA_BUNDLE ('' when not defined).
	 */
	private function __construct( string $base_url, bool $loopback, string $ca_bundle ) {
		$this->base_url    = $base_url;
		$this->loopback    = $loopback;
		$this->network_hop = ! $loopback;
		$this->ca_bundle   = $ca_bundle;
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
		return self::for_url( $url, wp_get_environment_type(), self::constant( 'IGNY8_SIDECAR_HTTP_HOST' ), self::constant( 'IGNY8_SIDECAR_CA_BUNDLE' ) );
	}

	/**
	 * A wp-config.php string constant, or ''. Only wp-config names the development host and the CA bundle: nothing an
	 * admin screen or a request writes may open plain http or change whom the shim trusts.
	 *
	 * @param string $name Constant name.
	 */
	public static function constant( string $name ): string {
		return defined( $name ) && is_string( constant( $name ) ) ? trim( (string) constant( $name ) ) : '';
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
	 * @param string $ca_bundle        IGNY8_SIDECAR_CA_BUNDLE ('' when not defined): the PEM file of the CAs an https
	 *                                 sidecar's certificate must chain to, instead of WordPress's bundle.
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE when the URL is unusable.
	 */
	public static function for_url( string $url, string $environment_type, string $http_host, string $ca_bundle = '' ): self {
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
		return new self( rtrim( $url, '/' ), $loopback, $ca_bundle );
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
	 * Whether calls cross a network: callers with a budget of their own (the sync notify) pick their remote one.
	 */
	public function is_network_hop(): bool {
		return $this->network_hop;
	}

	/**
	 * Whom an https sidecar's certificate must chain to: `wp-config` (IGNY8_SIDECAR_CA_BUNDLE), `wordpress` (the
	 * CA bundle WordPress ships), or null for plain http.
	 */
	public function trust(): ?string {
		if ( 0 !== strncasecmp( $this->base_url, 'https:', 6 ) ) {
			return null;
		}
		return '' !== $this->ca_bundle ? 'wp-config' : 'wordpress';
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
	 * Sends one request. Over a network hop a request that never left this machine is tried once more (see above).
	 *
	 * @param string               $method             HTTP method.
	 * @param string               $path_and_query     Path (starting with /) plus optional query string.
	 * @param string               $body               Raw body.
	 * @param array<string,string> $headers            Request headers.
	 * @param int                  $connect_timeout_ms Connect timeout in milliseconds on loopback (a network hop
	 *                                                 takes the contract's remote one, within the total).
	 * @param int                  $timeout_ms         Total timeout in milliseconds.
	 * @return array{status:int,headers:array<string,string>,body:string}
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE (no connection, timeout), SIDECAR_TLS_FAILED (a certificate that does
	 *                      not verify, a failed handshake) or SIDECAR_BAD_RESPONSE (oversized).
	 */
	public function send( string $method, string $path_and_query, string $body, array $headers, int $connect_timeout_ms, int $timeout_ms ): array {
		if ( $this->network_hop ) {
			$connect_timeout_ms = min( $timeout_ms, max( $connect_timeout_ms, Contract::limit( 'sidecar_remote_connect_timeout_seconds' ) * 1000 ) );
		}
		$outcome = $this->attempt( $method, $path_and_query, $body, $headers, $connect_timeout_ms, $timeout_ms );
		if ( isset( $outcome['error'] ) && $outcome['retry'] && $this->network_hop ) {
			usleep( self::RETRY_PAUSE_MS * 1000 );
			$outcome = $this->attempt( $method, $path_and_query, $body, $headers, $connect_timeout_ms, $timeout_ms );
		}
		if ( isset( $outcome['error'] ) ) {
			throw $outcome['error'];
		}
		return $outcome['reply'];
	}

	/**
	 * Sends one request to a loopback sidecar without waiting for its reply: the request is written out now, and
	 * finish() collects the status later (the sync notify overlaps WordPress building its own response). False when
	 * it cannot be started that way (a network hop, TLS, one already pending): the caller sends it with send().
	 *
	 * @param string               $path       Path (starting with /).
	 * @param string               $body       Raw body (POST).
	 * @param array<string,string> $headers    Request headers.
	 * @param int                  $timeout_ms Connect and total timeout in milliseconds, from now.
	 */
	public function start( string $path, string $body, array $headers, int $timeout_ms ): bool {
		if ( ! $this->loopback || null !== $this->trust() || null !== $this->pending || ! function_exists( 'curl_multi_init' ) ) {
			return false;
		}
		$header_lines = array( 'Expect:' );
		foreach ( $headers as $name => $value ) {
			$header_lines[] = $name . ': ' . $value;
		}
		$handle = curl_init();
		curl_setopt_array(
			$handle,
			array(
				CURLOPT_URL               => $this->base_url . $path,
				CURLOPT_CUSTOMREQUEST     => 'POST',
				CURLOPT_POSTFIELDS        => $body,
				CURLOPT_HTTPHEADER        => $header_lines,
				CURLOPT_CONNECTTIMEOUT_MS => max( 100, $timeout_ms ),
				CURLOPT_TIMEOUT_MS        => max( 100, $timeout_ms ),
				CURLOPT_FOLLOWLOCATION    => false,
				CURLOPT_PROTOCOLS         => CURLPROTO_HTTP,
				CURLOPT_NOSIGNAL          => true,
				CURLOPT_NOPROXY           => '*',
				CURLOPT_USERAGENT         => 'igny8-bridge/' . IGNY8_BRIDGE_VERSION,
				// Only the status is read; the body is dropped (and never printed).
				CURLOPT_WRITEFUNCTION     => static function ( $handle, string $chunk ): int {
					return strlen( $chunk );
				},
			)
		);
		$multi = curl_multi_init();
		curl_multi_add_handle( $multi, $handle );
		$this->pending = array( $multi, $handle );
		// Write the request out now (on loopback one or two rounds), so the sidecar works while this request goes on.
		$deadline = microtime( true ) + 0.05;
		do {
			curl_multi_exec( $multi, $running );
			if ( ! $running || (int) curl_getinfo( $handle, CURLINFO_SIZE_UPLOAD_T ) >= strlen( $body ) ) {
				break;
			}
			if ( -1 === curl_multi_select( $multi, 0.005 ) ) {
				usleep( 1000 );
			}
		} while ( microtime( true ) < $deadline );
		return true;
	}

	/**
	 * Waits for the request start() sent (within its timeout) and returns its HTTP status; null when it failed or
	 * nothing was started.
	 */
	public function finish(): ?int {
		if ( null === $this->pending ) {
			return null;
		}
		list( $multi, $handle ) = $this->pending;
		$this->pending          = null;
		do {
			$status = curl_multi_exec( $multi, $running );
			if ( $running && -1 === curl_multi_select( $multi, 0.05 ) ) {
				usleep( 1000 );
			}
		} while ( $running && CURLM_OK === $status );
		$done = curl_multi_info_read( $multi );
		$code = is_array( $done ) && CURLE_OK === $done['result'] ? (int) curl_getinfo( $handle, CURLINFO_RESPONSE_CODE ) : null;
		curl_multi_remove_handle( $multi, $handle );
		curl_close( $handle );
		curl_multi_close( $multi );
		return $code;
	}

	/**
	 * One attempt: the reply, or the failure and whether it may be retried (nothing was sent).
	 *
	 * @param string               $method             HTTP method.
	 * @param string               $path_and_query     Path plus query.
	 * @param string               $body               Raw body.
	 * @param array<string,string> $headers            Request headers.
	 * @param int                  $connect_timeout_ms Connect timeout in milliseconds.
	 * @param int                  $timeout_ms         Total timeout in milliseconds.
	 * @return array{reply:array{status:int,headers:array<string,string>,body:string}}|array{error:Bridge_Error,retry:bool}
	 */
	private function attempt( string $method, string $path_and_query, string $body, array $headers, int $connect_timeout_ms, int $timeout_ms ): array {
		$https = null !== $this->trust();
		if ( $https && '' !== $this->ca_bundle && ! ( is_file( $this->ca_bundle ) && is_readable( $this->ca_bundle ) ) ) {
			return array(
				'error' => ( new Bridge_Error( 'SIDECAR_TLS_FAILED', 'IGNY8_SIDECAR_CA_BUNDLE in wp-config.php does not name a readable PEM file, so the sidecar\'s certificate cannot be checked.' ) )->with_details( array( 'reason' => 'ca_bundle' ) ),
				'retry' => false,
			);
		}
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
		$bundle = '' !== $this->ca_bundle ? $this->ca_bundle : ABSPATH . WPINC . '/certificates/ca-bundle.crt';
		if ( is_readable( $bundle ) ) {
			$options[ CURLOPT_CAINFO ] = $bundle;
		}
		curl_setopt_array( $this->handle, $options );

		$ok = curl_exec( $this->handle );
		if ( $too_large ) {
			return array(
				'error' => new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The sidecar reply is too large.' ),
				'retry' => false,
			);
		}
		if ( false === $ok ) {
			// Whether any request byte was written: only a request that never left this machine may be sent again.
			$sent = (int) curl_getinfo( $this->handle, CURLINFO_REQUEST_SIZE ) > 0;
			return self::failure( curl_errno( $this->handle ), curl_error( $this->handle ), $sent, $connect_timeout_ms, $timeout_ms );
		}
		return array(
			'reply' => array(
				'status'  => (int) curl_getinfo( $this->handle, CURLINFO_RESPONSE_CODE ),
				'headers' => $reply_headers,
				'body'    => $reply_body,
			),
		);
	}

	/**
	 * What a curl failure means for the caller, with a `reason` detail, and whether it may be retried.
	 *
	 * @param int    $errno              curl_errno().
	 * @param string $message            curl_error() (host names and certificate facts, never a secret).
	 * @param bool   $sent               Whether request bytes were written.
	 * @param int    $connect_timeout_ms Connect timeout used.
	 * @param int    $timeout_ms         Total timeout used.
	 * @return array{error:Bridge_Error,retry:bool}
	 */
	private static function failure( int $errno, string $message, bool $sent, int $connect_timeout_ms, int $timeout_ms ): array {
		$said = substr( sanitize_text_field( $message ), 0, 240 );
		if ( in_array( $errno, self::CERTIFICATE_ERRORS, true ) || ( CURLE_SSL_CONNECT_ERROR === $errno && ! self::is_connection_loss( $message ) ) ) {
			if ( CURLE_SSL_CONNECT_ERROR === $errno ) {
				$reason = 'handshake';
				$text   = sprintf( 'The TLS handshake with the IGNY8 sidecar failed (%s). Does it serve https on that port?', $said );
			} elseif ( preg_match( '/subject name|host ?name/i', $message ) ) {
				$reason = 'host_mismatch';
				$text   = sprintf( 'The IGNY8 sidecar\'s TLS certificate is not valid for the host name in the sidecar URL (%s). Use the name the certificate was issued for.', $said );
			} elseif ( preg_match( '/expired|not yet valid/i', $message ) ) {
				$reason = 'expired';
				$text   = sprintf( 'The IGNY8 sidecar\'s TLS certificate has expired or is not valid yet (%s).', $said );
			} elseif ( 77 === $errno ) {
				$reason = 'ca_bundle';
				$text   = sprintf( 'The CA bundle could not be read (%s): IGNY8_SIDECAR_CA_BUNDLE must name a PEM file.', $said );
			} else {
				$reason = 'untrusted';
				$text   = sprintf( 'The IGNY8 sidecar\'s TLS certificate is not trusted (%s). If a private CA signed it, name that CA\'s PEM file in wp-config.php: define( \'IGNY8_SIDECAR_CA_BUNDLE\', \'/path/to/ca.pem\' ).', $said );
			}
			return array(
				'error' => ( new Bridge_Error( 'SIDECAR_TLS_FAILED', $text ) )->with_details( array( 'reason' => $reason ) ),
				'retry' => false,
			);
		}
		if ( CURLE_OPERATION_TIMEDOUT === $errno ) {
			$error = $sent
				? ( new Bridge_Error( 'SIDECAR_UNAVAILABLE', sprintf( 'The IGNY8 sidecar took the request but did not answer within %s s; it may still carry it out.', self::seconds( $timeout_ms ) ) ) )->with_details( array( 'reason' => 'timeout' ) )
				: ( new Bridge_Error( 'SIDECAR_UNAVAILABLE', sprintf( 'The IGNY8 sidecar did not accept a connection within %s s.', self::seconds( $connect_timeout_ms ) ) ) )->with_details( array( 'reason' => 'connect_timeout' ) );
			return array(
				'error' => $error,
				'retry' => false,
			);
		}
		$reasons = array(
			CURLE_COULDNT_RESOLVE_HOST => array( 'dns', 'The IGNY8 sidecar\'s host name does not resolve.' ),
			CURLE_COULDNT_CONNECT      => array( 'refused', 'The IGNY8 sidecar is not reachable (the connection was refused).' ),
		);
		if ( isset( $reasons[ $errno ] ) ) {
			return array(
				'error' => ( new Bridge_Error( 'SIDECAR_UNAVAILABLE', $reasons[ $errno ][1] ) )->with_details( array( 'reason' => $reasons[ $errno ][0] ) ),
				'retry' => ! $sent,
			);
		}
		if ( in_array( $errno, array( CURLE_SSL_CONNECT_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR ), true ) ) {
			return array(
				'error' => ( new Bridge_Error(
					'SIDECAR_UNAVAILABLE',
					$sent ? 'The connection to the IGNY8 sidecar was lost before it answered; it may have carried out the request.' : 'The connection to the IGNY8 sidecar was lost before the request was sent.'
				) )->with_details( array( 'reason' => 'connection_lost' ) ),
				'retry' => ! $sent,
			);
		}
		return array(
			'error' => ( new Bridge_Error( 'SIDECAR_UNAVAILABLE', sprintf( 'The IGNY8 sidecar is not reachable (%s).', $said ) ) )->with_details( array( 'reason' => 'network' ) ),
			'retry' => false,
		);
	}

	/**
	 * Whether a TLS connect error is a dropped connection (a network failure) rather than a handshake refusal.
	 *
	 * @param string $message curl_error().
	 */
	private static function is_connection_loss( string $message ): bool {
		return (bool) preg_match( '/reset by peer|SSL_ERROR_SYSCALL|unexpected eof|connection (was )?closed|broken pipe/i', $message );
	}

	/**
	 * Milliseconds as seconds for a message ("2", "0.25").
	 *
	 * @param int $ms Milliseconds.
	 */
	private static function seconds( int $ms ): string {
		return rtrim( rtrim( number_format( $ms / 1000, 2, '.', '' ), '0' ), '.' );
	}
}
