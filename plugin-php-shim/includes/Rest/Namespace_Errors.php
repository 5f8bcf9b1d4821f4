<?php
/**
 * Core REST errors on this plugin's namespace, in this plugin's envelope.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * IGNY8 must only ever see `{success:false, error, code, request_id}`. Two things keep core's own error shape off
 * the namespace: core's parameter pre-validation (e.g. `rest_invalid_json`) is set aside for the plugin's routes so
 * their handler answers (body cap and authentication come first, and the sidecar reports INVALID_JSON), and errors
 * core produces before any handler runs (no such route, wrong method, cookie-nonce failures) are rewritten.
 */
final class Namespace_Errors implements Feature {

	/**
	 * Endpoint attribute marking the plugin's handlers.
	 */
	public const HANDLER_ATTRIBUTE = 'igny8_handler';

	/**
	 * Core error codes with a contract equivalent.
	 */
	private const CODE_MAP = array(
		'rest_no_route'              => 'ROUTE_NOT_FOUND',
		'rest_invalid_json'          => 'INVALID_JSON',
		'rest_cookie_invalid_nonce'  => 'FORBIDDEN',
		'rest_forbidden'             => 'FORBIDDEN',
		'rest_invalid_param'         => 'BAD_REQUEST',
		'rest_missing_callback_param' => 'BAD_REQUEST',
	);

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_filter( 'rest_request_before_callbacks', array( $this, 'let_handler_answer' ), 0, 3 );
		add_filter( 'rest_post_dispatch', array( $this, 'rewrite_core_error' ), 99, 3 );
	}

	/**
	 * Clears core's pre-validation error for the plugin's own routes (they declare no arguments and take the raw
	 * body). Filter `rest_request_before_callbacks`, priority 0: later filters can still refuse the request.
	 *
	 * @param mixed            $response Response so far.
	 * @param array            $handler  Route handler.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public function let_handler_answer( $response, $handler, $request ) {
		if ( is_wp_error( $response ) && is_array( $handler ) && ! empty( $handler[ self::HANDLER_ATTRIBUTE ] ) ) {
			return null;
		}
		return $response;
	}

	/**
	 * Rewrites a core error response on this namespace into the envelope. Filter `rest_post_dispatch`.
	 *
	 * @param mixed            $response Response.
	 * @param \WP_REST_Server  $server   Server.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public function rewrite_core_error( $response, $server, $request ) {
		if ( ! $response instanceof \WP_REST_Response || ! $request instanceof \WP_REST_Request || $response->get_status() < 400 ) {
			return $response;
		}
		$namespace = '/' . trim( Contract::rest_namespace(), '/' );
		$route     = $request->get_route();
		if ( $route !== $namespace && 0 !== strpos( $route, $namespace . '/' ) && ! self::addressed_to( $namespace ) ) {
			return $response;
		}
		$data = $response->get_data();
		if ( ! is_array( $data ) || isset( $data['success'] ) || ! isset( $data['code'] ) ) {
			return $response;
		}
		$code = self::CODE_MAP[ (string) $data['code'] ] ?? self::code_for_status( $response->get_status() );
		$error = new Bridge_Error( $code, self::message( $code ) );
		return Envelope::error( $error, Request_Id::for_request( $request ) );
	}

	/**
	 * Whether the URL as sent named the namespace, even if the web server resolved dot segments out of the route
	 * (`/wp-json/igny8/v1/post-by-content-id/../../x` reaches WordPress as `/igny8/x`).
	 *
	 * @param string $namespace Namespace route, e.g. `/igny8/v1`.
	 */
	private static function addressed_to( string $namespace ): bool {
		// phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- only compared.
		$uri  = rawurldecode( (string) ( $_SERVER['REQUEST_URI'] ?? '' ) );
		$path = (string) wp_parse_url( $uri, PHP_URL_PATH );
		$rest = '/' . trim( rest_get_url_prefix(), '/' ) . $namespace;
		// phpcs:ignore WordPress.Security.NonceVerification -- routing parameter, only compared.
		$query_route = isset( $_GET['rest_route'] ) && is_string( $_GET['rest_route'] ) ? (string) $_GET['rest_route'] : '';
		// The site may live in a subfolder: the REST prefix may come after its path.
		if ( str_ends_with( $path, $rest ) || str_contains( $path, $rest . '/' ) ) {
			return true;
		}
		return $query_route === $namespace || 0 === strpos( $query_route, $namespace . '/' );
	}

	/**
	 * A contract code for an HTTP status.
	 *
	 * @param int $status HTTP status.
	 */
	private static function code_for_status( int $status ): string {
		if ( 401 === $status || 403 === $status ) {
			return 'FORBIDDEN';
		}
		if ( 404 === $status || 405 === $status ) {
			return 'ROUTE_NOT_FOUND';
		}
		if ( 413 === $status ) {
			return 'PAYLOAD_TOO_LARGE';
		}
		return $status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
	}

	/**
	 * A message for a rewritten error.
	 *
	 * @param string $code Contract code.
	 */
	private static function message( string $code ): string {
		switch ( $code ) {
			case 'ROUTE_NOT_FOUND':
				return 'No IGNY8 route matches this URL and method.';
			case 'INVALID_JSON':
				return 'The request body is not valid JSON.';
			case 'FORBIDDEN':
				return 'WordPress refused the request before it reached the IGNY8 Bridge (check the login or REST nonce).';
			case 'INTERNAL_ERROR':
				return 'The WordPress side of the IGNY8 Bridge failed while handling this request.';
			default:
				return 'WordPress refused the request before it reached the IGNY8 Bridge.';
		}
	}
}
