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
 * Counts changes to what /site-metadata reports (posts, terms, plugins, theme). The counter travels in every
 * request's `ctx.site.structure_rev`, so the sidecar drops its 5-minute metadata cache as soon as it moves.
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
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'save_post', array( $this, 'on_save_post' ), 10, 2 );
		add_action( 'deleted_post', array( $this, 'on_deleted_post' ), 10, 2 );
		add_action( 'created_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'edited_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'delete_term', array( $this, 'on_term_change' ), 10, 3 );
		add_action( 'activated_plugin', array( self::class, 'bump' ) );
		add_action( 'deactivated_plugin', array( self::class, 'bump' ) );
		add_action( 'switch_theme', array( self::class, 'bump' ) );
	}

	/**
	 * Current revision.
	 */
	public static function current(): int {
		return (int) get_option( self::OPTION, 0 );
	}

	/**
	 * A post of a contract post type was saved (not revisions, autosaves or auto-drafts).
	 *
	 * @param int      $post_id Post id.
	 * @param \WP_Post $post    Post.
	 */
	public function on_save_post( $post_id, $post ): void {
		if ( ! $post instanceof \WP_Post || wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) ) {
			return;
		}
		if ( ( defined( 'DOING_AUTOSAVE' ) && DOING_AUTOSAVE ) || 'auto-draft' === $post->post_status ) {
			return;
		}
		if ( in_array( $post->post_type, Contract::post_types(), true ) ) {
			self::bump();
		}
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
		if ( self::$bumped ) {
			if ( ! self::$dirty ) {
				self::$dirty = true;
				add_action( 'shutdown', array( self::class, 'increment' ) );
			}
			return;
		}
		self::$bumped = true;
		self::increment();
	}

	/**
	 * One increment of the stored counter.
	 */
	public static function increment(): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- atomic increment; the options cache is cleared below.
		$updated = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->options} SET option_value = option_value + 1 WHERE option_name = %s", self::OPTION ) );
		wp_cache_delete( self::OPTION, 'options' );
		if ( ! $updated && ! add_option( self::OPTION, 1, '', 'no' ) ) {
			update_option( self::OPTION, self::current() + 1 );
		}
	}
}
