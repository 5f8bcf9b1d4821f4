<?php
/**
 * Operation `list_managed`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Content\Post_Reader;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"list_managed", limit?<=200, after_id?}` → `{posts:[POST], next_after_id:int|null, total?:int}`.
 *
 * Read-only: one page of the managed posts (Content\Managed_Posts: an allowed post type, a managed key, any status
 * but `inherit`), by ascending id after `after_id`, each read as find_posts reads it without the `large` keys. It
 * is what a full re-sync walks (route settings_resync): the cursor is the last id, so a pass interrupted between
 * pages continues where it stopped. `next_after_id` is set when there may be more. `total` (the number of managed
 * posts) comes with the first page only (after_id 0), so later pages do not count the table again.
 */
final class List_Managed implements Operation {

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
		global $wpdb;
		$limit    = (int) ( $args['limit'] ?? 50 );
		$after_id = (int) ( $args['after_id'] ?? 0 );
		$types    = Managed_Posts::post_types() ?: array( '' ); // No allowed post type: nothing matches.
		$statuses = Managed_Posts::all_statuses() ?: array( '' );
		$managed  = Managed_Posts::managed_keys();
		$where    = sprintf(
			"p.post_type IN (%s) AND p.post_status IN (%s) AND EXISTS ( SELECT 1 FROM {$wpdb->postmeta} m WHERE m.post_id = p.ID AND m.meta_key IN (%s) AND m.meta_value <> '' )",
			implode( ', ', array_fill( 0, count( $types ), '%s' ) ),
			implode( ', ', array_fill( 0, count( $statuses ), '%s' ) ),
			implode( ', ', array_fill( 0, count( $managed ), '%s' ) )
		);
		$values   = array_merge( $types, $statuses, $managed );

		// phpcs:disable WordPress.DB -- bounded, prepared reads over core tables; $where holds placeholders only.
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p WHERE p.ID > %d AND {$where} ORDER BY p.ID ASC LIMIT %d",
				array_merge( array( $after_id ), $values, array( $limit ) )
			)
		);
		$total = 0 === $after_id
			? (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->posts} p WHERE {$where}", $values ) )
			: null;
		// phpcs:enable

		$ids = array_map( 'intval', is_array( $ids ) ? $ids : array() );
		if ( $ids ) {
			update_meta_cache( 'post', $ids );
			_prime_post_caches( $ids, true, false );
		}
		$posts = array();
		foreach ( $ids as $post_id ) {
			$post = get_post( $post_id );
			if ( $post instanceof \WP_Post ) {
				$posts[] = Post_Reader::read( $post, false );
			}
		}
		$page = array(
			'posts'         => $posts,
			'next_after_id' => count( $ids ) >= $limit ? (int) end( $ids ) : null,
		);
		if ( null !== $total ) {
			$page['total'] = $total;
		}
		return $page;
	}
}
