<?php
/**
 * Remembers accepted JWT ids until they expire.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

use Igny8\Bridge\Support\Schema;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Atomic "first time seen?" check: the `igny8_jti` table (INSERT IGNORE on the primary key, `rows_affected` tells
 * whether we were first), unless an external object cache has proven that it persists (then wp_cache_add, an
 * atomic add). A drop-in being present proves nothing: some fall back to per-request memory when their backend is
 * down, which would silently turn replay protection off.
 * Transients and add_option are not atomic, so they are not used.
 */
final class Replay_Cache {

	private const CACHE_GROUP = 'igny8_jti';

	private const PURGE_ONE_IN = 50;

	/** Cache key of the persistence canary. */
	private const CANARY = 'persistence-canary';

	/**
	 * How old (seconds) the canary written by another request must be before the cache is trusted: longer than any
	 * jti lives (max_ttl 60 + leeway 30), so a backend that was flushed or restarted cannot forget a jti that is
	 * still valid while already looking persistent again.
	 */
	private const CANARY_MIN_AGE = 120;

	/**
	 * Whether the object cache has proven that it persists across requests: a canary written by an earlier request
	 * at least CANARY_MIN_AGE seconds ago is still there. Drop-ins that fall back to per-request memory when their
	 * backend is down never pass (the canary read back is this request's own or nothing), so the jti table is used.
	 */
	private static function cache_proven_persistent(): bool {
		static $request = null;
		if ( ! wp_using_ext_object_cache() ) {
			return false;
		}
		if ( null === $request ) {
			$request = bin2hex( random_bytes( 8 ) );
		}
		$canary = wp_cache_get( self::CANARY, self::CACHE_GROUP );
		if ( ! is_array( $canary ) || ! isset( $canary['request'], $canary['at'] ) ) {
			wp_cache_set(
				self::CANARY,
				array(
					'request' => $request,
					'at'      => time(),
				),
				self::CACHE_GROUP
			);
			return false;
		}
		return $canary['request'] !== $request && time() - (int) $canary['at'] >= self::CANARY_MIN_AGE;
	}

	/**
	 * Records a token id; false when it was seen before (a replay) or cannot be recorded (fail closed).
	 *
	 * @param string $jti    Token id.
	 * @param int    $expire Unix time until which it must be remembered (exp + leeway).
	 */
	public static function remember( string $jti, int $expire ): bool {
		$key = self::key( $jti );
		if ( wp_using_ext_object_cache() ) {
			// Recorded in the cache even while it is not trusted yet, so it already holds every live jti the
			// moment it is (see CANARY_MIN_AGE).
			$first = (bool) wp_cache_add( $key, 1, self::CACHE_GROUP, max( 1, $expire - time() ) );
			if ( self::cache_proven_persistent() ) {
				return $first;
			}
		}

		$inserted = self::insert( $key, $expire );
		if ( null === $inserted ) {
			// The table is missing (e.g. an upgrade that did not run activation): create it and try once more.
			Schema::install();
			$inserted = self::insert( $key, $expire );
		}
		if ( 0 === wp_rand( 0, self::PURGE_ONE_IN - 1 ) ) {
			self::purge();
		}
		return true === $inserted;
	}

	/**
	 * Deletes expired rows.
	 */
	public static function purge(): void {
		global $wpdb;
		$table = Schema::table( 'jti' );
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE exp < %d", time() ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * INSERT IGNORE one row.
	 *
	 * @param string $key    Stored id.
	 * @param int    $expire Expiry.
	 * @return bool|null True when inserted, false when it existed, null when the query failed.
	 */
	private static function insert( string $key, int $expire ): ?bool {
		global $wpdb;
		$table    = Schema::table( 'jti' );
		$suppress = $wpdb->suppress_errors( true );
		$result   = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (jti, exp) VALUES (%s, %d)", $key, $expire ) ); // phpcs:ignore WordPress.DB
		$wpdb->suppress_errors( $suppress );
		if ( false === $result ) {
			return null;
		}
		return 1 === (int) $wpdb->rows_affected;
	}

	/**
	 * The stored form of a token id: 32 lowercase hex chars (ids of another shape are hashed to that form).
	 *
	 * @param string $jti Token id.
	 */
	private static function key( string $jti ): string {
		return preg_match( '/^[0-9a-f]{32}$/', $jti ) ? $jti : md5( 'jti:' . $jti );
	}
}
