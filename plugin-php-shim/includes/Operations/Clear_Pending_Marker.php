<?php
/**
 * Internal operation `clear_pending_marker`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"clear_pending_marker", post_id, seq}` → `{post_id, cleared:bool}`. Compare-and-clear: the marker is
 * deleted only while it still holds `seq`, so a change recorded after the sidecar read the marker is not lost.
 */
final class Clear_Pending_Marker implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		Args::post_id( $args );
		if ( null === Args::optional_scalar_string( $args, 'seq', 191 ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'The argument seq is required.', 'seq' );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$post    = Managed_Posts::get( Args::post_id( $args ) );
		$seq     = (string) Args::optional_scalar_string( $args, 'seq', 191 );
		$cleared = delete_post_meta( $post->ID, (string) Contract::meta( 'pending_marker_key' ), wp_slash( $seq ) );
		return array(
			'post_id' => (int) $post->ID,
			'cleared' => (bool) $cleared,
		);
	}
}
