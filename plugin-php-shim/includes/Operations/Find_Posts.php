<?php
/**
 * Operation `find_posts`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Content\Post_Reader;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"find_posts", meta_key, meta_value?, post_id?, limit?, terms?}` → `{posts:[POST]}`.
 * `meta_key` is one of the contract's lookup keys; without `meta_value` it matches posts that have the key.
 * `terms: false` leaves the terms out (`terms` is then `{}`): the lookups answer without them, and reading them
 * cost three queries (relationships, terms, term meta).
 * Searches every status (trash included) of every allowed post type, and returns managed posts only
 * (Content\Managed_Posts), oldest first: the sidecar picks the post of a content id from them by the same rule.
 */
final class Find_Posts implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		$key = $args['meta_key'] ?? null;
		if ( ! is_string( $key ) || ! in_array( $key, (array) Contract::meta( 'lookup_keys' ), true ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'meta_key must be one of: ' . implode( ', ', (array) Contract::meta( 'lookup_keys' ) ) . '.', 'meta_key' );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$types = Managed_Posts::post_types();
		if ( ! $types ) {
			return array( 'posts' => array() );
		}
		$key        = (string) $args['meta_key'];
		$with_terms = ! isset( $args['terms'] ) || false !== $args['terms'];
		$value      = isset( $args['meta_value'] ) ? (string) $args['meta_value'] : null;
		$meta_query = array(
			'relation' => 'AND',
			null === $value
				? array(
					'key'     => $key,
					'compare' => 'EXISTS',
				)
				: array(
					'key'     => $key,
					'value'   => $value,
					'compare' => '=',
				),
		);
		$query = array(
			'post_type'              => $types,
			'post_status'            => Managed_Posts::all_statuses(),
			'meta_query'             => $meta_query, // phpcs:ignore WordPress.DB.SlowDBQuery -- the lookup the contract defines.
			'posts_per_page'         => (int) ( $args['limit'] ?? 10 ),
			'orderby'                => 'ID',
			'order'                  => 'ASC',
			'no_found_rows'          => true,
			'ignore_sticky_posts'    => true,
			'suppress_filters'       => true,
			'update_post_meta_cache' => true,
			'update_post_term_cache' => $with_terms,
			// Post_Reader loads the term meta it needs (the plugin's own terms) in one query; queued for lazy
			// loading, the other terms' meta would be read by a second one at the first get_term_meta().
			'lazy_load_term_meta'    => false,
		);
		if ( isset( $args['post_id'] ) ) {
			$query['p'] = (int) $args['post_id'];
		}

		$posts = array();
		foreach ( get_posts( $query ) as $post ) {
			if ( $post instanceof \WP_Post && Managed_Posts::is_managed( $post ) ) {
				$posts[] = Post_Reader::read( $post, true, $with_terms );
			}
		}
		return array( 'posts' => $posts );
	}
}
