<?php
/**
 * API-key authentication of IGNY8's calls to the public routes.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads the key from `X-IGNY8-API-KEY` (primary: JWT-auth plugins intercept Bearer tokens) or
 * `Authorization: Bearer` (WordPress also maps REDIRECT_HTTP_AUTHORIZATION into it), refuses keys in the query
 * string, and rate-limits failures per client IP. It never sets a WordPress user, so the key cannot
 * authenticate core /wp/v2 routes.
 */
final class Api_Key_Guard {

	/**
	 * Query parameters that look like credentials; they are refused, never read.
	 */
	public const REFUSED_QUERY_KEYS = array( 'api_key', 'apikey', 'key', 'token', 'access_token', 'x-igny8-api-key', 'x_igny8_api_key' );

	/**
	 * Refuses a request that carries a credential-like query parameter (it would end up in access logs).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @throws Bridge_Error API_KEY_IN_QUERY.
	 */
	public static function refuse_query_keys( \WP_REST_Request $request ): void {
		foreach ( array_keys( (array) $request->get_query_params() ) as $name ) {
			if ( in_array( strtolower( (string) $name ), self::REFUSED_QUERY_KEYS, true ) ) {
				throw new Bridge_Error( 'API_KEY_IN_QUERY', 'Credentials are not accepted in the query string; send the X-IGNY8-API-KEY header.', (string) $name );
			}
		}
	}

	/**
	 * Query parameters without any credential-like one.
	 *
	 * @param array<string,mixed> $query Query parameters.
	 * @return array<string,mixed>
	 */
	public static function without_refused_keys( array $query ): array {
		foreach ( array_keys( $query ) as $name ) {
			if ( in_array( strtolower( (string) $name ), self::REFUSED_QUERY_KEYS, true ) ) {
				unset( $query[ $name ] );
			}
		}
		return $query;
	}

	/**
	 * Authenticates the request by API key.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @throws Bridge_Error RATE_LIMITED, API_KEY_MISSING, API_KEY_CONFLICT or API_KEY_INVALID.
	 */
	public static function authenticate( \WP_REST_Request $request ): void {
		$ip    = Client_Ip::detect();
		$state = Rate_Limiter::check( $ip );
		if ( $state['retry_after'] > 0 ) {
			throw self::rate_limited( $state['retry_after'] );
		}

		$header = trim( (string) $request->get_header( 'x_igny8_api_key' ) );
		$bearer = self::bearer( (string) $request->get_header( 'authorization' ) );

		if ( '' !== $header && '' !== $bearer && ! hash_equals( $header, $bearer ) ) {
			self::fail( $ip, new Bridge_Error( 'API_KEY_CONFLICT', 'X-IGNY8-API-KEY and Authorization: Bearer carry different keys.' ) );
		}
		$key = '' !== $header ? $header : $bearer;
		if ( '' === $key ) {
			throw new Bridge_Error( 'API_KEY_MISSING', 'Send the IGNY8 API key in the X-IGNY8-API-KEY header.' );
		}
		if ( ! Api_Key::verify( $key ) ) {
			self::fail( $ip, new Bridge_Error( 'API_KEY_INVALID', 'The API key is not valid for this site.' ) );
		}
		if ( $state['failures'] > 0 ) {
			Rate_Limiter::reset( $ip );
		}
	}

	/**
	 * The token of an `Authorization: Bearer` header ('' for none or another scheme, e.g. Basic).
	 *
	 * @param string $authorization Header value.
	 */
	private static function bearer( string $authorization ): string {
		return preg_match( '/^\s*Bearer\s+(\S+)\s*$/i', $authorization, $match ) ? $match[1] : '';
	}

	/**
	 * Counts a failure and throws either the failure or, once the limit is crossed, RATE_LIMITED.
	 *
	 * @param string       $ip    Client IP.
	 * @param Bridge_Error $error The failure.
	 * @throws Bridge_Error Always.
	 */
	private static function fail( string $ip, Bridge_Error $error ): void {
		$wait = Rate_Limiter::record_failure( $ip );
		throw $wait > 0 ? self::rate_limited( $wait ) : $error;
	}

	/**
	 * The 429 error.
	 *
	 * @param int $seconds Retry-After seconds.
	 */
	private static function rate_limited( int $seconds ): Bridge_Error {
		return new Bridge_Error(
			'RATE_LIMITED',
			'Too many failed API-key attempts from this address; try again later.',
			null,
			array( 'Retry-After' => (string) $seconds )
		);
	}
}
