<?php
/**
 * Keeps the plugin's JSON replies free of PHP notices, stray output and HTML error pages.
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
 * For requests to this plugin's namespace only: display_errors off (WP 6.1 on PHP 8.2 emits deprecations; they
 * still reach the log), an output buffer from plugin load on whose content is discarded just before the REST
 * server prints the reply, and a wp_die() handler that answers a fatal error with the error envelope instead of
 * an HTML page. Notices printed by core before any plugin loads are out of a plugin's reach.
 */
final class Output_Guard {

	/**
	 * Output-buffer level this guard opened (null when inactive).
	 *
	 * @var int|null
	 */
	private static ?int $level = null;

	/**
	 * Starts guarding when the current HTTP request targets this plugin's namespace.
	 */
	public static function begin_if_ours(): void {
		if ( null !== self::$level || ! self::is_our_request() ) {
			return;
		}
		ini_set( 'display_errors', '0' ); // phpcs:ignore WordPress.PHP.IniSet -- JSON endpoints must never print notices.
		// Core's JSONP (`_jsonp`, JavaScript instead of JSON) and `_envelope` (every status turned into 200) would
		// change the wire contract; IGNY8 never uses them, so this namespace ignores them.
		unset( $_GET['_jsonp'], $_GET['_envelope'] );
		ob_start();
		self::$level = ob_get_level();
		add_filter( 'rest_pre_serve_request', array( self::class, 'discard_stray_output' ), 0 );
		add_filter( 'wp_die_handler', array( self::class, 'die_handler' ), 99 );
		add_filter( 'wp_die_json_handler', array( self::class, 'die_handler' ), 99 );
	}

	/**
	 * Whether the current HTTP request is a REST request to this plugin's namespace.
	 */
	public static function is_our_request(): bool {
		try {
			$namespace = '/' . trim( Contract::rest_namespace(), '/' );
		} catch ( \RuntimeException $error ) {
			return false;
		}
		// phpcs:disable WordPress.Security.NonceVerification.Recommended, WordPress.Security.ValidatedSanitizedInput -- only compared.
		if ( isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ) {
			$route = '/' . ltrim( $_GET['rest_route'], '/' );
			return $route === $namespace || str_starts_with( $route, $namespace . '/' );
		}
		$path = (string) wp_parse_url( (string) ( $_SERVER['REQUEST_URI'] ?? '' ), PHP_URL_PATH );
		// phpcs:enable
		$prefix = '/' . trim( rest_get_url_prefix(), '/' ) . $namespace;
		return str_contains( $path . '/', $prefix . '/' );
	}

	/**
	 * Drops whatever was printed before the reply (notices, BOMs, plugin echo). Filter `rest_pre_serve_request`.
	 *
	 * @param bool $served Whether the request was already served.
	 */
	public static function discard_stray_output( $served ) {
		if ( null !== self::$level && ob_get_level() === self::$level ) {
			ob_clean();
		}
		return $served;
	}

	/**
	 * Replaces wp_die()'s handler (the fatal-error handler calls wp_die()).
	 *
	 * @return callable
	 */
	public static function die_handler() {
		return array( self::class, 'die_with_envelope' );
	}

	/**
	 * Prints the INTERNAL_ERROR envelope with its contract status.
	 *
	 * @param mixed               $message Message (ignored: it may contain paths).
	 * @param mixed               $title   Title (ignored).
	 * @param array<string,mixed> $args    wp_die() arguments.
	 */
	public static function die_with_envelope( $message, $title = '', $args = array() ): void {
		$args   = is_array( $args ) ? $args : array();
		$status = Contract::error_status( 'INTERNAL_ERROR' );
		while ( null !== self::$level && ob_get_level() >= self::$level ) {
			ob_end_clean();
		}
		self::$level = null;
		if ( ! headers_sent() ) {
			status_header( $status );
			header( 'Content-Type: application/json; charset=utf-8' );
			header( 'X-Request-ID: ' . Request_Id::current() );
			header( 'Cache-Control: no-store' );
		}
		echo wp_json_encode( // phpcs:ignore WordPress.Security.EscapeOutput -- JSON.
			array(
				'success'    => false,
				'error'      => 'The WordPress side of the IGNY8 Bridge failed while handling this request.',
				'code'       => 'INTERNAL_ERROR',
				'request_id' => Request_Id::current(),
			)
		);
		if ( ! isset( $args['exit'] ) || $args['exit'] ) {
			die();
		}
	}
}
