<?php
/**
 * Internal operation `clear_pending_marker`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Content\Local_Edits;
use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Sync\Outbox;
use Igny8\Bridge\Sync\Sync_Posts;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"clear_pending_marker", post_id, seq}` → `{post_id, cleared:bool}`. Compare-and-clear: the marker is
 * deleted only while it still holds `seq`, so a change recorded after the sidecar read the marker is not lost.
 * For a permanently deleted post, the same compare-and-clear applies to its outbox entry. A content change
 * (contract meta.local_edits) recorded at or before `seq` is cleared with it.
 */
final class Clear_Pending_Marker implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		// The contract's argument schema says it all.
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$post_id = (int) $args['post_id'];
		$seq     = (string) $args['seq'];
		if ( ! get_post( $post_id ) instanceof \WP_Post ) {
			return array(
				'post_id' => $post_id,
				'cleared' => Outbox::deleted_posts()->clear( $post_id, $seq ),
			);
		}
		$post    = Managed_Posts::get( $post_id );
		$cleared = delete_post_meta( $post->ID, Sync_Posts::marker_key(), wp_slash( $seq ) );
		if ( $cleared ) {
			// The delivery of this seq carried the post's content as it was then (a local edit recorded before it).
			Local_Edits::clear_pending( (int) $post->ID, $seq );
		}
		return array(
			'post_id' => (int) $post->ID,
			'cleared' => (bool) $cleared,
		);
	}
}
