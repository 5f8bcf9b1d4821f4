<?php
/**
 * A mutex that works on MySQL/MariaDB and on the SQLite drop-in.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;


if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One row per held lock in `igny8_locks` (the WP_Upgrader::create_lock pattern): INSERT IGNORE takes a free lock,
 * an UPDATE guarded by `expires` takes over a stale one. GET_LOCK() is a no-op on the SQLite drop-in, and
 * add_option / transients are not mutexes. Hold a lock inside one PHP operation only, never across a sidecar
 * round trip; locks still held at shutdown are released.
 *
 *     $lock = Named_Lock::acquire( 'content:42' );
 *     if ( null === $lock ) { ... busy ... }
 *     try { ... } finally { $lock->release(); }
 */
final class Named_Lock {

	/**
	 * Locks this request holds, by name.
	 *
	 * @var array<string,Named_Lock>
	 */
	private static array $held = array();

	/**
	 * Lock name.
	 *
	 * @var string
	 */
	private string $name;

	/**
	 * Random owner token.
	 *
	 * @var string
	 */
	private string $owner;

	/**
	 * Constructor.
	 *
	 * @param string $name  Lock name.
	 * @param string $owner Owner token.
	 */
	private function __construct( string $name, string $owner ) {
		$this->name  = $name;
		$this->owner = $owner;
	}

	/**
	 * Takes a lock, waiting up to $wait_seconds. Null when it stays busy.
	 *
	 * @param string $name         Lock name (at most 191 characters).
	 * @param int    $ttl_seconds  After this the lock counts as stale and may be taken over.
	 * @param float  $wait_seconds How long to wait for a busy lock.
	 */
	public static function acquire( string $name, int $ttl_seconds = 30, float $wait_seconds = 5.0 ): ?self {
		global $wpdb;
		$name     = substr( $name, 0, 191 );
		$owner    = bin2hex( random_bytes( 16 ) );
		$table    = Schema::table( 'locks' );
		$deadline = microtime( true ) + $wait_seconds;
		do {
			$now = time();
			// phpcs:disable WordPress.DB -- custom table, prepared.
			$wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (name, owner, expires) VALUES (%s, %s, %d)", $name, $owner, $now + $ttl_seconds ) );
			$taken = 1 === (int) $wpdb->rows_affected;
			if ( ! $taken ) {
				$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET owner = %s, expires = %d WHERE name = %s AND expires < %d", $owner, $now + $ttl_seconds, $name, $now ) );
				$taken = 1 === (int) $wpdb->rows_affected;
			}
			// phpcs:enable
			if ( $taken ) {
				$lock = new self( $name, $owner );
				if ( ! self::$held ) {
					add_action( 'shutdown', array( self::class, 'release_all' ) );
				}
				self::$held[ $name ] = $lock;
				return $lock;
			}
			usleep( 50000 );
		} while ( microtime( true ) < $deadline );
		return null;
	}

	/**
	 * Releases the lock (only if this request still owns it).
	 */
	public function release(): void {
		global $wpdb;
		$table = Schema::table( 'locks' );
		// A prepared DELETE, not $wpdb->delete(): that reads the table's columns first (SHOW FULL COLUMNS) to check
		// charsets, one more query on every publish.
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE name = %s AND owner = %s", $this->name, $this->owner ) ); // phpcs:ignore WordPress.DB
		unset( self::$held[ $this->name ] );
	}

	/**
	 * Releases every lock still held (shutdown, also after a fatal error).
	 */
	public static function release_all(): void {
		foreach ( self::$held as $lock ) {
			$lock->release();
		}
	}
}
