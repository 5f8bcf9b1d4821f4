<?php
/**
 * POST /igny8/v1/internal/ops: asynchronous sidecar → WordPress operations.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Operations\Executor;
use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Jwt_Error;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Replay_Cache;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Opened only by a sidecar JWT (`Authorization: Bearer`; `X-IGNY8-Signature` is accepted for hosts that strip
 * Authorization): iss igny8-sidecar, aud igny8-shim-internal, htm/htu of this very request, `bh` of its raw
 * body, fresh and unseen. Body `{ops:[...]}` with the contract's internal operations only (write the sync meta,
 * compare-and-clear the pending marker, list pending posts). Reply `{success:true, data:{results:[...]}}`.
 * No PHP worker waits on these calls, so they may call in while a proxied request is in flight elsewhere.
 */
final class Internal_Controller implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'register_routes' ) );
	}

	/**
	 * Registers the route.
	 */
	public function register_routes(): void {
		register_rest_route(
			Contract::rest_namespace(),
			Contract::internal_route_path() . '/?',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'handle' ),
				'permission_callback' => array( $this, 'authenticate_in_handler' ),
				'args'                => array(),
				Namespace_Errors::HANDLER_ATTRIBUTE => true,
			)
		);
	}

	/**
	 * Lets the request reach handle(), which verifies the sidecar JWT and answers with the plugin's envelope.
	 */
	public function authenticate_in_handler(): bool {
		return true;
	}

	/**
	 * Handles a batch.
	 *
	 * @param \WP_REST_Request $request Request.
	 */
	public function handle( \WP_REST_Request $request ): \WP_REST_Response {
		$request_id = Request_Id::for_request( $request );
		try {
			Proxy_Controller::enforce_body_limit( $request );
			self::authenticate( $request );
			$results  = Executor::for_context( Executor::INTERNAL )->run( self::ops( (string) $request->get_body() ) );
			$response = Envelope::success( array( 'results' => $results ), $request_id );
		} catch ( Bridge_Error $error ) {
			$response = Envelope::error( $error, $request_id );
		} catch ( \Throwable $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- an unexpected failure must be findable.
			error_log( sprintf( 'IGNY8 Bridge: %s on internal ops: %s in %s:%d', get_class( $error ), $error->getMessage(), $error->getFile(), $error->getLine() ) );
			$response = Envelope::error( new Bridge_Error( 'INTERNAL_ERROR', 'The WordPress side of the IGNY8 Bridge failed while handling this request.' ), $request_id );
		}
		return $response;
	}

	/**
	 * Verifies the sidecar's JWT for this request.
	 *
	 * @param \WP_REST_Request $request Request.
	 * @throws Bridge_Error SIGNATURE_INVALID, or SIDECAR_AUTH_MISMATCH for an unknown key id.
	 */
	private static function authenticate( \WP_REST_Request $request ): void {
		$jwt   = Contract::jwt();
		$token = preg_match( '/^\s*Bearer\s+(\S+)\s*$/i', (string) $request->get_header( 'authorization' ), $match ) ? $match[1] : '';
		if ( '' === $token ) {
			$token = trim( (string) $request->get_header( str_replace( '-', '_', strtolower( (string) $jwt['header'] ) ) ) );
		}
		try {
			if ( '' === $token ) {
				throw new Jwt_Error( Jwt_Error::MALFORMED, 'no token' );
			}
			$claims = Jwt::verify( $token, Keys::sidecar_verification_keys() );
			Jwt::check_claims(
				$claims,
				array(
					'iss' => (string) $jwt['sidecar']['iss'],
					'aud' => (string) $jwt['audiences']['shim_internal'],
					'htm' => $request->get_method(),
					'htu' => $request->get_route(),
					// This site's id (the keys are bound to it too): a token minted for another subsite is refused.
					'sid' => Site_Id::current(),
					'bh'  => Jwt::body_hash( (string) $request->get_body() ),
				),
				time(),
				(int) $jwt['leeway_seconds'],
				(int) $jwt['max_ttl_seconds']
			);
			if ( ! Replay_Cache::remember( (string) $claims['jti'], (int) $claims['exp'] + (int) $jwt['leeway_seconds'] ) ) {
				throw new Jwt_Error( Jwt_Error::REPLAY, 'jti seen before' );
			}
		} catch ( Jwt_Error $error ) {
			if ( Jwt_Error::UNKNOWN_KID === $error->reason() ) {
				throw new Bridge_Error( 'SIDECAR_AUTH_MISMATCH', 'The sidecar signed with a key this site does not know; compare the key fingerprints in the IGNY8 settings.' );
			}
			throw new Bridge_Error( 'SIGNATURE_INVALID', 'The sidecar signature is missing or invalid.' );
		}
		\Igny8\Bridge\Sidecar\Protocol::check( $claims );
	}

	/**
	 * The `ops` list of the body.
	 *
	 * @param string $body Raw body.
	 * @return array<int,mixed>
	 * @throws Bridge_Error INVALID_JSON, JSON_TOO_DEEP or BAD_REQUEST.
	 */
	private static function ops( string $body ): array {
		$data = json_decode( $body, true, max( 2, Contract::limit( 'max_json_depth' ) ) );
		if ( JSON_ERROR_DEPTH === json_last_error() ) {
			throw new Bridge_Error( 'JSON_TOO_DEEP', 'The body is nested too deeply.' );
		}
		if ( ! is_array( $data ) ) {
			throw new Bridge_Error( 'INVALID_JSON', 'The body is not a JSON object.' );
		}
		$ops = $data['ops'] ?? null;
		if ( ! is_array( $ops ) || ( $ops && array_keys( $ops ) !== range( 0, count( $ops ) - 1 ) ) ) {
			throw new Bridge_Error( 'BAD_REQUEST', 'The body must be {"ops":[...]}.', 'ops' );
		}
		return $ops;
	}
}
