<?php
/**
 * Records WordPress-side changes of IGNY8-managed posts for the sync back to IGNY8.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * SPEC §10 "Sync hook": `wp_after_insert_post` only (REST saves, quick/bulk edit, cron's future→publish, trash,
 * untrash all end there, after meta and terms are saved). Revisions, autosaves, auto-drafts, posts IGNY8 does not
 * manage and the plugin's own writes (Sync_Guard: IGNY8's publish, sidecar write-backs) are skipped. Each change
 * is first made durable as the pending marker in post meta; the post ids of the request are collected, and the
 * sidecar is told once, at `shutdown`, with snapshots read then, after the client has its response where the
 * SAPI allows (Event_Notifier::finish_response). A permanent delete goes to an outbox option.
 */
final class Change_Recorder implements Feature {

	/**
	 * Posts changed in this request: post id => true.
	 *
	 * @var array<int,bool>
	 */
	private static array $changed = array();

	/**
	 * Deleted posts' snapshots in this request: post id => snapshot.
	 *
	 * @var array<int,array<string,mixed>>
	 */
	private static array $deleted = array();

	/**
	 * Whether the shutdown notify is hooked.
	 *
	 * @var bool
	 */
	private static bool $hooked = false;

	/**
	 * Posts whose change was notified early in this request (Event_Notifier::start): post id => the seq sent.
	 *
	 * @var array<int,string>
	 */
	private static array $sent_early = array();

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'wp_after_insert_post', array( $this, 'on_after_insert_post' ), 20, 1 );
		add_action( 'before_delete_post', array( $this, 'on_before_delete_post' ), 10, 1 );
	}

	/**
	 * A post and its meta and terms were saved.
	 *
	 * @param int|string $post_id Post id.
	 */
	public function on_after_insert_post( $post_id ): void {
		if ( Sync_Guard::is_suppressed() || ( defined( 'DOING_AUTOSAVE' ) && DOING_AUTOSAVE ) ) {
			return;
		}
		$post = get_post( (int) $post_id );
		if ( ! $post instanceof \WP_Post || 'revision' === $post->post_type || 'auto-draft' === $post->post_status ) {
			return;
		}
		if ( wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) ) {
			return;
		}
		if ( ! Managed_Posts::is_managed( $post ) ) {
			if ( defined( 'REST_REQUEST' ) && REST_REQUEST && array_intersect( array_keys( Contract::registered_taxonomies() ), get_object_taxonomies( $post->post_type ) ) ) {
				// The REST reply reads every taxonomy of the post, ours too: all of them in one query (as below).
				update_object_term_cache( array( (int) $post->ID ), $post->post_type );
			}
			return;
		}
		try {
			$recorded = Sync_Posts::record_change( $post );
			if ( $recorded ) {
				self::$changed[ (int) $post->ID ] = true;
				self::hook_shutdown();
			}
			if ( $recorded || ( defined( 'REST_REQUEST' ) && REST_REQUEST ) ) {
				// The terms of every taxonomy in one query, now that they are final: the snapshot at shutdown and the
				// REST reply of the block editor's save read them from the cache instead of one query per taxonomy.
				update_object_term_cache( array( (int) $post->ID ), $post->post_type );
			}
			if ( $recorded && ! Event_Notifier::hold_response() && defined( 'REST_REQUEST' ) && REST_REQUEST ) {
				self::notify_early( $post );
			}
		} catch ( \Throwable $error ) {
			// The save itself must never fail because of the sync; the reconciler cannot see an unrecorded change, so say so.
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- must be findable.
			error_log( sprintf( 'IGNY8 Bridge: could not record the sync change of post %d: %s', (int) $post->ID, $error->getMessage() ) );
		}
	}

	/**
	 * The block editor's save (a REST request) where the response can neither be finished early nor held
	 * (Event_Notifier::hold_response): the post, its meta and terms are final once wp_after_insert_post ran, so its
	 * snapshot goes out now, and the sidecar records it while WordPress builds the REST response. The first change
	 * of a request only; shutdown sends the others, and this one again only if it changed since (another seq).
	 *
	 * @param \WP_Post $post Post (recorded).
	 */
	private static function notify_early( \WP_Post $post ): void {
		if ( self::$sent_early || self::$deleted || ! Event_Notifier::can_start() ) {
			return;
		}
		$snapshot = Sync_Posts::snapshot( $post );
		if ( null !== $snapshot && Event_Notifier::start( array( $snapshot ) ) ) {
			self::$sent_early[ (int) $post->ID ] = (string) $snapshot['seq'];
		}
	}

	/**
	 * A post is about to be deleted permanently.
	 *
	 * @param int|string $post_id Post id.
	 */
	public function on_before_delete_post( $post_id ): void {
		if ( Sync_Guard::is_suppressed() ) {
			return;
		}
		$post = get_post( (int) $post_id );
		if ( ! $post instanceof \WP_Post || 'revision' === $post->post_type || ! Managed_Posts::is_managed( $post ) ) {
			return;
		}
		try {
			self::$deleted[ (int) $post->ID ] = Sync_Posts::record_deletion( $post );
			unset( self::$changed[ (int) $post->ID ] );
			self::hook_shutdown();
		} catch ( \Throwable $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- must be findable.
			error_log( sprintf( 'IGNY8 Bridge: could not record the deletion of post %d: %s', (int) $post->ID, $error->getMessage() ) );
		}
	}

	/**
	 * Adds the notify to `shutdown` once, late (after output buffers are flushed).
	 */
	private static function hook_shutdown(): void {
		if ( ! self::$hooked ) {
			self::$hooked = true;
			add_action( 'shutdown', array( self::class, 'notify' ), PHP_INT_MAX );
		}
	}

	/**
	 * Reads the snapshots of the changed posts now and tells the sidecar once.
	 */
	public static function notify(): void {
		// The client has its reply first (where the SAPI allows): the snapshots and the notify are the sync's work.
		Event_Notifier::finish_response();
		$events = array_values( self::$deleted );
		foreach ( array_keys( self::$changed ) as $post_id ) {
			// From the caches: every write since the save went through WordPress's API (or Support\Post_Meta_Batch),
			// which keeps them current; dropping them cost three queries a post.
			$post = get_post( $post_id );
			if ( $post instanceof \WP_Post ) {
				$snapshot = Sync_Posts::snapshot( $post );
				if ( null !== $snapshot && ( self::$sent_early[ (int) $post_id ] ?? null ) !== (string) $snapshot['seq'] ) {
					$events[] = $snapshot;
				}
			}
		}
		self::$changed    = array();
		self::$deleted    = array();
		self::$sent_early = array();
		try {
			Event_Notifier::settle();
			Event_Notifier::send( $events );
		} catch ( \Throwable $error ) {
			// The markers are durable; the sidecar's reconciler will find them.
			return;
		}
	}

	/**
	 * Posts recorded so far in this request (tests and diagnostics).
	 *
	 * @return int[]
	 */
	public static function recorded(): array {
		return array_merge( array_keys( self::$changed ), array_keys( self::$deleted ) );
	}
}
