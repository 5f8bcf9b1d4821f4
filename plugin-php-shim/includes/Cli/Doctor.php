<?php
/**
 * The checks of `wp igny8 doctor`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Cli;

use Igny8\Bridge\Admin\Sidecar_Pairing;
use Igny8\Bridge\Rest\Route_Call;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads the Sidecar card (`GET /igny8/v1/admin/sidecar`: reachable, protocol, a signed round trip comparing the key
 * fingerprints) and the status route (IGNY8 connection, queue) and turns them into pass/fail rows with the cause.
 */
final class Doctor {

	/**
	 * The checks, in order.
	 *
	 * @return array<int,array{check:string,status:string,message:string}>
	 */
	public static function checks(): array {
		$card = Route_Call::run( 'GET', Sidecar_Pairing::ROUTE );
		if ( ! Route_Call::succeeded( $card ) ) {
			return array( self::row( 'sidecar', false, Route_Call::error_text( $card ) ) );
		}
		$state   = (array) ( $card['body']['data'] ?? array() );
		$problem = is_array( $state['problem'] ?? null ) ? $state['problem'] : null;
		$cause   = null === $problem ? '' : sprintf( '%s (%s)', (string) ( $problem['message'] ?? '' ), (string) ( $problem['code'] ?? '' ) );
		$checks  = array();

		$checks[] = true === ( $state['reachable'] ?? false )
			? self::row( 'sidecar', true, sprintf( 'The sidecar %s answers at %s.', (string) ( $state['version'] ?? '' ), (string) ( $state['url'] ?? '' ) ) )
			: self::row( 'sidecar', false, '' !== $cause ? $cause : 'The sidecar does not answer.' );
		if ( true !== ( $state['reachable'] ?? false ) ) {
			return $checks;
		}

		$fingerprints = (array) ( $state['fingerprints'] ?? array() );
		$protocol_ok  = null === $problem || 'SIDECAR_VERSION_MISMATCH' !== ( $problem['code'] ?? '' );
		$checks[]     = self::row(
			'protocol',
			$protocol_ok,
			$protocol_ok ? sprintf( 'Protocol %s on both sides.', (string) ( $state['protocol'] ?? '' ) ) : $cause
		);
		if ( ! $protocol_ok ) {
			return $checks;
		}
		$checks[] = true === ( $fingerprints['match'] ?? null )
			? self::row( 'fingerprints', true, sprintf( 'Both sides sign with key %s.', (string) ( $fingerprints['site'] ?? '' ) ) )
			: self::row( 'fingerprints', false, '' !== $cause ? $cause : 'The key fingerprints could not be compared.' );

		$status = Route_Call::route( 'status' );
		$data   = Route_Call::succeeded( $status ) && is_array( $status['body']['data'] ?? null ) ? $status['body']['data'] : null;
		if ( null === $data ) {
			$checks[] = self::row( 'status', false, Route_Call::error_text( $status ) );
		}
		return $checks;
	}

	/**
	 * One row.
	 *
	 * @param string $check   Name.
	 * @param bool   $ok      Passed.
	 * @param string $message What it found, or the cause and what to do.
	 * @return array{check:string,status:string,message:string}
	 */
	private static function row( string $check, bool $ok, string $message ): array {
		return array(
			'check'   => $check,
			'status'  => $ok ? 'pass' : 'fail',
			'message' => $message,
		);
	}
}
