<?php
/**
 * Writes several single-valued meta of one post in one or two SQL statements.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `update_post_meta()` costs three queries a key (the meta cache reloaded after the previous write, a
 * `SELECT meta_id`, the `UPDATE` or `INSERT`): the five sync keys of an editor save of a managed post were fifteen.
 * `write()` reads the current values from the meta cache (one load at most), skips the unchanged ones, and writes
 * the rest as one `UPDATE … SET meta_value = CASE meta_key …` for the keys that have a row and one multi-row
 * `INSERT` for those that do not, then puts the new values into the meta cache instead of dropping it.
 *
 * Order: `$stages` are written in order, and a statement never holds a key of a later stage before the keys of an
 * earlier one are durable (one statement is atomic: keys of consecutive stages may share one). A crash therefore
 * leaves a prefix of the stages written, as separate `update_post_meta()` calls in that order did.
 *
 * Only for the plugin's own single-valued `_igny8_` keys: no `*_post_meta` filters or actions run (nothing hooks
 * these keys), and every row of a key gets the value, as `update_post_meta()` without `$prev_value` does. Values
 * are raw (not slashed).
 */
final class Post_Meta_Batch {

	/**
	 * Writes the stages of `key => value` pairs; returns how many keys changed.
	 *
	 * @param int                                $post_id Post id.
	 * @param array<int,array<string,string>>    $stages  Ordered stages of key => raw value.
	 * @throws \RuntimeException When a statement fails (the stages before it are written).
	 */
	public static function write( int $post_id, array $stages ): int {
		$current    = get_post_meta( $post_id );
		$current    = is_array( $current ) ? $current : array();
		$statements = array(); // Each: array( 'update'|'insert', array<string,string> ).
		$changed    = array();
		foreach ( $stages as $stage ) {
			$kinds = array();
			foreach ( $stage as $key => $value ) {
				$key   = (string) $key;
				$value = (string) $value;
				$rows  = $current[ $key ] ?? null;
				if ( is_array( $rows ) && 1 === count( $rows ) && (string) $rows[0] === $value ) {
					continue;
				}
				$kinds[ is_array( $rows ) && $rows ? 'update' : 'insert' ][ $key ] = $value;
				$changed[ $key ] = $value;
			}
			// The keys joining the last statement first (same kind: written together), then a new statement each.
			$last = $statements ? count( $statements ) - 1 : -1;
			if ( $last >= 0 && isset( $kinds[ $statements[ $last ][0] ] ) ) {
				$kind                        = $statements[ $last ][0];
				$statements[ $last ][1]     += $kinds[ $kind ];
				unset( $kinds[ $kind ] );
			}
			foreach ( $kinds as $kind => $pairs ) {
				$statements[] = array( $kind, $pairs );
			}
		}
		foreach ( $statements as $statement ) {
			self::run( $post_id, $statement[0], $statement[1] );
		}
		if ( $changed ) {
			self::update_cache( $post_id, $changed );
		}
		return count( $changed );
	}

	/**
	 * One statement.
	 *
	 * @param int                  $post_id Post id.
	 * @param string               $kind    'update' or 'insert'.
	 * @param array<string,string> $pairs   Key => raw value.
	 * @throws \RuntimeException When the statement fails.
	 */
	private static function run( int $post_id, string $kind, array $pairs ): void {
		global $wpdb;
		$args = array();
		if ( 'update' === $kind ) {
			$cases = '';
			foreach ( $pairs as $key => $value ) {
				$cases .= ' WHEN %s THEN %s';
				array_push( $args, $key, $value );
			}
			$args[] = $post_id;
			$in     = implode( ',', array_fill( 0, count( $pairs ), '%s' ) );
			$args   = array_merge( $args, array_map( 'strval', array_keys( $pairs ) ) );
			$sql    = "UPDATE {$wpdb->postmeta} SET meta_value = CASE meta_key{$cases} END WHERE post_id = %d AND meta_key IN ( {$in} )";
		} else {
			$values = array();
			foreach ( $pairs as $key => $value ) {
				$values[] = '( %d, %s, %s )';
				array_push( $args, $post_id, $key, $value );
			}
			$sql = "INSERT INTO {$wpdb->postmeta} ( post_id, meta_key, meta_value ) VALUES " . implode( ', ', $values );
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared -- one statement for several keys; $sql holds only placeholders and table names; the meta cache is updated below.
		$result = $wpdb->query( $wpdb->prepare( $sql, $args ) );
		if ( false === $result ) {
			throw new \RuntimeException( sprintf( 'post meta %s of %s failed: %s', esc_html( $kind ), esc_html( implode( ', ', array_keys( $pairs ) ) ), esc_html( (string) $wpdb->last_error ) ) );
		}
	}

	/**
	 * Puts the new values into the post's meta cache (when it is loaded; otherwise the next read loads them), and
	 * moves `posts` last_changed as core's meta actions do (WordPress 6.1+), so cached post queries (a meta query on
	 * the marker) miss.
	 *
	 * @param int                  $post_id Post id.
	 * @param array<string,string> $changed Key => raw value.
	 */
	private static function update_cache( int $post_id, array $changed ): void {
		$cached = wp_cache_get( $post_id, 'post_meta' );
		if ( is_array( $cached ) ) {
			foreach ( $changed as $key => $value ) {
				$cached[ $key ] = array( $value );
			}
			wp_cache_set( $post_id, $cached, 'post_meta' );
		} else {
			wp_cache_delete( $post_id, 'post_meta' );
		}
		wp_cache_set_posts_last_changed();
	}
}
