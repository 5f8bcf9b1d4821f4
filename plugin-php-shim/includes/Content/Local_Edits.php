<?php
/**
 * WordPress edits of managed posts: what IGNY8 wrote, what changed since, and the editor's version on overwrite.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Content;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Support\Post_Meta_Batch;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Contract `meta.local_edits` (issue #13 §4). Every IGNY8 write stores the SHA-256 of each listed post field as
 * finally stored (after kses, the block conversion and the body-image rewrite), so only a later save can differ.
 * A save that differs marks the post "edited in WordPress" (time, user, fields). The fields are WordPress's own
 * (title, content, excerpt): no IGNY8 field is known here.
 */
final class Local_Edits {

	/**
	 * The post fields compared (contract order).
	 *
	 * @return string[]
	 */
	public static function fields(): array {
		return array_map( 'strval', (array) self::spec()['fields'] );
	}

	/**
	 * The SHA-256 of each field as stored now.
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,string>
	 */
	public static function hashes( \WP_Post $post ): array {
		$hashes = array();
		foreach ( self::fields() as $field ) {
			$hashes[ $field ] = hash( 'sha256', (string) ( $post->{$field} ?? '' ) );
		}
		return $hashes;
	}

	/**
	 * The fields that differ from what IGNY8 last wrote; empty when they match or nothing was recorded.
	 *
	 * @param \WP_Post $post Post.
	 * @return string[]
	 */
	public static function differing( \WP_Post $post ): array {
		$written = self::decode( (string) get_post_meta( $post->ID, self::key( 'written_hash_key' ), true ) );
		if ( null === $written ) {
			return array();
		}
		$differing = array();
		foreach ( self::hashes( $post ) as $field => $hash ) {
			if ( ! is_string( $written[ $field ] ?? null ) || ! hash_equals( $written[ $field ], $hash ) ) {
				$differing[] = $field;
			}
		}
		return $differing;
	}

	/**
	 * After an IGNY8 write: the new baseline, and the post is no longer "edited in WordPress".
	 *
	 * @param int $post_id Post id.
	 */
	public static function store_written( int $post_id ): void {
		clean_post_cache( $post_id );
		$post = get_post( $post_id );
		if ( ! $post instanceof \WP_Post ) {
			return;
		}
		Post_Meta_Batch::write( $post_id, array( array( self::key( 'written_hash_key' ) => (string) wp_json_encode( self::hashes( $post ) ) ) ) );
		$meta = get_post_meta( $post_id );
		foreach ( array( self::key( 'edit_key' ), self::key( 'content_pending_key' ) ) as $key ) {
			if ( ! is_array( $meta ) || isset( $meta[ $key ] ) ) {
				delete_post_meta( $post_id, $key );
			}
		}
	}

	/**
	 * A WordPress save of a managed post (outside Sync_Guard). Returns the edit to record when the fields changed
	 * since the last recorded state (an edit, or a revert to IGNY8's version), null when nothing is new for IGNY8
	 * (no baseline, the block editor's second save, a status-only change).
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,mixed>|null `{edit: array|null}`: the edit marker to store (null: delete it).
	 */
	public static function detect( \WP_Post $post ): ?array {
		$differing = self::differing( $post );
		$current   = self::decode( (string) get_post_meta( $post->ID, self::key( 'edit_key' ), true ) );
		if ( ! $differing ) {
			// Back to what IGNY8 wrote: IGNY8 heard of the edit, so it hears of the revert too.
			return null === $current ? null : array( 'edit' => null );
		}
		$hash = hash( 'sha256', (string) wp_json_encode( self::hashes( $post ) ) );
		if ( null !== $current && hash_equals( (string) ( $current['hash'] ?? '' ), $hash ) ) {
			return null;
		}
		$user = wp_get_current_user();
		return array(
			'edit' => array(
				'at'        => current_time( 'mysql', true ),
				'user_id'   => (int) $user->ID,
				'user_name' => $user->exists() ? (string) $user->display_name : '',
				'fields'    => $differing,
				'hash'      => $hash,
			),
		);
	}

	/**
	 * Stores (or deletes) the edit marker returned by detect(). Written last, after the pending marker: a crash
	 * before it lets the next save detect the edit again.
	 *
	 * @param int                      $post_id Post id.
	 * @param array<string,mixed>|null $edit    The marker, or null to delete it.
	 */
	public static function store_edit( int $post_id, ?array $edit ): void {
		if ( null === $edit ) {
			delete_post_meta( $post_id, self::key( 'edit_key' ) );
			return;
		}
		update_post_meta( $post_id, self::key( 'edit_key' ), wp_slash( (string) wp_json_encode( $edit ) ) );
	}

	/**
	 * Whether a local edit is delivered to IGNY8 (the content sync option, on by default).
	 */
	public static function sync_enabled(): bool {
		return (bool) Settings::get( (string) self::spec()['content_sync_option'] );
	}

	/**
	 * The seq of the content change waiting for IGNY8 ('' for none).
	 *
	 * @param int $post_id Post id.
	 */
	public static function pending_seq( int $post_id ): string {
		return (string) get_post_meta( $post_id, self::key( 'content_pending_key' ), true );
	}

	/**
	 * Marks the content as waiting for IGNY8 with the change's seq.
	 *
	 * @param int    $post_id Post id.
	 * @param string $seq     The change's seq.
	 */
	public static function mark_pending( int $post_id, string $seq ): void {
		update_post_meta( $post_id, self::key( 'content_pending_key' ), wp_slash( $seq ) );
	}

	/**
	 * After the sidecar cleared the pending marker `seq`: a content change recorded at or before it was delivered
	 * with it (the delivery read the content at that seq or later). Compare-and-clear by value.
	 *
	 * @param int    $post_id Post id.
	 * @param string $seq     The seq whose delivery succeeded.
	 */
	public static function clear_pending( int $post_id, string $seq ): void {
		$pending = self::pending_seq( $post_id );
		if ( '' !== $pending && self::seq_at_most( $pending, $seq ) ) {
			delete_post_meta( $post_id, self::key( 'content_pending_key' ), wp_slash( $pending ) );
		}
	}

	/**
	 * Before IGNY8 overwrites an edited post: the editor's version as a revision (the newest one when it already
	 * holds these fields, as after a block-editor save). Null when the post type keeps no revisions.
	 *
	 * @param \WP_Post $post The post as WordPress has it now.
	 */
	public static function keep_revision( \WP_Post $post ): ?int {
		if ( ! wp_revisions_enabled( $post ) ) {
			return null;
		}
		$current = self::hashes( $post );
		foreach ( wp_get_post_revisions( $post->ID, array( 'posts_per_page' => 1 ) ) as $revision ) {
			if ( $revision instanceof \WP_Post && self::hashes( $revision ) === $current ) {
				return (int) $revision->ID;
			}
		}
		$revision_id = _wp_put_post_revision( $post );
		return is_int( $revision_id ) && $revision_id > 0 ? $revision_id : null;
	}

	/**
	 * Whether the decimal seq `a` is at most `b` (both up to 19 digits: compared as strings, PHP ints overflow).
	 *
	 * @param string $a Seq.
	 * @param string $b Seq.
	 */
	private static function seq_at_most( string $a, string $b ): bool {
		if ( ! preg_match( '/^\d{1,19}$/', $a ) || ! preg_match( '/^\d{1,19}$/', $b ) ) {
			return false;
		}
		return strcmp( str_pad( $a, 19, '0', STR_PAD_LEFT ), str_pad( $b, 19, '0', STR_PAD_LEFT ) ) <= 0;
	}

	/**
	 * A meta key of the contract's `meta.local_edits`.
	 *
	 * @param string $name Key name (written_hash_key, edit_key, content_pending_key).
	 */
	public static function key( string $name ): string {
		return (string) self::spec()[ $name ];
	}

	/**
	 * The contract's `meta.local_edits`.
	 *
	 * @return array<string,mixed>
	 */
	private static function spec(): array {
		return (array) Contract::meta( 'local_edits' );
	}

	/**
	 * A JSON object meta value, or null.
	 *
	 * @param string $raw Stored value.
	 * @return array<string,mixed>|null
	 */
	private static function decode( string $raw ): ?array {
		if ( '' === $raw ) {
			return null;
		}
		$decoded = json_decode( $raw, true );
		return is_array( $decoded ) ? $decoded : null;
	}
}
