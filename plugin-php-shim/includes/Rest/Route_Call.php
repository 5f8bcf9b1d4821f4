<?php
/**
 * One of the plugin's REST routes, called in this process.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Runs `/igny8/v1/…` through `rest_do_request()` as the current user: the same handler, authentication and
 * shim → sidecar proxy a browser request gets, without another WordPress bootstrap (`wp igny8`, the posts list's
 * bulk action).
 */
final class Route_Call {

	/**
	 * Calls a route.
	 *
	 * @param string                   $method HTTP method.
	 * @param string                   $path   Path under the namespace, e.g. `/status`.
	 * @param array<string,mixed>|null $body   JSON body.
	 * @param array<string,string>     $query  Query parameters.
	 * @return array{status:int,body:mixed}
	 */
	public static function run( string $method, string $path, ?array $body = null, array $query = array() ): array {
		$request = new \WP_REST_Request( $method, '/' . Contract::rest_namespace() . $path );
		if ( array() !== $query ) {
			$request->set_query_params( $query );
		}
		if ( null !== $body ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( (string) wp_json_encode( $body ) );
		}
		$response = rest_do_request( $request );
		// Proxied replies are the sidecar's decoded JSON (objects): the arrays WP-CLI's formatters take.
		return array(
			'status' => $response->get_status(),
			'body'   => json_decode( (string) wp_json_encode( $response->get_data() ), true ),
		);
	}

	/**
	 * Calls a contract route by its id, its path parameters filled in (`(?P<post_id>\d+)` → `12`).
	 *
	 * @param string                   $route_id Contract route id.
	 * @param array<string,int|string> $params   Path parameters.
	 * @param array<string,mixed>|null $body     JSON body.
	 * @param array<string,string>     $query    Query parameters.
	 * @throws \InvalidArgumentException For a route id the contract does not have.
	 * @return array{status:int,body:mixed}
	 */
	public static function route( string $route_id, array $params = array(), ?array $body = null, array $query = array() ): array {
		foreach ( Contract::routes() as $route ) {
			if ( $route_id !== $route['id'] ) {
				continue;
			}
			$path = (string) preg_replace_callback(
				'/\(\?P<([a-z_]+)>[^)]*\)/',
				static fn( array $m ): string => rawurlencode( (string) ( $params[ $m[1] ] ?? '' ) ),
				(string) $route['path']
			);
			return self::run( (string) $route['methods'][0], $path, $body, $query );
		}
		throw new \InvalidArgumentException( esc_html( "No contract route {$route_id}." ) );
	}

	/**
	 * Whether the reply is a success envelope.
	 *
	 * @param array{status:int,body:mixed} $reply Reply.
	 */
	public static function succeeded( array $reply ): bool {
		return $reply['status'] < 300 && is_array( $reply['body'] ) && true === ( $reply['body']['success'] ?? null );
	}

	/**
	 * "message (CODE)" of a failed reply.
	 *
	 * @param array{status:int,body:mixed} $reply Reply.
	 */
	public static function error_text( array $reply ): string {
		$body    = is_array( $reply['body'] ) ? $reply['body'] : array();
		$message = $body['error'] ?? $body['message'] ?? '';
		$code    = $body['code'] ?? '';
		$text    = is_string( $message ) && '' !== $message ? $message : sprintf( 'HTTP %d', $reply['status'] );
		return is_string( $code ) && '' !== $code ? sprintf( '%s (%s)', $text, $code ) : $text;
	}
}
