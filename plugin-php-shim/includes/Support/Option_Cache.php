<?php
/**
 * Loads the plugin's options that are not autoloaded in one query.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The contract options are stored with autoload off, and most of them are never saved (the contract default
 * applies), so each first `get_option()` of a request was one SELECT: ten and more on every editor save of a
 * managed post and every IGNY8 call. `prime()` reads the ones not cached yet in one
 * `SELECT … WHERE option_name IN (…)` and fills the same caches `get_option()` fills: the value under its name in
 * the `options` group, or the name in `notoptions` when there is no row. With a persistent object cache it does
 * nothing (the cache already holds them).
 */
final class Option_Cache {

	/**
	 * Option names primed in this request.
	 *
	 * @var array<string,bool>
	 */
	private static array $primed = array();

	/**
	 * Primes the options of `$names` that no cache holds yet.
	 *
	 * @param string[] $names Option names.
	 */
	public static function prime( array $names ): void {
		global $wpdb;
		if ( wp_using_ext_object_cache() || wp_installing() ) {
			return;
		}
		$alloptions = wp_load_alloptions();
		$notoptions = wp_cache_get( 'notoptions', 'options' );
		$notoptions = is_array( $notoptions ) ? $notoptions : array();
		$wanted     = array();
		foreach ( $names as $name ) {
			if ( ! isset( self::$primed[ $name ] ) && ! isset( $alloptions[ $name ] ) && ! isset( $notoptions[ $name ] ) && false === wp_cache_get( $name, 'options' ) ) {
				$wanted[] = $name;
			}
			self::$primed[ $name ] = true;
		}
		if ( ! $wanted ) {
			return;
		}
		$in = implode( ',', array_fill( 0, count( $wanted ), '%s' ) );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- one read instead of one per option; $in is only placeholders.
		$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT option_name, option_value FROM {$wpdb->options} WHERE option_name IN ( {$in} )", $wanted ) );
		$found = array();
		foreach ( (array) $rows as $row ) {
			wp_cache_add( (string) $row->option_name, $row->option_value, 'options' );
			$found[ (string) $row->option_name ] = true;
		}
		$missing = array_diff( $wanted, array_keys( $found ) );
		if ( $missing ) {
			wp_cache_set( 'notoptions', $notoptions + array_fill_keys( $missing, true ), 'options' );
		}
	}
}
