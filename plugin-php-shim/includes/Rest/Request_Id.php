<?php
/**
 * The id put on every envelope and on the X-Request-ID header.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A UUID made here, or the caller's X-Request-ID when it is a safe token (so IGNY8 can correlate its logs).
 */
final class Request_Id {

	/**
	 * Id of the current request.
	 *
	 * @var string|null
	 */
	private static ?string $current = null;

	/**
	 * Picks the id for a request and remembers it as current.
	 *
	 * @param \WP_REST_Request $request Request.
	 */
	public static function for_request( \WP_REST_Request $request ): string {
		$given         = trim( (string) $request->get_header( 'x_request_id' ) );
		self::$current = preg_match( '/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/', $given ) ? $given : wp_generate_uuid4();
		return self::$current;
	}

	/**
	 * Id of the current request (a new UUID when none was picked yet).
	 */
	public static function current(): string {
		if ( null === self::$current ) {
			self::$current = wp_generate_uuid4();
		}
		return self::$current;
	}
}
