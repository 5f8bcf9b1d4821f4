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
	 * Query var marking this operation's WP_Query (rows_in_one_query() reads only that one).
	 */
	private const QUERY_VAR = 'igny8_find_posts';

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

		$query[ self::QUERY_VAR ] = true;

		if ( ! self::one_rows_query() ) {
			$found = get_posts( $query );
		} else {
			add_filter( 'posts_pre_query', array( self::class, 'rows_in_one_query' ), PHP_INT_MAX, 2 );
			try {
				$found = get_posts( $query );
			} finally {
				remove_filter( 'posts_pre_query', array( self::class, 'rows_in_one_query' ), PHP_INT_MAX );
			}
		}
		$posts = array();
		foreach ( $found as $post ) {
			if ( $post instanceof \WP_Post && Managed_Posts::is_managed( $post ) ) {
				$posts[] = Post_Reader::read( $post, true, $with_terms );
			}
		}
		return array( 'posts' => $posts );
	}

	/**
	 * Whether the post rows are read in one query (rows_in_one_query()): on the SQLite drop-in only, where every
	 * query is translated in PHP (~1.5M instructions each). On MySQL / MariaDB the one query's GROUP BY puts whole
	 * post rows (TEXT columns) in a temporary table, which goes to disk: measured on MariaDB, 0.35 ms against 0.25 ms
	 * for WordPress's id query plus rows query (Created_tmp_disk_tables 1 per lookup against 0), so it is left to
	 * WordPress there.
	 */
	public static function one_rows_query(): bool {
		return defined( 'SQLITE_DB_DROPIN_VERSION' );
	}

	/**
	 * `posts_pre_query` for this operation's own query: the post rows in one query instead of two. WP_Query splits a
	 * limited query into one for the ids and one for the rows (`_prime_post_caches`; on 6.1 also when the split is
	 * filtered off), one query per lookup on every IGNY8 lookup (~0.7 ms through the SQLite drop-in). Here the rows
	 * come from WP_Query's own SQL (`wp_posts.*`, the same joins, where, order and limit) and go into the caches the
	 * way `_prime_post_caches` puts them there (update_post_caches of the posts not cached yet: posts, then meta and
	 * terms as the query asks), so WP_Query finds them cached and reads nothing more. A result another filter
	 * already gave is left alone, and a query this operation did not make is never touched.
	 *
	 * @param array<int,mixed>|null $posts Posts a filter before this one returned, or null.
	 * @param \WP_Query             $query The query.
	 * @return array<int,mixed>|null The posts (WP_Post) or what the earlier filter gave.
	 */
	public static function rows_in_one_query( $posts, $query ) {
		global $wpdb;
		if ( null !== $posts || ! $query instanceof \WP_Query || true !== $query->get( self::QUERY_VAR ) || 1 !== preg_match( '/^\s*SELECT\s+' . preg_quote( $wpdb->posts, '/' ) . '\.\*\s+FROM\s/i', (string) $query->request ) ) {
			return $posts;
		}
		$rows = $wpdb->get_results( $query->request );
		if ( ! is_array( $rows ) ) {
			return $posts;
		}
		// As _prime_post_caches(): only the posts no cache holds are cached (with their meta and terms), and a cached
		// post is returned as the cache holds it.
		$fresh = array_values(
			array_filter(
				$rows,
				static function ( $row ): bool {
					return false === wp_cache_get( (int) $row->ID, 'posts' );
				}
			)
		);
		if ( $fresh ) {
			update_post_caches( $fresh, 'any', (bool) $query->get( 'update_post_term_cache' ), (bool) $query->get( 'update_post_meta_cache' ) );
		}
		return array_map(
			static function ( $row ) {
				return get_post( (int) $row->ID ) ?? $row;
			},
			$rows
		);
	}
}
