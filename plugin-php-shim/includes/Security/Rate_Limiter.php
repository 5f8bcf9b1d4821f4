<?php
/**
 * Per-IP limit on API-key failures.
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
 * More than MAX_FAILURES failed keys from one client IP within WINDOW_SECONDS → 429 with Retry-After until the
 * window ends. Per IP only, never global: an attacker must not be able to lock IGNY8 out. Stored in the
 * `igny8_auth_failures` table (fixed window), written with INSERT IGNORE + UPDATE so it works on MySQL and SQLite;
 * the table is read only while a failure from any IP is younger than a window (LAST_FAILURE_OPTION).
 */
final class Rate_Limiter {

	public const MAX_FAILURES = 20;

	public const WINDOW_SECONDS = 300;

	/** Most rows the failures table holds; beyond it, expired windows go first, then the oldest unlocked ones. */
	public const MAX_ROWS = 10000;

	private const PURGE_ONE_IN = 50;

	/**
	 * Autoloaded option: the time of the last failure recorded from any IP. While it is older than a window, no
	 * window can be open, and check() answers without reading the table (no query on an authenticated call).
	 */
	public const LAST_FAILURE_OPTION = 'igny8_auth_last_failure';

	/**
	 * The IP's state: seconds until it may try again (0 when not limited) and its recorded failures.
	 *
	 * @param string $ip Client IP.
	 * @return array{retry_after:int,failures:int}
	 */
	public static function check( string $ip ): array {
		$row = self::last_failure() > time() - self::WINDOW_SECONDS ? self::row( $ip ) : null;
		if ( null === $row ) {
			return array(
				'retry_after' => 0,
				'failures'    => 0,
			);
		}
		return array(
			'retry_after' => self::seconds_left( (int) $row['failures'], (int) $row['window_start'] ),
			'failures'    => (int) $row['failures'],
		);
	}

	/**
	 * Counts one failure; returns the seconds to wait when this failure crossed the limit, else 0.
	 *
	 * @param string $ip Client IP.
	 */
	public static function record_failure( string $ip ): int {
		global $wpdb;
		$table = Schema::table( 'auth_failures' );
		$now   = time();
		$start = $now - self::WINDOW_SECONDS;
		// Before the row: whoever reads a row of this window has the option's recent time too.
		if ( self::last_failure() !== $now ) {
			update_option( self::LAST_FAILURE_OPTION, $now, true );
		}

		$suppress = $wpdb->suppress_errors( true );
		// phpcs:disable WordPress.DB -- custom table, prepared.
		$inserted = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (ip, failures, window_start) VALUES (%s, 1, %d)", $ip, $now ) );
		if ( false !== $inserted && 1 !== (int) $wpdb->rows_affected ) {
			// An old window starts over; a current one counts up. Both CASEs read the old window_start.
			$wpdb->query(
				$wpdb->prepare(
					"UPDATE {$table} SET failures = CASE WHEN window_start <= %d THEN 1 ELSE failures + 1 END, window_start = CASE WHEN window_start <= %d THEN %d ELSE window_start END WHERE ip = %s",
					$start,
					$start,
					$now,
					$ip
				)
			);
		}
		// phpcs:enable
		$wpdb->suppress_errors( $suppress );

		if ( false !== $inserted && 1 === (int) $wpdb->rows_affected ) {
			self::bound( $table, $start, $ip );
		} elseif ( 0 === wp_rand( 0, self::PURGE_ONE_IN - 1 ) ) {
			$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE window_start <= %d", $start ) ); // phpcs:ignore WordPress.DB
		}
		return self::check( $ip )['retry_after'];
	}

	/**
	 * Keeps the table at MAX_ROWS after a new row: expired windows first, then the oldest windows that are not
	 * locked (a flood of one-off addresses), and only if all else is locked the oldest locked ones. The row just
	 * added is kept.
	 *
	 * @param string $table Table name.
	 * @param int    $start Windows starting at or before this have expired.
	 * @param string $keep  The IP just recorded.
	 */
	private static function bound( string $table, int $start, string $keep ): void {
		global $wpdb;
		// phpcs:disable WordPress.DB -- custom table, prepared.
		$count = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" );
		if ( $count <= self::MAX_ROWS ) {
			return;
		}
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE window_start <= %d", $start ) );
		foreach ( array( 'failures <= %d', 'failures > %d' ) as $where ) {
			$count = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" );
			$over  = $count - self::MAX_ROWS;
			if ( $over <= 0 ) {
				break;
			}
			// Evict a tenth of the cap at once, so a flood does not pay for this on every request.
			$evict  = $over + intdiv( self::MAX_ROWS, 10 );
			$cutoff = $wpdb->get_row( $wpdb->prepare( "SELECT ip, window_start FROM {$table} WHERE {$where} AND ip <> %s ORDER BY window_start ASC, ip ASC LIMIT 1 OFFSET %d", self::MAX_FAILURES, $keep, $evict - 1 ), ARRAY_A );
			if ( ! is_array( $cutoff ) ) {
				$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE {$where} AND ip <> %s", self::MAX_FAILURES, $keep ) );
				continue;
			}
			$wpdb->query(
				$wpdb->prepare(
					"DELETE FROM {$table} WHERE {$where} AND ip <> %s AND ( window_start < %d OR ( window_start = %d AND ip <= %s ) )",
					self::MAX_FAILURES,
					$keep,
					(int) $cutoff['window_start'],
					(int) $cutoff['window_start'],
					(string) $cutoff['ip']
				)
			);
		}
		// phpcs:enable
	}

	/**
	 * Forgets an IP's failures after a successful authentication.
	 *
	 * @param string $ip Client IP.
	 */
	public static function reset( string $ip ): void {
		global $wpdb;
		$wpdb->delete( Schema::table( 'auth_failures' ), array( 'ip' => $ip ), array( '%s' ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * Seconds left in a window that holds more failures than allowed.
	 *
	 * @param int $failures     Failures in the window.
	 * @param int $window_start Window start.
	 */
	private static function seconds_left( int $failures, int $window_start ): int {
		$left = $window_start + self::WINDOW_SECONDS - time();
		if ( $failures <= self::MAX_FAILURES || $left <= 0 ) {
			return 0;
		}
		return $left;
	}

	/**
	 * LAST_FAILURE_OPTION from the autoloaded options (0 before the first failure: no query for a missing option).
	 */
	private static function last_failure(): int {
		return (int) ( wp_load_alloptions()[ self::LAST_FAILURE_OPTION ] ?? 0 );
	}

	/**
	 * The stored row of an IP.
	 *
	 * @param string $ip Client IP.
	 * @return array<string,string>|null
	 */
	private static function row( string $ip ): ?array {
		global $wpdb;
		$table    = Schema::table( 'auth_failures' );
		$suppress = $wpdb->suppress_errors( true );
		$row      = $wpdb->get_row( $wpdb->prepare( "SELECT failures, window_start FROM {$table} WHERE ip = %s", $ip ), ARRAY_A ); // phpcs:ignore WordPress.DB
		$wpdb->suppress_errors( $suppress );
		return is_array( $row ) ? $row : null;
	}
}
