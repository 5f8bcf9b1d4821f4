<?php
/**
 * The one rule for "a managed post" and for "the post of a content id" (contract `meta.content_id_rule`).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Content;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A managed post is a post of an allowed post type (setting `igny8_allowed_post_types`) that carries one of the
 * managed keys (contract `meta.managed_keys`: the content id or the task id). The post of a content
 * id is, among the managed posts carrying it in every status but `inherit` (trash and auto-draft included), the
 * oldest non-trashed one (lowest ID); only when all are trashed, the oldest trashed one (so a republish restores
 * it). Publish writes to that post, the lookups name it, the sync and the posts list use the same definition.
 */
final class Managed_Posts {

	/**
	 * Meta keys that make a post managed (contract `meta.managed_keys`).
	 *
	 * @return string[]
	 */
	public static function managed_keys(): array {
		return array_map( 'strval', (array) Contract::meta( 'managed_keys' ) );
	}

	/**
	 * The meta key holding the content id.
	 */
	public static function content_id_key(): string {
		return (string) Contract::meta( 'match_key' );
	}

	/**
	 * Post types whose posts can be managed.
	 *
	 * @return string[]
	 */
	public static function post_types(): array {
		return Settings::allowed_post_types();
	}

	/**
	 * Whether a post is managed.
	 *
	 * @param \WP_Post $post Post.
	 */
	public static function is_managed( \WP_Post $post ): bool {
		// The meta first: a save has the post's meta cached, while the first settings read of a request is a query
		// (an editor save of a post IGNY8 does not manage reads no setting).
		return self::carries_a_managed_key( (int) $post->ID ) && in_array( $post->post_type, self::post_types(), true );
	}

	/**
	 * Whether a post carries one of the managed keys (whatever its type).
	 *
	 * @param int $post_id Post id.
	 */
	public static function carries_a_managed_key( int $post_id ): bool {
		foreach ( self::managed_keys() as $key ) {
			if ( '' !== (string) get_post_meta( $post_id, $key, true ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * The managed post with this id.
	 *
	 * @param int $post_id Post id.
	 * @throws Bridge_Error POST_NOT_FOUND when it does not exist or is not managed.
	 */
	public static function get( int $post_id ): \WP_Post {
		$post = get_post( $post_id );
		if ( ! $post instanceof \WP_Post || ! self::is_managed( $post ) ) {
			throw new Bridge_Error( 'POST_NOT_FOUND', 'No IGNY8-managed post has this id.', 'post_id' );
		}
		return $post;
	}

	/**
	 * Every post status to search, trash and auto-draft included (not `inherit`: revisions and attachments).
	 *
	 * @return string[]
	 */
	public static function all_statuses(): array {
		return array_values( array_diff( array_keys( get_post_stati() ), array( 'inherit' ) ) );
	}

	/**
	 * Ids of the managed posts carrying this content id, the winner first (non-trashed before trashed, then the
	 * lowest ID). Read from the database, committed rows of every status but `inherit`.
	 *
	 * @param int $content_id Content id.
	 * @return int[]
	 */
	public static function ids_for_content_id( int $content_id ): array {
		global $wpdb;
		$types = self::post_types();
		if ( ! $types ) {
			return array();
		}
		$placeholders = implode( ', ', array_fill( 0, count( $types ), '%s' ) );
		// phpcs:disable WordPress.DB -- must see committed rows of every status, trash and auto-draft included.
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT DISTINCT p.ID AS id, p.post_status AS status FROM {$wpdb->posts} p INNER JOIN {$wpdb->postmeta} m ON m.post_id = p.ID
				WHERE m.meta_key = %s AND m.meta_value = %s AND p.post_type IN ({$placeholders}) AND p.post_status <> 'inherit'",
				array_merge( array( self::content_id_key(), (string) $content_id ), $types )
			),
			ARRAY_A
		);
		// phpcs:enable
		if ( ! is_array( $rows ) ) {
			return array();
		}
		usort(
			$rows,
			static function ( array $a, array $b ): int {
				return array( 'trash' === $a['status'], (int) $a['id'] ) <=> array( 'trash' === $b['status'], (int) $b['id'] );
			}
		);
		return array_values( array_unique( array_map( 'intval', array_column( $rows, 'id' ) ) ) );
	}

	/**
	 * The other non-trashed posts of a content id, besides the winner (duplicates: DUPLICATE_CONTENT_ID).
	 *
	 * @param int[] $ids What ids_for_content_id() returned.
	 * @return int[]
	 */
	public static function duplicates( array $ids ): array {
		$others = array();
		foreach ( array_slice( $ids, 1 ) as $id ) {
			if ( 'trash' !== get_post_status( $id ) ) {
				$others[] = (int) $id;
			}
		}
		return $others;
	}

	/**
	 * The post of a content id (the rule's winner), or null.
	 *
	 * @param int $content_id Content id.
	 */
	public static function for_content_id( int $content_id ): ?\WP_Post {
		$ids = self::ids_for_content_id( $content_id );
		if ( ! $ids ) {
			return null;
		}
		clean_post_cache( $ids[0] );
		$post = get_post( $ids[0] );
		return $post instanceof \WP_Post ? $post : null;
	}
}
