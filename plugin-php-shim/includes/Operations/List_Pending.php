<?php
/**
 * Internal operation `list_pending`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"list_pending", limit?<=500, after_id?}` → `{pending:[{post_id, seq}], next_after_id:int|null}`.
 * Managed posts (of the contract post types, any status) that carry the pending marker, by ascending id;
 * `next_after_id` is set when there may be more (pass it as `after_id`). `seq` is the raw marker value.
 */
final class List_Pending implements Operation {

	public const MAX_LIMIT = 500;

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		Args::int( $args, 'limit', 100, 1, self::MAX_LIMIT );
		Args::int( $args, 'after_id', 0, 0, PHP_INT_MAX );
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		global $wpdb;
		$limit    = Args::int( $args, 'limit', 100, 1, self::MAX_LIMIT );
		$after_id = Args::int( $args, 'after_id', 0, 0, PHP_INT_MAX );
		$types    = Contract::post_types();
		$in_types = implode( ', ', array_fill( 0, count( $types ), '%s' ) );

		// phpcs:disable WordPress.DB -- one bounded, prepared read over core tables.
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT p.ID AS post_id, pm.meta_value AS seq
				FROM {$wpdb->posts} p
				INNER JOIN {$wpdb->postmeta} pm ON pm.post_id = p.ID AND pm.meta_key = %s
				WHERE p.ID > %d
				AND p.post_type IN ({$in_types})
				AND EXISTS ( SELECT 1 FROM {$wpdb->postmeta} m WHERE m.post_id = p.ID AND m.meta_key = %s AND m.meta_value <> '' )
				ORDER BY p.ID ASC, pm.meta_id ASC
				LIMIT %d",
				array_merge(
					array( (string) Contract::meta( 'pending_marker_key' ), $after_id ),
					$types,
					array( Managed_Posts::marker_key(), $limit )
				)
			),
			ARRAY_A
		);
		// phpcs:enable

		$pending = array();
		foreach ( is_array( $rows ) ? $rows : array() as $row ) {
			// A post with two marker rows (should not happen) is listed once, with its newest value.
			$pending[ (int) $row['post_id'] ] = (string) $row['seq'];
		}
		$list = array();
		foreach ( $pending as $post_id => $seq ) {
			$list[] = array(
				'post_id' => $post_id,
				'seq'     => $seq,
			);
		}
		return array(
			'pending'       => $list,
			'next_after_id' => count( (array) $rows ) >= $limit && $list ? (int) end( $list )['post_id'] : null,
		);
	}
}
