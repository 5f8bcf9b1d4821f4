<?php
/**
 * One database transaction around an operation's writes.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `START TRANSACTION` / `COMMIT` / `ROLLBACK` through $wpdb. InnoDB (MySQL, MariaDB) runs them natively; the SQLite
 * drop-in translates START TRANSACTION to `BEGIN IMMEDIATE` (the whole database is write-locked until COMMIT or
 * ROLLBACK; other connections wait up to its busy timeout) and wraps each statement in a savepoint.
 *
 * wpdb never throws, and MySQL rolls the whole transaction back by itself on a deadlock: statements after that
 * would silently run in autocommit mode. So while the transaction is open a `query` filter watches the error
 * of the previous statement; after a deadlock, lock wait timeout or lost connection it turns every further
 * statement except ROLLBACK into a no-op, and commit() refuses. aborted() says why, so the caller may retry.
 *
 * Non-transactional tables (MyISAM) cannot be rolled back; the caller removes what it created in that case.
 */
final class Transaction {

	private const FATAL_ERRORS = '/deadlock|lock wait timeout|server has gone away|lost connection/i';

	/**
	 * Whether a transaction is open.
	 *
	 * @var bool
	 */
	private bool $open = false;

	/**
	 * The database error that broke the transaction, if any.
	 *
	 * @var string|null
	 */
	private ?string $aborted = null;

	/**
	 * Opens the transaction (retried briefly while the database is busy).
	 *
	 * @throws Bridge_Error CONFLICT when the database stays busy, or a transaction is already open here.
	 */
	public function begin(): void {
		global $wpdb;
		if ( $this->open ) {
			throw new Bridge_Error( 'OPERATION_FAILED', 'A transaction is already open.' );
		}
		for ( $attempt = 0; $attempt < 3; $attempt++ ) {
			if ( false !== $wpdb->query( 'START TRANSACTION' ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$this->open    = true;
				$this->aborted = null;
				add_filter( 'query', array( $this, 'guard' ), PHP_INT_MAX );
				/**
				 * Fires when a transaction of the plugin starts, commits or rolls back.
				 *
				 * @param string $event `begin`, `commit` or `rollback`.
				 */
				do_action( 'igny8_bridge_transaction', 'begin' );
				return;
			}
			usleep( 200000 );
		}
		throw new Bridge_Error( 'CONFLICT', 'The database is busy; retry the request.' );
	}

	/**
	 * Commits.
	 *
	 * @throws \RuntimeException When the transaction was broken or COMMIT failed (the caller then rolls back).
	 */
	public function commit(): void {
		global $wpdb;
		$result = $wpdb->query( 'COMMIT' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		if ( null !== $this->aborted ) {
			throw new \RuntimeException( 'The database transaction was aborted: ' . $this->aborted );
		}
		if ( false === $result ) {
			throw new \RuntimeException( 'COMMIT failed: ' . $wpdb->last_error );
		}
		$this->close();
		/** This action is documented in includes/Operations/Transaction.php (begin). */
		do_action( 'igny8_bridge_transaction', 'commit' );
	}

	/**
	 * Rolls back (a no-op when nothing is open).
	 */
	public function rollback(): void {
		global $wpdb;
		if ( ! $this->open ) {
			return;
		}
		$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$this->close();
		/** This action is documented in includes/Operations/Transaction.php (begin). */
		do_action( 'igny8_bridge_transaction', 'rollback' );
	}

	/**
	 * Whether the transaction is open.
	 */
	public function is_open(): bool {
		return $this->open;
	}

	/**
	 * The database error that broke the transaction (a retry may succeed), or null.
	 */
	public function aborted(): ?string {
		return $this->aborted;
	}

	/**
	 * The `query` filter: records a fatal error of the previous statement and blocks what follows it.
	 *
	 * @param string $query SQL about to run.
	 * @return string The SQL, or '' (wpdb then runs nothing and returns false).
	 */
	public function guard( $query ) {
		global $wpdb;
		if ( ! $this->open ) {
			return $query;
		}
		if ( null === $this->aborted && '' !== (string) $wpdb->last_error && preg_match( self::FATAL_ERRORS, (string) $wpdb->last_error ) ) {
			$this->aborted = (string) $wpdb->last_error;
		}
		if ( null !== $this->aborted && ! preg_match( '/^\s*ROLLBACK\b/i', (string) $query ) ) {
			return '';
		}
		return $query;
	}

	/**
	 * Marks the transaction closed.
	 */
	private function close(): void {
		$this->open = false;
		remove_filter( 'query', array( $this, 'guard' ), PHP_INT_MAX );
	}
}
