<?php
/**
 * One of the plugin's REST routes, called in this process.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Cli;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Runs `/igny8/v1/…` through `rest_do_request()`: the same handler, authentication and shim → sidecar proxy a
 * browser request gets, without another WordPress bootstrap. The CLI acts as the `--user` WP-CLI set, else the
 * first administrator (whoever runs `wp` on the server can already do anything an administrator can).
 */
final class Route_Call {

	/**
	 * Calls a route.
	 *
	 * @param string                   $method HTTP method.
	 * @param string                   $path   Path under the namespace, e.g. `/status`.
	 * @param array<string,mixed>|null $body   JSON body.
	 * @return array{status:int,body:mixed}
	 */
	public static function run( string $method, string $path, ?array $body = null ): array {
		self::act_as_administrator();
		$request = new \WP_REST_Request( $method, '/' . Contract::rest_namespace() . $path );
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

	/**
	 * The current user, or the first administrator when WP-CLI runs without `--user`.
	 */
	private static function act_as_administrator(): void {
		if ( current_user_can( 'manage_options' ) ) {
			return;
		}
		if ( 0 !== get_current_user_id() ) {
			\WP_CLI::error( 'The user given with --user cannot manage options: run `wp igny8` as an administrator.' );
		}
		$admins = get_users(
			array(
				'role'    => 'administrator',
				'orderby' => 'ID',
				'order'   => 'ASC',
				'number'  => 1,
				'fields'  => 'ID',
			)
		);
		if ( array() === $admins ) {
			\WP_CLI::error( 'This site has no administrator to run `wp igny8` as; pass --user=<login>.' );
		}
		wp_set_current_user( (int) $admins[0] );
	}
}
