<?php
/**
 * One attempt of a write inside a database transaction, with the crash guard.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Support\Named_Lock;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * run() executes the work between BEGIN and COMMIT. On any failure: ROLLBACK, caches cleaned, files of attachments
 * and terms created by the attempt discarded, and the post it created deleted if its row survived
 * (non-transactional tables). When the database aborted the transaction by itself (a deadlock) run() returns null
 * so the caller may retry; anything else is rethrown after the rollback.
 *
 * Crash guard: a PHP fatal error (or exit) inside the transaction runs the same rollback and cleanup, then
 * releases the request's lock rows. InnoDB and SQLite also discard an uncommitted transaction when the connection
 * dies, so after a kill -9 nothing of the attempt remains there; lock rows of a killed process stay until they
 * expire.
 */
final class Transaction_Runner {

	private Transaction $tx;

	private Attachments $attachments;

	private Term_Resolver $resolver;

	private int $existing_id;

	private int $created_id = 0;

	private bool $armed = false;

	/**
	 * One attempt.
	 *
	 * @param Attachments   $attachments Attachment writer of this attempt (its files are deleted on rollback).
	 * @param Term_Resolver $resolver    Term resolver of this attempt (its created terms are forgotten on rollback).
	 * @param int           $existing_id The post being updated (0: none), whose caches are cleaned on rollback.
	 */
	public function __construct( Attachments $attachments, Term_Resolver $resolver, int $existing_id ) {
		$this->tx          = new Transaction();
		$this->attachments = $attachments;
		$this->resolver    = $resolver;
		$this->existing_id = $existing_id;
	}

	/**
	 * Whether a real transaction is open (false on non-transactional tables), valid inside run().
	 */
	public function is_transactional(): bool {
		return $this->tx->is_open();
	}

	/**
	 * Records the post this attempt created (deleted on rollback if its row survived).
	 *
	 * @param int $post_id Post id.
	 */
	public function created( int $post_id ): void {
		$this->created_id = $post_id;
	}

	/**
	 * Runs the work in the transaction.
	 *
	 * @template T
	 * @param callable(self):T $work The writes.
	 * @return T|null The work's result, or null when the database aborted the transaction (retry).
	 * @throws \Throwable Anything else, after the rollback.
	 */
	public function run( callable $work ) {
		$this->armed = true;
		$on_crash    = function (): void {
			if ( ! $this->armed ) {
				return;
			}
			$this->armed = false;
			$this->tx->rollback();
			$this->after_rollback();
			Named_Lock::release_all(); // The request is dying: free its lock rows now, not after their TTL.
		};
		// A fatal error or exit inside the transaction. Order matters: the `shutdown` action at the earliest
		// priority runs before Named_Lock releases its rows (otherwise their DELETE would be rolled back with
		// the transaction); WordPress's fatal error handler runs before any shutdown action and exits, so it
		// is met through the filter it applies just before dying; the plain shutdown function covers the rest.
		$on_fatal_page = static function ( $message ) use ( $on_crash ) {
			$on_crash();
			return $message;
		};
		register_shutdown_function( $on_crash );
		add_action( 'shutdown', $on_crash, PHP_INT_MIN );
		add_filter( 'wp_php_error_message', $on_fatal_page, PHP_INT_MIN );

		try {
			$this->tx->begin();
			$result = $work( $this );
			$this->tx->commit();
			$this->armed = false;
			return $result;
		} catch ( \Throwable $error ) {
			$this->armed = false;
			$aborted     = $this->tx->aborted();
			$this->tx->rollback();
			$this->after_rollback();
			if ( null !== $aborted ) {
				return null;
			}
			throw $error;
		} finally {
			remove_action( 'shutdown', $on_crash, PHP_INT_MIN );
			remove_filter( 'wp_php_error_message', $on_fatal_page, PHP_INT_MIN );
		}
	}

	/**
	 * After a rollback (or at shutdown after a fatal error): forget cached rows, delete the files of attachments
	 * created by the attempt, and delete the post it created if the row survived (non-transactional tables).
	 */
	private function after_rollback(): void {
		$this->attachments->discard_created();
		$this->resolver->discard_created();
		foreach ( array( $this->created_id, $this->existing_id ) as $post_id ) {
			if ( $post_id <= 0 ) {
				continue;
			}
			wp_cache_delete( $post_id, 'posts' );
			wp_cache_delete( $post_id, 'post_meta' );
			foreach ( Contract::writable_taxonomies() as $taxonomy ) {
				wp_cache_delete( $post_id, "{$taxonomy}_relationships" );
			}
		}
		if ( $this->created_id > 0 && self::row_exists( $this->created_id ) ) {
			wp_delete_post( $this->created_id, true );
		}
		wp_cache_set( 'last_changed', microtime(), 'posts' );
		wp_cache_set( 'last_changed', microtime(), 'terms' );
		if ( ! wp_using_ext_object_cache() ) {
			wp_cache_flush();
		}
	}

	/**
	 * Whether a post row exists in the database (not the cache).
	 *
	 * @param int $post_id Post id.
	 */
	private static function row_exists( int $post_id ): bool {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE ID = %d", $post_id ) ); // phpcs:ignore WordPress.DB
	}
}
