<?php
/**
 * The unified JSON envelope.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Success: {success:true, data, request_id}. Error: {success:false, error, code, request_id[, field]} with the
 * contract's HTTP status for the code. Every reply carries X-Request-ID and is never cached by intermediaries.
 */
final class Envelope {

	/**
	 * Error reply.
	 *
	 * @param Bridge_Error $error      Failure.
	 * @param string       $request_id Request id.
	 */
	public static function error( Bridge_Error $error, string $request_id ): \WP_REST_Response {
		$body = array(
			'success'    => false,
			'error'      => $error->getMessage(),
			'code'       => $error->error_code(),
			'request_id' => $request_id,
		);
		if ( null !== $error->field() ) {
			$body['field'] = $error->field();
		}
		$body += $error->details();
		$response = self::reply( $body, $error->status(), $request_id );
		foreach ( $error->headers() as $name => $value ) {
			$response->header( $name, $value );
		}
		return $response;
	}

	/**
	 * Success reply.
	 *
	 * @param mixed  $data       Payload.
	 * @param string $request_id Request id.
	 * @param int    $status     HTTP status.
	 */
	public static function success( $data, string $request_id, int $status = 200 ): \WP_REST_Response {
		return self::reply(
			array(
				'success'    => true,
				'data'       => $data,
				'request_id' => $request_id,
			),
			$status,
			$request_id
		);
	}

	/**
	 * Any body with the standard headers.
	 *
	 * @param mixed  $body       Body (array or object).
	 * @param int    $status     HTTP status.
	 * @param string $request_id Request id.
	 */
	public static function reply( $body, int $status, string $request_id ): \WP_REST_Response {
		$response = new \WP_REST_Response( $body, $status );
		$response->header( 'X-Request-ID', $request_id );
		$response->header( 'Cache-Control', 'no-store' );
		return $response;
	}
}
