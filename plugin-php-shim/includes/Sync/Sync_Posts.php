<?php
/**
 * The posts the WordPress → IGNY8 sync covers, their pending marker and the snapshot sent to the sidecar.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Content\Local_Edits;
use Igny8\Bridge\Content\Post_Reader;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Support\Post_Meta_Batch;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A post is synced when it is of a contract post type and carries `_igny8_content_id` or `_igny8_task_id`
 * (SPEC §6: the original plugin marked its posts with the task id only). A recorded change is the pending
 * marker `_igny8_sync_pending` = seq, a decimal string that only grows per post; the sidecar clears it with
 * compare-and-clear once IGNY8 has the state. Permanently deleted posts leave an outbox option instead.
 */
final class Sync_Posts {

	public const DELETED_STATUS = 'deleted';

	/**
	 * The pending marker meta key.
	 */
	public static function marker_key(): string {
		return (string) Contract::meta( 'pending_marker_key' );
	}

	/**
	 * The meta key holding the fingerprint of the last recorded change.
	 */
	public static function fingerprint_key(): string {
		return (string) Contract::meta( 'sync_fingerprint_key' );
	}

	/**
	 * A new sequence value for a post: microseconds since the epoch × 1000 plus a random tail, and always above
	 * the post's current marker, so the sidecar can order changes of one post whatever process recorded them.
	 *
	 * @param string $current The current marker ('' for none).
	 */
	public static function next_seq( string $current = '' ): string {
		list( $fraction, $seconds ) = explode( ' ', microtime() );
		$seq = ( (int) $seconds * 1000000 + (int) round( (float) $fraction * 1000000 ) ) * 1000 + random_int( 0, 999 );
		if ( preg_match( '/^\d{1,18}$/', $current ) && (int) $current >= $seq ) {
			$seq = (int) $current + 1;
		}
		return (string) $seq;
	}

	/**
	 * What a change looks like to IGNY8: status, permalink and title. Equal fingerprints are one change (the
	 * block editor's double save, a content-only edit).
	 *
	 * @param \WP_Post $post Post.
	 */
	public static function fingerprint( \WP_Post $post ): string {
		return md5( $post->post_status . "\n" . (string) get_permalink( $post ) . "\n" . $post->post_title );
	}

	/**
	 * Records a change durably (marker first, then the mirrored state) unless it repeats what is already recorded
	 * or already known to IGNY8. Returns whether a change was recorded.
	 *
	 * @param \WP_Post $post Post.
	 */
	public static function record_change( \WP_Post $post ): bool {
		$marker      = (string) get_post_meta( $post->ID, self::marker_key(), true );
		$fingerprint = self::fingerprint( $post );
		$same        = hash_equals( (string) get_post_meta( $post->ID, self::fingerprint_key(), true ), $fingerprint );
		$known       = '' !== $marker || (string) get_post_meta( $post->ID, Contract::meta_key( 'wordpress_status' ), true ) === $post->post_status;
		// A local edit of title, content or excerpt (issue #13 §4) is a change even when the fingerprint is not.
		$edit    = Local_Edits::detect( $post );
		$content = null !== $edit && Local_Edits::sync_enabled();
		if ( $same && $known && ! $content ) {
			if ( null !== $edit ) {
				Local_Edits::store_edit( (int) $post->ID, $edit['edit'] );
			}
			return false;
		}
		$seq = self::next_seq( $marker );
		// Durable in this order (Support\Post_Meta_Batch: one or two statements instead of three queries a key):
		// the content marker, then the pending marker, then what the next save compares against (fingerprint,
		// edit marker) and the list's state. A crash leaves a prefix: the next save records the change again.
		$stages = array();
		if ( $content ) {
			$stages[] = array( Local_Edits::key( 'content_pending_key' ) => $seq );
		}
		$stages[] = array( self::marker_key() => $seq );
		// Manual sync mode (SPEC §6): the change waits for Sync now / Sync all pending, and the list says so.
		$after = array(
			self::fingerprint_key()                => $fingerprint,
			Contract::meta_key( 'sync_state' ) => 'manual' === Settings::get( 'igny8_sync_mode' ) ? 'pending_manual' : 'pending',
		);
		if ( null !== $edit && null !== $edit['edit'] ) {
			$after[ Local_Edits::key( 'edit_key' ) ] = (string) wp_json_encode( $edit['edit'] );
		}
		$stages[] = $after;
		Post_Meta_Batch::write( (int) $post->ID, $stages );
		if ( null !== $edit && null === $edit['edit'] ) {
			Local_Edits::store_edit( (int) $post->ID, null );
		}
		return true;
	}

	/**
	 * The sync event of a post, read now: the post as every operation reads it (Content\Post_Reader: raw meta of
	 * the contract keys, terms) plus `seq`, the pending marker. PHP knows no IGNY8 field: the sidecar turns this
	 * into IGNY8's payloads. Null when the post carries no marker.
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,mixed>|null
	 */
	public static function snapshot( \WP_Post $post ): ?array {
		$seq = (string) get_post_meta( $post->ID, self::marker_key(), true );
		if ( '' === $seq ) {
			return null;
		}
		return Post_Reader::read( $post, false ) + array( 'seq' => $seq );
	}

	/**
	 * Records the permanent deletion of a synced post in the Outbox (one option per post, so concurrent deletes
	 * never overwrite each other) and returns its snapshot.
	 *
	 * @param \WP_Post $post Post about to be deleted.
	 * @return array<string,mixed>
	 */
	public static function record_deletion( \WP_Post $post ): array {
		$outbox       = Outbox::deleted_posts();
		$previous_seq = $outbox->seq( (int) $post->ID );
		$snapshot     = array(
			'status' => self::DELETED_STATUS,
			'seq'    => self::next_seq( max( $previous_seq, (string) get_post_meta( $post->ID, self::marker_key(), true ) ) ),
		) + Post_Reader::read( $post, false );
		$outbox->put( (int) $post->ID, $snapshot );
		return $snapshot;
	}
}
