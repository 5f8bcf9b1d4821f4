<?php
/**
 * The one generic handler behind every public IGNY8 route.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Operations\Executor;
use Igny8\Bridge\Operations\Route_Reads;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Security\Api_Key;
use Igny8\Bridge\Security\Api_Key_Guard;
use Igny8\Bridge\Security\Client_Ip;
use Igny8\Bridge\Security\Rate_Limiter;
use Igny8\Bridge\Support\Named_Lock;
use Igny8\Bridge\Sidecar\Client;
use Igny8\Bridge\Sidecar\Context;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers each contract route (with and without trailing slash) and handles all of them the same way
 * (docs/architecture.md §3): body-size cap, credential-in-query refusal, authentication by the route's `auth`
 * kind, connection switch, then the signed round trip through the sidecar. Authentication happens inside the
 * callback, not in permission_callback, so every failure is answered with this plugin's envelope.
 */
final class Proxy_Controller implements Feature {

	/**
	 * Endpoint attribute carrying the contract route definition.
	 */
	public const ROUTE_ATTRIBUTE = 'igny8_route';

	/**
	 * How long a cached reply may be served stale while a refresh runs. A refresh that finds the sidecar gone
	 * replaces it with the degraded answer (failure()): a stale "reachable" must not hide a dead sidecar.
	 */
	private const STALE_SECONDS = 300;

	/**
	 * Failures that /status turns into a degraded 200.
	 */
	private const DEGRADABLE = array( 'SIDECAR_UNAVAILABLE', 'SIDECAR_TLS_FAILED', 'SIDECAR_BAD_RESPONSE', 'SIDECAR_AUTH_MISMATCH', 'SIDECAR_VERSION_MISMATCH' );

	/**
	 * Longest route + query string forwarded. The path, and the params and query again inside the JWT's `ctx`,
	 * travel in the request line and headers, which Node caps at 16 KB (HTTP 431, unsigned: a 502 here).
	 */
	public const MAX_URL_BYTES = 2048;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers every contract route.
	 */
	public function register_routes(): void {
		foreach ( Contract::routes() as $route ) {
			register_rest_route(
				Contract::rest_namespace(),
				$route['path'] . '/?',
				array(
					'methods'             => $route['methods'],
					'callback'            => array( $this, 'handle' ),
					'permission_callback' => array( $this, 'authenticate_in_handler' ),
					'args'                => array(),
					self::ROUTE_ATTRIBUTE => $route,
					Namespace_Errors::HANDLER_ATTRIBUTE => true,
				)
			);
		}
	}

	/**
	 * Lets every request reach handle(), which authenticates by the route's kind and answers failures with the
	 * plugin's envelope (core's permission errors have another shape).
	 */
	public function authenticate_in_handler(): bool {
		return true;
	}

	/**
	 * Handles any contract route.
	 *
	 * @param \WP_REST_Request $request Request.
	 */
	public function handle( \WP_REST_Request $request ): \WP_REST_Response {
		$route      = (array) ( $request->get_attributes()[ self::ROUTE_ATTRIBUTE ] ?? array() );
		$route_id   = (string) ( $route['id'] ?? '' );
		$request_id = Request_Id::for_request( $request );
		$started    = microtime( true );
		// Every route reads the plugin's options (the key, the settings it sends the sidecar): one query for all.
		Settings::prime();
		try {
			$response = $this->respond( $request, $route, $request_id );
		} catch ( Bridge_Error $error ) {
			$response = $this->failure( $error, $request, $route, $request_id );
		} catch ( \Throwable $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- an unexpected failure must be findable.
			error_log( sprintf( 'IGNY8 Bridge: %s on %s: %s in %s:%d', get_class( $error ), $route_id, $error->getMessage(), $error->getFile(), $error->getLine() ) );
			$response = Envelope::error( new Bridge_Error( 'INTERNAL_ERROR', 'The WordPress side of the IGNY8 Bridge failed while handling this request.' ), $request_id );
		}

		/**
		 * Fires after a proxied IGNY8 route answered.
		 *
		 * @param string $route_id Contract route id.
		 * @param int    $status   HTTP status sent.
		 */
		do_action( 'igny8_bridge_proxied', $route_id, $response->get_status() );
		self::debug_line( $request, $response, $request_id, $started );
		return $response;
	}

	/**
	 * With `IGNY8_DEBUG` defined (and true), one line per proxied call to the PHP error log, which is wp-content/debug.log
	 * under WP_DEBUG_LOG: method, route, ms, HTTP status, outcome (`ok` or the envelope's code) and request id. Never a
	 * query string, header or body, so never a key.
	 *
	 * @param \WP_REST_Request  $request    Request.
	 * @param \WP_REST_Response $response   What is sent.
	 * @param string            $request_id Request id.
	 * @param float             $started    microtime( true ) at the start.
	 */
	private static function debug_line( \WP_REST_Request $request, \WP_REST_Response $response, string $request_id, float $started ): void {
		if ( ! defined( 'IGNY8_DEBUG' ) || ! IGNY8_DEBUG ) {
			return;
		}
		// A relayed sidecar envelope is a decoded JSON object (stdClass), a shim-made one an array.
		$data    = (array) $response->get_data();
		$code    = isset( $data['code'] ) && is_string( $data['code'] ) ? $data['code'] : '';
		$outcome = $response->get_status() < 400 && '' === $code ? 'ok' : ( '' === $code ? 'error' : $code );
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- IGNY8_DEBUG asks for exactly this line.
		error_log(
			sprintf(
				'IGNY8 Bridge debug: %s %s %dms %d %s request_id=%s',
				$request->get_method(),
				$request->get_route(),
				(int) round( ( microtime( true ) - $started ) * 1000 ),
				$response->get_status(),
				$outcome,
				$request_id
			)
		);
	}

	/**
	 * The successful path.
	 *
	 * @param \WP_REST_Request     $request    Request.
	 * @param array<string,mixed>  $route      Contract route.
	 * @param string               $request_id Request id.
	 * @throws Bridge_Error On any refusal or sidecar failure.
	 */
	private function respond( \WP_REST_Request $request, array $route, string $request_id ): \WP_REST_Response {
		self::enforce_body_limit( $request );
		self::enforce_url_rules( $request );
		Api_Key_Guard::refuse_query_keys( $request );
		$this->authorize( $request, $route );

		$cache_key = $this->cache_key( $request, $route );
		$lock      = null;
		$cached    = null;
		if ( null !== $cache_key ) {
			// Stale-while-refresh with one refresh in flight: a fresh copy is served; a stale one is served to
			// everyone but the one request that takes the refresh lock; with nothing cached, the others wait for it.
			$cached = $this->cached( $cache_key );
			if ( null !== $cached && $cached['fresh'] ) {
				return $this->from_cache( $cached, $request, $route, $request_id );
			}
			$lock = Named_Lock::acquire( 'igny8_refresh_' . $cache_key, Contract::limit( 'sidecar_timeout_seconds' ) + 5, null === $cached ? (float) Contract::limit( 'sidecar_timeout_seconds' ) : 0.0 );
			$again = $this->cached( $cache_key );
			if ( null !== $again && ( null === $lock || $again['fresh'] ) ) {
				// Refreshed by the request that held the lock while we waited, or being refreshed right now.
				if ( null !== $lock ) {
					$lock->release();
				}
				return $this->from_cache( $again, $request, $route, $request_id );
			}
		}

		try {
			$method = $request->get_method();
			$ctx    = Context::build( $request, (string) $route['id'], $request_id );
			$reads  = Route_Reads::body( $route, (array) $request->get_url_params() );
			// Only what this route uses (contract `routes[].operations`): a compromised sidecar answering /status
			// cannot change the key or the settings.
			$allowed = Contract::route_operations( (string) $route['id'] );
			$run_ops = static function ( array $ops ) use ( $allowed ): array {
				return Executor::for_context( Executor::PROXY )->run( $ops, $allowed );
			};
			$result  = Client::for_context( $ctx, $run_ops )->proxy(
				'HEAD' === $method ? 'GET' : $method,
				$request->get_route(),
				http_build_query( Context::query( $request ), '', '&', PHP_QUERY_RFC3986 ),
				$reads ?? ( 'GET' === $method || 'HEAD' === $method ? '' : (string) $request->get_body() ),
				null === $reads ? (string) $request->get_header( 'content_type' ) : 'application/json'
			);
			$body = self::with_request_id( $result['body'], $request_id, false );
			if ( null !== $cache_key && $result['status'] >= 200 && $result['status'] < 300 ) {
				$this->store( $cache_key, $result['status'], $body, $route );
			} elseif ( null !== $cached ) {
				// The refresh was refused (the sidecar's own rate limit, say): the stale copy still answers.
				return $this->from_cache( $cached, $request, $route, $request_id );
			}
		} finally {
			if ( null !== $lock ) {
				$lock->release();
			}
		}
		$body = $this->visible( $body, $request, $route );
		$response    = Envelope::reply( $body, $result['status'], $request_id );
		$retry_after = $body instanceof \stdClass ? ( $body->retry_after ?? null ) : null;
		if ( in_array( $result['status'], array( 429, 503 ), true ) && is_int( $retry_after ) && $retry_after > 0 ) {
			// The sidecar's own rate limit: pass its wait on to IGNY8.
			$response->header( 'Retry-After', (string) $retry_after );
		}
		return $response;
	}

	/**
	 * Turns a failure into the envelope, or into the degraded /status answer.
	 *
	 * @param Bridge_Error        $error      Failure.
	 * @param \WP_REST_Request    $request    Request.
	 * @param array<string,mixed> $route      Contract route.
	 * @param string              $request_id Request id.
	 */
	private function failure( Bridge_Error $error, \WP_REST_Request $request, array $route, string $request_id ): \WP_REST_Response {
		if ( empty( $route['degraded_when_unavailable'] ) || ! in_array( $error->error_code(), self::DEGRADABLE, true ) ) {
			return Envelope::error( $error, $request_id );
		}
		$facts   = Context::facts();
		// A sidecar whose certificate does not verify is not reachable: nothing is sent to it.
		$sidecar = array( 'reachable' => ! in_array( $error->error_code(), array( 'SIDECAR_UNAVAILABLE', 'SIDECAR_TLS_FAILED' ), true ) );
		if ( $sidecar['reachable'] ) {
			$sidecar['error'] = $error->error_code();
		}
		$data     = array(
			'plugin_version'     => IGNY8_BRIDGE_VERSION,
			'wordpress_version'  => (string) get_bloginfo( 'version' ),
			'connected'          => false,
			'api_key_present'    => $facts['api_key_present'],
			'token_present'      => false,
			'connection_enabled' => $facts['connection_enabled'],
			'sidecar'            => $sidecar,
		);
		$response = Envelope::success( $data, $request_id );
		$key      = $this->cache_key( $request, $route );
		if ( null !== $key ) {
			// A dead sidecar is cached too, so anonymous traffic does not keep knocking on it.
			$this->store( $key, 200, $response->get_data(), $route );
		}
		$response->set_data( $this->visible( $response->get_data(), $request, $route ) );
		return $response;
	}

	/**
	 * Authenticates by the route's `auth` kind.
	 *
	 * @param \WP_REST_Request    $request Request.
	 * @param array<string,mixed> $route   Contract route.
	 * @throws Bridge_Error When refused.
	 */
	private function authorize( \WP_REST_Request $request, array $route ): void {
		switch ( $route['auth'] ?? '' ) {
			case 'public':
				return;
			case 'api_key':
				Api_Key_Guard::authenticate( $request );
				if ( ! Settings::get( 'igny8_connection_enabled' ) ) {
					throw new Bridge_Error( 'CONNECTION_DISABLED', 'The IGNY8 connection is disabled in this site\'s settings.' );
				}
				return;
			case 'edit_post':
				$post_id = (int) ( $request->get_url_params()['post_id'] ?? 0 );
				if ( ! is_user_logged_in() ) {
					throw new Bridge_Error( 'FORBIDDEN', 'Log in to WordPress (cookie and REST nonce) to use this route.' );
				}
				if ( $post_id <= 0 || ! get_post( $post_id ) ) {
					if ( current_user_can( 'edit_posts' ) ) {
						throw new Bridge_Error( 'POST_NOT_FOUND', 'No post has this id.', 'post_id' );
					}
					throw new Bridge_Error( 'FORBIDDEN', 'You are not allowed to edit this post.' );
				}
				if ( ! current_user_can( 'edit_post', $post_id ) ) {
					throw new Bridge_Error( 'FORBIDDEN', 'You are not allowed to edit this post.' );
				}
				return;
			case 'manage_options':
				if ( ! current_user_can( 'manage_options' ) ) {
					throw new Bridge_Error( 'FORBIDDEN', 'Only administrators can change the IGNY8 settings.' );
				}
				return;
			default:
				throw new Bridge_Error( 'FORBIDDEN', 'This route has no known authentication.' );
		}
	}

	/**
	 * Refuses bodies over `limits.max_body_bytes`, by declared length and by actual length.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @throws Bridge_Error PAYLOAD_TOO_LARGE.
	 */
	public static function enforce_body_limit( \WP_REST_Request $request ): void {
		$max = Contract::limit( 'max_body_bytes' );
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- only compared as a number.
		$declared = $_SERVER['CONTENT_LENGTH'] ?? ( $_SERVER['HTTP_CONTENT_LENGTH'] ?? null );
		if ( ( is_numeric( $declared ) && (int) $declared > $max ) || strlen( (string) $request->get_body() ) > $max ) {
			throw new Bridge_Error( 'PAYLOAD_TOO_LARGE', sprintf( 'The request body is larger than %d bytes.', $max ) );
		}
	}

	/**
	 * Refuses a URL the sidecar could not verify: longer than MAX_URL_BYTES, or with bytes that are not UTF-8 in
	 * the route or query (JSON, hence the JWT's `ctx` and `htu`, cannot carry them unchanged).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @throws Bridge_Error BAD_REQUEST.
	 */
	public static function enforce_url_rules( \WP_REST_Request $request ): void {
		$route = (string) $request->get_route();
		$query = (array) $request->get_query_params();
		if ( strlen( $route ) + strlen( http_build_query( $query ) ) > self::MAX_URL_BYTES ) {
			throw new Bridge_Error( 'BAD_REQUEST', sprintf( 'The URL is longer than %d bytes.', self::MAX_URL_BYTES ) );
		}
		foreach ( (array) $request->get_url_params() as $name => $value ) {
			if ( ! self::is_utf8( array( $name => $value ) ) ) {
				throw new Bridge_Error( 'BAD_REQUEST', 'The URL holds bytes that are not valid UTF-8.', (string) $name );
			}
		}
		if ( ! self::is_utf8( $route ) || ! self::is_utf8( $query ) ) {
			throw new Bridge_Error( 'BAD_REQUEST', 'The URL holds bytes that are not valid UTF-8.' );
		}
	}

	/**
	 * Whether a value (keys included, nested arrays too) is valid UTF-8.
	 *
	 * @param mixed $value Value.
	 */
	private static function is_utf8( $value ): bool {
		if ( is_array( $value ) ) {
			foreach ( $value as $key => $item ) {
				if ( ! self::is_utf8( (string) $key ) || ! self::is_utf8( $item ) ) {
					return false;
				}
			}
			return true;
		}
		return ! is_string( $value ) || 1 === preg_match( '//u', $value );
	}

	/**
	 * Transient key for routes with `cache_seconds`, keyed by route (not by query: a query must not be a way to
	 * bypass the cache or fill the options table). Null when the route is not cached.
	 *
	 * @param \WP_REST_Request    $request Request.
	 * @param array<string,mixed> $route   Contract route.
	 */
	private function cache_key( \WP_REST_Request $request, array $route ): ?string {
		if ( (int) ( $route['cache_seconds'] ?? 0 ) <= 0 || ! in_array( $request->get_method(), array( 'GET', 'HEAD' ), true ) ) {
			return null;
		}
		$params = (array) $request->get_url_params();
		ksort( $params );
		return 'igny8_route_' . md5( (string) $route['id'] . '|' . wp_json_encode( $params ) );
	}

	/**
	 * Caches a final reply for the route's `cache_seconds`.
	 *
	 * @param string              $key    Transient key.
	 * @param int                 $status HTTP status.
	 * @param mixed               $body   Body.
	 * @param array<string,mixed> $route  Contract route.
	 */
	private function store( string $key, int $status, $body, array $route ): void {
		set_transient(
			$key,
			array(
				'status' => $status,
				'body'   => (string) wp_json_encode( $body ),
				'at'     => time(),
			),
			max( self::STALE_SECONDS, (int) $route['cache_seconds'] )
		);
	}

	/**
	 * A cached reply and whether it is still fresh (younger than the route's `cache_seconds`). Null: none.
	 *
	 * @param string $key Transient key.
	 * @return array{status:int,body:string,fresh:bool}|null
	 */
	private function cached( string $key ): ?array {
		// Read from the database, not this request's memory: another request may have refreshed it meanwhile.
		wp_cache_delete( '_transient_' . $key, 'options' );
		wp_cache_delete( '_transient_timeout_' . $key, 'options' );
		wp_cache_delete( 'notoptions', 'options' );
		$cached = get_transient( $key );
		if ( ! is_array( $cached ) || ! isset( $cached['status'], $cached['body'] ) ) {
			return null;
		}
		$route = $this->route_of_key( $key );
		return array(
			'status' => (int) $cached['status'],
			'body'   => (string) $cached['body'],
			'fresh'  => time() - (int) ( $cached['at'] ?? 0 ) < (int) ( $route['cache_seconds'] ?? 0 ),
		);
	}

	/**
	 * The contract route a cache key belongs to.
	 *
	 * @param string $key Transient key.
	 * @return array<string,mixed>
	 */
	private function route_of_key( string $key ): array {
		foreach ( Contract::routes() as $route ) {
			if ( 'igny8_route_' . md5( (string) $route['id'] . '|[]' ) === $key ) {
				return $route;
			}
		}
		return array();
	}

	/**
	 * The reply from a cached copy, shown as this caller may see it.
	 *
	 * @param array{status:int,body:string,fresh:bool} $cached     Cached copy.
	 * @param \WP_REST_Request                          $request    Request.
	 * @param array<string,mixed>                       $route      Contract route.
	 * @param string                                    $request_id Request id.
	 */
	private function from_cache( array $cached, \WP_REST_Request $request, array $route, string $request_id ): \WP_REST_Response {
		$body = $this->visible( self::with_request_id( json_decode( $cached['body'] ), $request_id, true ), $request, $route );
		return Envelope::reply( $body, $cached['status'], $request_id );
	}

	/**
	 * What a caller without a valid API key sees of a route with `public_fields` (the seed fields of /status):
	 * only those keys of `data` (dotted paths go one level down). A wrong key is not an error on a public route,
	 * but it counts as a failure for the rate limiter, so /status is no key oracle.
	 *
	 * @param mixed               $body    Reply body.
	 * @param \WP_REST_Request    $request Request.
	 * @param array<string,mixed> $route   Contract route.
	 * @return mixed
	 */
	private function visible( $body, \WP_REST_Request $request, array $route ) {
		if ( empty( $route['public_fields'] ) || ! is_array( $route['public_fields'] ) || self::has_valid_key( $request ) ) {
			return $body;
		}
		$array = json_decode( (string) wp_json_encode( $body ), true );
		if ( ! is_array( $array ) || ! isset( $array['data'] ) || ! is_array( $array['data'] ) ) {
			return $body;
		}
		$data = array();
		foreach ( $route['public_fields'] as $field ) {
			$path = explode( '.', (string) $field, 2 );
			if ( ! array_key_exists( $path[0], $array['data'] ) ) {
				continue;
			}
			if ( 1 === count( $path ) ) {
				$data[ $path[0] ] = $array['data'][ $path[0] ];
			} elseif ( is_array( $array['data'][ $path[0] ] ) && array_key_exists( $path[1], $array['data'][ $path[0] ] ) ) {
				$data[ $path[0] ]             = $data[ $path[0] ] ?? array();
				$data[ $path[0] ][ $path[1] ] = $array['data'][ $path[0] ][ $path[1] ];
			}
		}
		$array['data'] = $data;
		return json_decode( (string) wp_json_encode( $array ) );
	}

	/**
	 * Whether the request carries the right API key (header only), without refusing anything.
	 *
	 * @param \WP_REST_Request $request Request.
	 */
	private static function has_valid_key( \WP_REST_Request $request ): bool {
		$key = (string) $request->get_header( 'x_igny8_api_key' );
		if ( '' === $key ) {
			return false;
		}
		$ip = Client_Ip::detect();
		if ( Rate_Limiter::check( $ip )['retry_after'] > 0 ) {
			return false;
		}
		if ( Api_Key::verify( $key ) ) {
			return true;
		}
		Rate_Limiter::record_failure( $ip );
		return false;
	}

	/**
	 * Puts the request id on an envelope body (keeping one the sidecar set, unless $replace).
	 *
	 * @param mixed  $body       Body (object or array).
	 * @param string $request_id Request id.
	 * @param bool   $replace    Replace an existing id (cached replies).
	 * @return mixed
	 */
	private static function with_request_id( $body, string $request_id, bool $replace ) {
		if ( $body instanceof \stdClass && ( $replace || ! isset( $body->request_id ) ) ) {
			$body->request_id = $request_id;
		} elseif ( is_array( $body ) && $body && array_keys( $body ) !== range( 0, count( $body ) - 1 ) && ( $replace || ! isset( $body['request_id'] ) ) ) {
			$body['request_id'] = $request_id;
		}
		return $body;
	}
}
