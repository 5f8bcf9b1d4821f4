<?php
/**
 * Internal operation `write_sync_meta`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Sync\Sync_Posts;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"write_sync_meta", post_id, seq?, meta:{_igny8_wordpress_status?, _igny8_last_synced?, _igny8_sync_state?,
 * _igny8_sync_error?, _igny8_task_brief?, _igny8_brief_cached_at?}}` → `{post_id, written:[keys], skipped:[keys]}`.
 * Managed posts only, the contract's sync_mirror_keys and brief_keys only (the brief is what the sidecar read from
 * IGNY8 for the post's task); a null value deletes the key. Values are slashed because update_post_meta() unslashes.
 *
 * With `seq`, the state keys (`_igny8_sync_state`, `_igny8_sync_error`) are written only while the pending marker
 * is absent or still equals `seq`: a change recorded since then keeps its `pending` mirror.
 */
final class Write_Sync_Meta implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		$keys = array_merge( (array) Contract::meta( 'sync_mirror_keys' ), (array) Contract::meta( 'brief_keys' ) );
		foreach ( array_keys( (array) $args['meta'] ) as $key ) {
			if ( ! in_array( $key, $keys, true ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', 'write_sync_meta writes only: ' . implode( ', ', $keys ) . '.', 'meta.' . $key );
			}
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$post    = Managed_Posts::get( (int) $args['post_id'] );
		$seq     = isset( $args['seq'] ) ? (string) $args['seq'] : null;
		$marker  = (string) get_post_meta( $post->ID, Sync_Posts::marker_key(), true );
		$stale   = null !== $seq && '' !== $marker && $marker !== $seq;
		$written = array();
		$skipped = array();
		foreach ( (array) $args['meta'] as $key => $value ) {
			if ( $stale && in_array( $key, (array) Contract::meta( 'sync_state_keys' ), true ) ) {
				$skipped[] = $key;
				continue;
			}
			if ( null === $value ) {
				delete_post_meta( $post->ID, $key );
			} else {
				update_post_meta( $post->ID, $key, wp_slash( (string) $value ) );
			}
			$written[] = $key;
		}
		return array(
			'post_id' => (int) $post->ID,
			'written' => $written,
			'skipped' => $skipped,
		);
	}
}
