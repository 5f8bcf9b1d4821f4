<?php
/**
 * Remembers accepted JWT ids until they expire.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

use Igny8\Bridge\Install\Schema;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Atomic "first time seen?" check. With a persistent object cache: wp_cache_add (atomic add). Otherwise the
 * `igny8_jti` table: INSERT IGNORE on the primary key, and `rows_affected` tells whether we were first.
 * Transients and add_option are not atomic, so they are not used.
 */
final class Replay_Cache {

	private const CACHE_GROUP = 'igny8_jti';

	private const PURGE_ONE_IN = 50;

	/**
	 * Records a token id; false when it was seen before (a replay) or cannot be recorded (fail closed).
	 *
	 * @param string $jti    Token id.
	 * @param int    $expire Unix time until which it must be remembered (exp + leeway).
	 */
	public static function remember( string $jti, int $expire ): bool {
		$key = self::key( $jti );
		if ( wp_using_ext_object_cache() ) {
			return (bool) wp_cache_add( $key, 1, self::CACHE_GROUP, max( 1, $expire - time() ) );
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
