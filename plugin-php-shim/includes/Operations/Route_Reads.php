<?php
/**
 * A route's contract `reads`: what PHP reads from WordPress before the first exchange.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Some routes only read WordPress and answer (the lookups, the editor's sync state). Instead of a round trip in
 * which the sidecar asks for the read, the contract declares the read on the route: PHP runs it here, through the
 * same bounded executor, and sends the results as the signed body of the first exchange, `{"reads":[result…]}`.
 * A string argument written `{name}` is replaced by the route parameter `name`. The caller's own body is not
 * forwarded on such a route (they are GET routes, or POST routes that take no body).
 */
final class Route_Reads {

	/**
	 * The first exchange's body for a route that declares reads, or null for a route without them.
	 *
	 * @param array<string,mixed> $route  Contract route.
	 * @param array<string,mixed> $params Route parameters as WordPress parsed them.
	 * @throws Bridge_Error When the reads cannot be run or encoded.
	 */
	public static function body( array $route, array $params ): ?string {
		if ( empty( $route['reads'] ) || ! is_array( $route['reads'] ) ) {
			return null;
		}
		$ops = array();
		foreach ( $route['reads'] as $read ) {
			$op = array( 'op' => (string) $read['op'] );
			foreach ( (array) $read['args'] as $name => $value ) {
				$op[ (string) $name ] = self::fill( $value, $params );
			}
			$ops[] = $op;
		}
		$body = wp_json_encode(
			array( 'reads' => Executor::for_context( Executor::PROXY )->run( $ops ) ),
			JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE
		);
		if ( ! is_string( $body ) ) {
			throw new Bridge_Error( 'INTERNAL_ERROR', 'The route reads could not be encoded.' );
		}
		return $body;
	}

	/**
	 * One argument value, with a `{name}` placeholder replaced by that route parameter ('' when absent).
	 *
	 * @param mixed               $value  Argument value from the contract.
	 * @param array<string,mixed> $params Route parameters.
	 * @return mixed
	 */
	private static function fill( $value, array $params ) {
		if ( is_string( $value ) && 1 === preg_match( '/^\{([a-z_]+)\}$/', $value, $match ) ) {
			$param = $params[ $match[1] ] ?? '';
			return is_scalar( $param ) ? (string) $param : '';
		}
		return $value;
	}
}
