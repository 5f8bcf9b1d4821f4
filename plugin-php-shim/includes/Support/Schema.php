<?php
/**
 * The plugin's own tables.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Three small tables, created with dbDelta (works on MySQL/MariaDB and on the SQLite drop-in):
 * seen JWT ids (replay cache), API-key failures per client IP (rate limit), and named locks.
 */
final class Schema {

	public const VERSION = '1';

	public const VERSION_OPTION = 'igny8_db_version';

	/**
	 * Prefixed table name for "jti", "auth_failures" or "locks".
	 *
	 * @param string $name Short name.
	 */
	public static function table( string $name ): string {
		global $wpdb;
		return $wpdb->prefix . 'igny8_' . $name;
	}

	/**
	 * Creates or updates the tables and records the schema version.
	 */
	public static function install(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$collate = $wpdb->get_charset_collate();
		$jti     = self::table( 'jti' );
		$fails   = self::table( 'auth_failures' );
		$locks   = self::table( 'locks' );

		// dbDelta wants two spaces after PRIMARY KEY and one column per line.
		dbDelta(
			array(
				"CREATE TABLE {$jti} (
  jti char(32) NOT NULL,
  exp int(10) unsigned NOT NULL,
  PRIMARY KEY  (jti),
  KEY exp (exp)
) {$collate};",
				"CREATE TABLE {$fails} (
  ip varchar(45) NOT NULL,
  failures int(10) unsigned NOT NULL DEFAULT 0,
  window_start int(10) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (ip)
) {$collate};",
				"CREATE TABLE {$locks} (
  name varchar(191) NOT NULL,
  owner char(32) NOT NULL DEFAULT '',
  expires int(10) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (name)
) {$collate};",
			)
		);
		update_option( self::VERSION_OPTION, self::VERSION, 'yes' );
	}

	/**
	 * Whether the stored schema version is current.
	 */
	public static function is_current(): bool {
		return self::VERSION === get_option( self::VERSION_OPTION );
	}

	/**
	 * Drops the tables (uninstall only).
	 */
	public static function drop(): void {
		global $wpdb;
		foreach ( array( 'jti', 'auth_failures', 'locks' ) as $name ) {
			$wpdb->query( 'DROP TABLE IF EXISTS ' . self::table( $name ) ); // phpcs:ignore WordPress.DB -- fixed table name.
		}
		delete_option( self::VERSION_OPTION );
	}
}
