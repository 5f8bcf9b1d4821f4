<?php
/**
 * Internal operation `list_pending`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Sidecar\Context;
use Igny8\Bridge\Sync\Outbox;
use Igny8\Bridge\Sync\Sync_Posts;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"list_pending", limit?<=500, after_id?}` →
 * `{pending:[post event], deleted:[post event], next_after_id:int|null, site_uuid, site:{…}, settings:{…}}`.
 *
 * `pending`: managed posts (Content\Managed_Posts) that carry the pending marker, by ascending id, each as the same
 * post event the shutdown notify sends (contract `sync.post_event`: the post as Post_Reader reads it, plus `seq`),
 * so the sidecar's reconciler needs no other read. `next_after_id` is set when there may be more (pass it as `after_id`).
 * `deleted`: outbox entries of permanently deleted posts (first page only). `term_changes`: the term outbox
 * (Sync_Terms: reported taxonomy changes, first page only). `site` and `settings` are what a proxied
 * request's ctx carries, so the sidecar's worker knows the site's settings even if no request came in yet.
 */
final class List_Pending implements Operation {

	public const MAX_LIMIT = 500;

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
		$limit    = (int) ( $args['limit'] ?? 100 );
		$after_id = (int) ( $args['after_id'] ?? 0 );
		$types    = Managed_Posts::post_types() ?: array( '' ); // No allowed post type: nothing matches.
		$in_types = implode( ', ', array_fill( 0, count( $types ), '%s' ) );
		$managed  = Managed_Posts::managed_keys();
		$in_keys  = implode( ', ', array_fill( 0, count( $managed ), '%s' ) );

		// phpcs:disable WordPress.DB -- one bounded, prepared read over core tables.
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT DISTINCT p.ID
				FROM {$wpdb->posts} p
				INNER JOIN {$wpdb->postmeta} pm ON pm.post_id = p.ID AND pm.meta_key = %s AND pm.meta_value <> ''
				WHERE p.ID > %d
				AND p.post_type IN ({$in_types})
				AND EXISTS ( SELECT 1 FROM {$wpdb->postmeta} m WHERE m.post_id = p.ID AND m.meta_key IN ({$in_keys}) AND m.meta_value <> '' )
				ORDER BY p.ID ASC
				LIMIT %d",
				array_merge(
					array( Sync_Posts::marker_key(), $after_id ),
					$types,
					$managed,
					array( $limit )
				)
			)
		);
		// phpcs:enable

		$ids = array_map( 'intval', is_array( $ids ) ? $ids : array() );
		if ( $ids ) {
			update_meta_cache( 'post', $ids );
			_prime_post_caches( $ids, false, false );
		}
		$pending = array();
		foreach ( $ids as $post_id ) {
			$post = get_post( $post_id );
			if ( $post instanceof \WP_Post ) {
				$snapshot = Sync_Posts::snapshot( $post );
				if ( null !== $snapshot ) {
					$pending[] = $snapshot;
				}
			}
		}
		return array(
			'pending'       => $pending,
			'deleted'       => 0 === $after_id ? Outbox::deleted_posts()->pending( self::MAX_LIMIT ) : array(),
			'term_changes'  => 0 === $after_id ? Outbox::terms()->pending( self::MAX_LIMIT ) : array(),
			'next_after_id' => count( $ids ) >= $limit ? (int) end( $ids ) : null,
			'site_uuid'     => Site_Id::current(),
			'site'          => Context::site(),
			'settings'      => (object) Settings::for_wire(),
		);
	}
}
