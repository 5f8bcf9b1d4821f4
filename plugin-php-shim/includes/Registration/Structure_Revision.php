<?php
/**
 * The site-structure revision counter.
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
 * Counts changes to what /site-metadata reports (published posts per type, terms and their counts, plugins,
 * theme). The counter travels in every request's `ctx.site.structure_rev`, so the sidecar drops its 5-minute
 * metadata cache as soon as it moves. Only changes of those figures move it: a post entering or leaving `publish`,
 * a published post's type or terms, a deleted post, a term. An edit that keeps the status (the usual editor save)
 * does not: it cost an UPDATE and a re-read of the option, and made the sidecar re-read the structure.
 */
final class Structure_Revision implements Feature {

	public const OPTION = 'igny8_structure_rev';

	/**
	 * Whether this request already moved the counter.
	 *
	 * @var bool
	 */
	private static bool $bumped = false;

	/**
	 * Whether more changes followed the first bump of this request (one more bump at shutdown covers them).
	 *
	 * @var bool
	 */
	private static bool $dirty = false;

	/**
	 * Whether one of the plugin's transactions is open (Operations\Transaction's `igny8_bridge_transaction`).
	 *
	 * @var bool
	 */
	private static bool $in_transaction = false;

	/**
	 * Whether the open transaction moved the counter: its later changes commit (or roll back) with that increment,
	 * so they need no bump of their own (a publish moved it twice: at its status and again at shutdown for its terms).
	 *
	 * @var bool
	 */
	private static bool $bumped_in_transaction = false;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'transition_post_status', array( $this, 'on_transition_post_status' ), 10, 3 );
		add_action( 'post_updated', array( $this, 'on_post_updated' ), 10, 3 );
		add_action( 'set_object_terms', array( $this, 'on_set_object_terms' ), 10, 6 );
		add_action( 'deleted_term_relationships', array( $this, 'on_deleted_term_relationships' ), 10, 3 );
		add_action( 'deleted_post', array( $this, 'on_deleted_post' ), 10, 2 );
		add_action( 'created_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'edited_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'delete_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'activated_plugin', array( self::class, 'bump' ) );
		add_action( 'deactivated_plugin', array( self::class, 'bump' ) );
		add_action( 'switch_theme', array( self::class, 'bump' ) );
		add_action( 'igny8_bridge_transaction', array( self::class, 'on_transaction' ) );
	}

	/**
	 * A transaction of the plugin started, committed or rolled back. A rolled-back increment is owed again.
	 *
	 * @param string $event `begin`, `commit` or `rollback`.
	 */
	public static function on_transaction( $event ): void {
		if ( 'rollback' === $event && self::$bumped_in_transaction ) {
			wp_cache_delete( self::OPTION, 'options' );
			self::$in_transaction        = false;
			self::$bumped_in_transaction = false;
			self::$bumped                = true;
			self::bump();
			return;
		}
		self::$in_transaction        = 'begin' === $event;
		self::$bumped_in_transaction = false;
	}

	/**
	 * Current revision.
	 */
	public static function current(): int {
		return (int) get_option( self::OPTION, 0 );
	}

	/**
	 * A post entered or left `publish` (what /site-metadata counts: published posts per type, and term counts,
	 * which count published posts). A save that keeps the status (a title or content edit) moves nothing.
	 *
	 * @param string   $new_status New status.
	 * @param string   $old_status Old status ('new' for a new post).
	 * @param \WP_Post $post       Post.
	 */
	public function on_transition_post_status( $new_status, $old_status, $post ): void {
		if ( $new_status === $old_status || ( 'publish' !== $new_status && 'publish' !== $old_status ) ) {
			return;
		}
		if ( $post instanceof \WP_Post && self::counted( $post->post_type ) ) {
			self::bump();
		}
	}

	/**
	 * A published post changed its post type (the counts of both types move).
	 *
	 * @param int      $post_id Post id.
	 * @param \WP_Post $after   Post after the update.
	 * @param \WP_Post $before  Post before the update.
	 */
	public function on_post_updated( $post_id, $after, $before ): void {
		if ( ! $after instanceof \WP_Post || ! $before instanceof \WP_Post || $after->post_type === $before->post_type ) {
			return;
		}
		if ( ( 'publish' === $after->post_status || 'publish' === $before->post_status ) && ( self::counted( $after->post_type ) || self::counted( $before->post_type ) ) ) {
			self::bump();
		}
	}

	/**
	 * Terms were set on an object: the term counts move when a published post gains or loses a term.
	 *
	 * @param int    $object_id  Object id.
	 * @param array  $terms      Terms as given.
	 * @param array  $tt_ids     Term taxonomy ids now set.
	 * @param string $taxonomy   Taxonomy.
	 * @param bool   $append     Whether the terms were appended.
	 * @param array  $old_tt_ids Term taxonomy ids before.
	 */
	public function on_set_object_terms( $object_id, $terms, $tt_ids, $taxonomy, $append, $old_tt_ids ): void {
		$now    = array_map( 'intval', (array) $tt_ids );
		$before = array_map( 'intval', (array) $old_tt_ids );
		sort( $now );
		sort( $before );
		if ( $now !== $before ) {
			self::on_relationships_changed( (int) $object_id, (string) $taxonomy );
		}
	}

	/**
	 * Terms were removed from an object (wp_remove_object_terms()).
	 *
	 * @param int    $object_id Object id.
	 * @param array  $tt_ids    Term taxonomy ids removed.
	 * @param string $taxonomy  Taxonomy.
	 */
	public function on_deleted_term_relationships( $object_id, $tt_ids, $taxonomy ): void {
		if ( $tt_ids ) {
			self::on_relationships_changed( (int) $object_id, (string) $taxonomy );
		}
	}

	/**
	 * The terms of an object changed: bump when it is a published post of a counted type, in a public taxonomy.
	 *
	 * @param int    $object_id Object id.
	 * @param string $taxonomy  Taxonomy.
	 */
	private static function on_relationships_changed( int $object_id, string $taxonomy ): void {
		$object = get_taxonomy( $taxonomy );
		if ( $object && ! $object->public ) {
			return;
		}
		$post = get_post( $object_id );
		if ( $post instanceof \WP_Post && 'publish' === $post->post_status && self::counted( $post->post_type ) ) {
			self::bump();
		}
	}

	/**
	 * Whether /site-metadata counts posts of this type.
	 *
	 * @param string $post_type Post type.
	 */
	private static function counted( string $post_type ): bool {
		return in_array( $post_type, Contract::post_types(), true );
	}

	/**
	 * A post was deleted permanently.
	 *
	 * @param int           $post_id Post id.
	 * @param \WP_Post|null $post    Post (WordPress 5.5+).
	 */
	public function on_deleted_post( $post_id, $post = null ): void {
		if ( ! $post instanceof \WP_Post || in_array( $post->post_type, Contract::post_types(), true ) ) {
			self::bump();
		}
	}

	/**
	 * A term of a public taxonomy was created, edited or deleted.
	 *
	 * @param int    $term_id  Term id.
	 * @param int    $tt_id    Term taxonomy id.
	 * @param string $taxonomy Taxonomy.
	 */
	public function on_term_change( $term_id, $tt_id, $taxonomy ): void {
		$object = get_taxonomy( (string) $taxonomy );
		if ( ! $object || $object->public ) {
			self::bump();
		}
	}

	/**
	 * Moves the counter (atomically in SQL, so concurrent requests never write the same value twice).
	 */
	public static function bump(): void {
		if ( self::$bumped_in_transaction ) {
			return;
		}
		if ( self::$bumped ) {
			if ( ! self::$dirty ) {
				self::$dirty = true;
				add_action( 'shutdown', array( self::class, 'increment' ) );
			}
			return;
		}
		self::$bumped                = true;
		self::$bumped_in_transaction = self::$in_transaction;
		self::increment();
	}

	/**
	 * One increment of the stored counter.
	 */
	public static function increment(): void {
		global $wpdb;
		// The value this request read (Support\Option_Cache primes it), when only this request's memory holds it.
		$before = wp_using_ext_object_cache() ? false : wp_cache_get( self::OPTION, 'options' );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- atomic increment; the options cache is updated below.
		$updated = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = option_value + 1 WHERE option_name = %s", self::OPTION ) );
		if ( $updated && is_numeric( $before ) ) {
			// No re-read for the notify's ctx: the sidecar only compares revisions, and a concurrent bump it would
			// miss here reaches it with the next request, which reads the stored value afresh.
			wp_cache_set( self::OPTION, (string) ( (int) $before + 1 ), 'options' );
			return;
		}
		wp_cache_delete( self::OPTION, 'options' );
		if ( ! $updated && ! add_option( self::OPTION, 1, '', 'no' ) ) {
			update_option( self::OPTION, self::current() + 1 );
		}
	}
}
