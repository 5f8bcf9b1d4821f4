<?php
/**
 * The IGNY8 cluster and sector taxonomies.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Registration;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers `igny8_clusters` and `igny8_sectors` (hierarchical, in REST) for posts and pages, and for WooCommerce
 * products once that post type exists.
 */
final class Taxonomies implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'register_taxonomies' ), 9 );
		// WooCommerce registers `product` on init 5; attach late so any product type registered on init is seen.
		add_action( 'init', array( $this, 'attach_to_products' ), 99 );
		// Core recounts every term of every taxonomy of a post on each save, status changed or not
		// (_update_term_count_on_transition_post_status, priority 10), one taxonomy at a time (a term query, the
		// terms' rows, an UPDATE and a cache query each). Ours are recounted here instead, only when the status
		// changes, both taxonomies in one lookup and one UPDATE.
		add_action( 'transition_post_status', array( $this, 'open_recount_window' ), 9, 3 );
		add_action( 'transition_post_status', array( $this, 'close_recount_window' ), 11, 0 );
		add_filter( 'wp_get_object_terms_args', array( $this, 'no_meta_for_recount' ), 10, 3 );
		// post_class() (every post of a front-end loop) builds a class from each term of each public taxonomy:
		// ours are structure for IGNY8 and editors, with no front-end archive to style against.
		add_filter( 'post_class_taxonomies', array( $this, 'no_term_classes' ), 10, 1 );
	}

	/**
	 * Leaves the IGNY8 taxonomies out of the term classes post_class() adds (`igny8_clusters-<slug>`): each of them is
	 * a get_the_terms() and a sanitize_html_class() per term per post on every front-end loop (callgrind, php -S +
	 * SQLite, a front page of 10 posts, 9 of them IGNY8's with a cluster and a sector: the plugin's share of the view
	 * +5.49M -> +4.16M instructions, 1.67% -> 1.26%). The taxonomies stay public (site metadata and the structure
	 * revision read that). WordPress 6.1 added the filter; the plugin requires 6.1.
	 *
	 * @param mixed $taxonomies Taxonomy names (core: the public ones).
	 * @return mixed
	 */
	public function no_term_classes( $taxonomies ) {
		if ( ! is_array( $taxonomies ) ) {
			return $taxonomies;
		}
		return array_diff( $taxonomies, array_keys( Contract::registered_taxonomies() ) );
	}

	/**
	 * The post whose terms core is recounting right now (0: none): ours are done already (open_recount_window).
	 *
	 * @var int
	 */
	private static int $recount_post = 0;

	/**
	 * Whether the terms of the post in the window (every taxonomy) are in the object term cache (prime_post_terms()).
	 *
	 * @var bool
	 */
	private static bool $recount_cached = false;

	/**
	 * WP_Term_Query arguments that leave out some of the terms a lookup by object would return.
	 *
	 * @var string[]
	 */
	private const NARROWING_VARS = array(
		'include',
		'exclude',
		'exclude_tree',
		'number',
		'offset',
		'search',
		'name',
		'slug',
		'term_taxonomy_id',
		'parent',
		'child_of',
		'childless',
		'name__like',
		'description__like',
		'meta_query',
		'meta_key',
		'meta_value',
	);

	/**
	 * Before core's recount (priority 10). A save that keeps the status leaves every term count of the post as it
	 * was: term changes are counted where they happen (wp_set_object_terms(), wp_remove_object_terms()), and a
	 * count counts posts of a status, so only a status change moves the counts of terms the post keeps. On a
	 * status change the post's terms of our taxonomies are recounted here, all at once.
	 *
	 * @param string   $new_status New status.
	 * @param string   $old_status Old status.
	 * @param \WP_Post $post       Post.
	 */
	public function open_recount_window( $new_status, $old_status, $post ): void {
		self::$recount_post   = $post instanceof \WP_Post ? (int) $post->ID : 0;
		self::$recount_cached = false;
		// Only while the window is open: every term query runs this filter (about ten on a front page).
		add_filter( 'terms_pre_query', array( $this, 'skip_needless_recount' ), 10, 2 );
		if ( $new_status !== $old_status && $post instanceof \WP_Post ) {
			self::recount_post_terms( $post );
		}
	}

	/**
	 * After core's recount.
	 */
	public function close_recount_window(): void {
		self::$recount_post   = 0;
		self::$recount_cached = false;
		remove_filter( 'terms_pre_query', array( $this, 'skip_needless_recount' ), 10 );
	}

	/**
	 * Core's recount (priority 10) asks for the post's terms one taxonomy at a time, a term query each (3 for a
	 * post: category, post_tag, post_format; ours are answered by skip_needless_recount()), and a status change
	 * looked ours up once more (recount_post_terms()). At the first of those lookups the terms of all the post's
	 * taxonomies are read in one query instead (update_object_term_cache(), as core's get_the_terms() fills it) and
	 * every lookup of the window is answered from that cache: in a REST save, whose reply reads every taxonomy of
	 * the post (Sync\Change_Recorder primed it after the save), the query only moves earlier; elsewhere only where
	 * it replaces two of core's lookups or more (not for a page). wp_insert_post() cleaned the post's
	 * term cache just before (clean_post_cache()), so it is read from the database after the post's terms were
	 * written. Nothing is read when no lookup comes (a core that skips the recount when the status stays).
	 *
	 * @return bool Whether the post's terms of every taxonomy are in the cache now.
	 */
	private static function prime_post_terms(): bool {
		if ( self::$recount_cached ) {
			return true;
		}
		$post = 0 === self::$recount_post ? null : get_post( self::$recount_post );
		if ( ! $post instanceof \WP_Post ) {
			return false;
		}
		$taxonomies = get_object_taxonomies( $post->post_type );
		$others     = array_diff( $taxonomies, array_keys( Contract::registered_taxonomies() ) );
		$rest       = defined( 'REST_REQUEST' ) && REST_REQUEST && count( $others ) < count( $taxonomies );
		if ( ! $rest && count( $others ) < 2 ) {
			return false;
		}
		update_object_term_cache( array( (int) $post->ID ), $post->post_type );
		self::$recount_cached = true;
		return true;
	}

	/**
	 * Recounts the post's terms of our taxonomies: one lookup of their term taxonomy ids, one UPDATE for all of them
	 * (count_terms()), the term cache cleaned by id (no query).
	 *
	 * @param \WP_Post $post Post.
	 */
	private static function recount_post_terms( \WP_Post $post ): void {
		global $wpdb;
		$ours = array();
		foreach ( array_keys( Contract::registered_taxonomies() ) as $taxonomy ) {
			if ( taxonomy_exists( $taxonomy ) && is_object_in_taxonomy( $post->post_type, $taxonomy ) ) {
				$ours[] = $taxonomy;
			}
		}
		if ( ! $ours ) {
			return;
		}
		$found = self::cached_terms( (int) $post->ID, $ours );
		if ( null === $found ) {
			$in = implode( ',', array_fill( 0, count( $ours ), '%s' ) );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- one lookup for both taxonomies; $in is only placeholders.
			$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT tt.term_taxonomy_id, tt.term_id, tt.taxonomy FROM {$wpdb->term_relationships} AS tr INNER JOIN {$wpdb->term_taxonomy} AS tt ON tt.term_taxonomy_id = tr.term_taxonomy_id WHERE tr.object_id = %d AND tt.taxonomy IN ( {$in} )", array_merge( array( (int) $post->ID ), $ours ) ) );
			$found = array();
			foreach ( (array) $rows as $row ) {
				$found[ (string) $row->taxonomy ][ (int) $row->term_taxonomy_id ] = (int) $row->term_id;
			}
		}
		if ( wp_defer_term_counting() ) {
			// Deferred (an import): core counts them when counting resumes.
			foreach ( $found as $taxonomy => $terms ) {
				wp_update_term_count( array_keys( $terms ), $taxonomy );
			}
			return;
		}
		self::count_terms( array_map( 'array_keys', $found ) );
		foreach ( $found as $taxonomy => $terms ) {
			clean_term_cache( array_values( $terms ), $taxonomy, false );
		}
	}

	/**
	 * The post's terms of these taxonomies from the object term cache, primed at the window's first lookup
	 * (prime_post_terms()): taxonomy => [ term taxonomy id => term id ] (a taxonomy without terms left out, as the
	 * lookup's rows do). Null when it is not primed or a taxonomy is not cached (the lookup runs).
	 *
	 * @param int      $post_id    Post id.
	 * @param string[] $taxonomies Taxonomies.
	 * @return array<string,array<int,int>>|null
	 */
	private static function cached_terms( int $post_id, array $taxonomies ): ?array {
		if ( self::$recount_post !== $post_id || ! self::prime_post_terms() ) {
			return null;
		}
		$found = array();
		foreach ( $taxonomies as $taxonomy ) {
			$terms = get_object_term_cache( $post_id, (string) $taxonomy );
			if ( ! is_array( $terms ) ) {
				return null;
			}
			foreach ( $terms as $term ) {
				$found[ (string) $taxonomy ][ (int) $term->term_taxonomy_id ] = (int) $term->term_id;
			}
		}
		return $found;
	}

	/**
	 * Core's recount asks for the post's term taxonomy ids of each taxonomy; for ours the answer is "none to
	 * recount" (no query, no recount, no term cache flush): open_recount_window did it. Any other query runs.
	 *
	 * @param array|null     $terms Short-circuit result (null: run the query).
	 * @param \WP_Term_Query $query The query.
	 * @return array|null
	 */
	public function skip_needless_recount( $terms, $query ) {
		if ( null !== $terms || 0 === self::$recount_post || ! $query instanceof \WP_Term_Query ) {
			return $terms;
		}
		$vars = $query->query_vars;
		if ( 'tt_ids' !== ( $vars['fields'] ?? '' ) || wp_parse_id_list( $vars['object_ids'] ?? array() ) !== array( self::$recount_post ) ) {
			return $terms;
		}
		$taxonomies = array_map( 'strval', (array) ( $vars['taxonomy'] ?? array() ) );
		if ( self::only_ours( $taxonomies ) ) {
			return array();
		}
		// Core's lookup for another taxonomy (no argument that narrows the terms): from the cache primed at the
		// window's first lookup, the same ids its query would return (the order does not matter to a count).
		foreach ( self::NARROWING_VARS as $narrowing ) {
			if ( ! empty( $vars[ $narrowing ] ) ) {
				return $terms;
			}
		}
		$found = $taxonomies ? self::cached_terms( self::$recount_post, $taxonomies ) : null;
		if ( null === $found ) {
			return $terms;
		}
		$tt_ids = array();
		foreach ( $found as $ids ) {
			$tt_ids = array_merge( $tt_ids, array_keys( $ids ) );
		}
		return $tt_ids;
	}

	/**
	 * A recount's term lookup (fields tt_ids) of our taxonomies needs no term meta.
	 *
	 * @param array<string,mixed> $args       Query arguments.
	 * @param int[]               $object_ids Object ids.
	 * @param string[]            $taxonomies Taxonomies.
	 * @return array<string,mixed>
	 */
	public function no_meta_for_recount( $args, $object_ids, $taxonomies ) {
		if ( is_array( $args ) && 'tt_ids' === ( $args['fields'] ?? '' ) && self::only_ours( (array) $taxonomies ) ) {
			$args['update_term_meta_cache'] = false;
		}
		return $args;
	}

	/**
	 * Whether the list names only the plugin's own taxonomies (and at least one).
	 *
	 * @param array<int,mixed> $taxonomies Taxonomy names.
	 */
	private static function only_ours( array $taxonomies ): bool {
		return $taxonomies && ! array_diff( array_map( 'strval', $taxonomies ), array_keys( Contract::registered_taxonomies() ) );
	}

	/**
	 * Registers the contract's own taxonomies.
	 */
	public function register_taxonomies(): void {
		foreach ( Contract::registered_taxonomies() as $taxonomy => $definition ) {
			$label    = (string) $definition['label'];
			$singular = (string) $definition['singular'];
			register_taxonomy(
				$taxonomy,
				array( 'post', 'page' ),
				array(
					'labels'             => array(
						'name'          => $label,
						'singular_name' => $singular,
						'menu_name'     => $label,
						'all_items'     => $label,
						/* translators: %s: singular taxonomy label. */
						'edit_item'     => sprintf( __( 'Edit %s', 'igny8-bridge' ), $singular ),
						/* translators: %s: singular taxonomy label. */
						'add_new_item'  => sprintf( __( 'Add New %s', 'igny8-bridge' ), $singular ),
						/* translators: %s: plural taxonomy label. */
						'search_items'  => sprintf( __( 'Search %s', 'igny8-bridge' ), $label ),
					),
					'hierarchical'       => ! empty( $definition['hierarchical'] ),
					'public'             => true,
					// Structure for IGNY8 and editors, not front-end archives (no rewrite rules to flush).
					'publicly_queryable' => false,
					'rewrite'            => false,
					'query_var'          => false,
					'show_ui'            => true,
					'show_in_nav_menus'  => false,
					'show_admin_column'  => true,
					'show_in_rest'       => true,
					'rest_controller_class' => Terms_Rest_Controller::class,
					'update_count_callback' => array( self::class, 'update_count' ),
				)
			);
		}
	}

	/**
	 * Term counts as core's _update_post_term_count() has them (posts of the taxonomy's object types in the
	 * statuses of `update_post_term_count_statuses`, default publish), in one UPDATE for all the terms instead of a
	 * SELECT COUNT and an UPDATE per term.
	 *
	 * @param int[]        $terms    Term taxonomy ids.
	 * @param \WP_Taxonomy $taxonomy Taxonomy.
	 */
	public static function update_count( $terms, $taxonomy ): void {
		if ( $taxonomy instanceof \WP_Taxonomy ) {
			self::count_terms( array( $taxonomy->name => (array) $terms ) );
		}
	}

	/**
	 * update_count() for several taxonomies at once: one UPDATE for all the terms of taxonomies that count the same
	 * object types in the same statuses (ours do).
	 *
	 * @param array<string,int[]> $by_taxonomy Term taxonomy ids per taxonomy name.
	 */
	private static function count_terms( array $by_taxonomy ): void {
		global $wpdb;
		$groups = array();
		$done   = array();
		foreach ( $by_taxonomy as $name => $terms ) {
			$terms    = array_values( array_filter( array_map( 'intval', $terms ) ) );
			$taxonomy = get_taxonomy( (string) $name );
			if ( ! $terms || ! $taxonomy instanceof \WP_Taxonomy ) {
				continue;
			}
			$types = array();
			foreach ( (array) $taxonomy->object_type as $object_type ) {
				$type = strtok( (string) $object_type, ':' );
				if ( is_string( $type ) && post_type_exists( $type ) ) {
					$types[ $type ] = true;
				}
			}
			/** This filter is documented in wp-includes/taxonomy.php (_update_post_term_count). */
			$statuses = array_values( array_map( 'strval', (array) apply_filters( 'update_post_term_count_statuses', array( 'publish' ), $taxonomy ) ) );
			foreach ( $terms as $term ) {
				/** This action is documented in wp-includes/taxonomy.php. */
				do_action( 'edit_term_taxonomy', $term, $taxonomy->name );
			}
			$types = array_keys( $types );
			sort( $types );
			sort( $statuses );
			$key                        = (string) wp_json_encode( array( $types, $statuses ) );
			$groups[ $key ]['types']    = $types;
			$groups[ $key ]['statuses'] = $statuses;
			$groups[ $key ]['terms']    = array_merge( $groups[ $key ]['terms'] ?? array(), $terms );
			$done[ $taxonomy->name ]    = $terms;
		}
		foreach ( $groups as $group ) {
			$terms   = $group['terms'];
			$term_in = implode( ',', array_fill( 0, count( $terms ), '%d' ) );
			if ( $group['types'] && $group['statuses'] ) {
				$type_in   = implode( ',', array_fill( 0, count( $group['types'] ), '%s' ) );
				$status_in = implode( ',', array_fill( 0, count( $group['statuses'] ), '%s' ) );
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- core's term count, one statement; the *_in strings are only placeholders; the caller cleans the term cache.
				$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->term_taxonomy} SET count = ( SELECT COUNT(*) FROM {$wpdb->term_relationships} AS tr INNER JOIN {$wpdb->posts} AS p ON p.ID = tr.object_id WHERE tr.term_taxonomy_id = {$wpdb->term_taxonomy}.term_taxonomy_id AND p.post_status IN ( {$status_in} ) AND p.post_type IN ( {$type_in} ) ) WHERE term_taxonomy_id IN ( {$term_in} )", array_merge( $group['statuses'], $group['types'], $terms ) ) );
			} else {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- as above: no countable post type.
				$wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->term_taxonomy} SET count = 0 WHERE term_taxonomy_id IN ( {$term_in} )", $terms ) );
			}
		}
		foreach ( $done as $name => $terms ) {
			foreach ( $terms as $term ) {
				/** This action is documented in wp-includes/taxonomy.php. */
				do_action( 'edited_term_taxonomy', $term, $name );
			}
		}
	}

	/**
	 * Adds the taxonomies to `product` when it exists.
	 */
	public function attach_to_products(): void {
		if ( ! post_type_exists( 'product' ) || ! in_array( 'product', Contract::post_types(), true ) ) {
			return;
		}
		foreach ( array_keys( Contract::registered_taxonomies() ) as $taxonomy ) {
			register_taxonomy_for_object_type( $taxonomy, 'product' );
		}
	}
}
