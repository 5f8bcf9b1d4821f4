<?php
/**
 * The one plugin-specific write of upsert_post (SPEC §10): a row per post in an SEO plugin's own table.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Writes `seo_rows` as the contract's `seo_tables` describe them: only tables named there, only when they exist on
 * this site, only their listed columns. One row per post: updated in place when the post has one, else inserted.
 * Runs inside the publish transaction, under the content lock, so two publishes of a post cannot both insert.
 */
final class Seo_Table_Writer {

	/**
	 * Existence of each table, looked up once per request.
	 *
	 * @var array<string,bool>
	 */
	private static array $exists = array();

	/**
	 * Refuses tables and columns the contract does not name.
	 *
	 * @param array<string,mixed> $rows Table (without prefix) → column → value.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function check( array $rows ): void {
		$tables = Contract::seo_tables();
		foreach ( $rows as $table => $values ) {
			if ( ! isset( $tables[ $table ] ) || ! is_array( $values ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "seo_rows.{$table} is not an SEO table of the contract.", "seo_rows.{$table}" );
			}
			foreach ( $values as $column => $value ) {
				$kind = $tables[ $table ]['columns'][ $column ]['type'] ?? null;
				if ( null === $kind || ! is_string( $value ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', "seo_rows.{$table}.{$column} is not a writable column.", "seo_rows.{$table}.{$column}" );
				}
				if ( 'json' === $kind && ! is_array( json_decode( $value, true ) ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', "seo_rows.{$table}.{$column} must be a JSON object.", "seo_rows.{$table}.{$column}" );
				}
			}
		}
	}

	/**
	 * Writes the rows of one post.
	 *
	 * @param int                 $post_id Post id.
	 * @param array<string,mixed> $rows    Checked seo_rows.
	 * @return string[] The tables written (absent tables are skipped).
	 * @throws Bridge_Error OPERATION_FAILED when the database refuses the write.
	 */
	public static function write( int $post_id, array $rows ): array {
		global $wpdb;
		$tables  = Contract::seo_tables();
		$written = array();
		foreach ( $rows as $table => $values ) {
			$spec = $tables[ $table ];
			$name = $wpdb->prefix . $table;
			if ( ! $values || ! self::exists( $name ) ) {
				continue;
			}
			$data = array();
			foreach ( (array) $values as $column => $value ) {
				$data[ (string) $column ] = 'json' === $spec['columns'][ $column ]['type'] ? (string) wp_json_encode( json_decode( (string) $value, true ) ) : sanitize_text_field( (string) $value );
			}
			$now                             = current_time( 'mysql', true );
			$data[ $spec['updated_column'] ] = $now;
			$post_column                     = $spec['post_column'];
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- the table and column names come from the contract.
			$row_id = $wpdb->get_var( $wpdb->prepare( "SELECT id FROM `{$name}` WHERE `{$post_column}` = %d ORDER BY id LIMIT 1", $post_id ) );
			if ( null === $row_id ) {
				$data[ $post_column ]            = $post_id;
				$data[ $spec['created_column'] ] = $now;
				$ok                              = $wpdb->insert( $name, $data ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			} else {
				$ok = $wpdb->update( $name, $data, array( 'id' => (int) $row_id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
			}
			if ( false === $ok ) {
				throw new Bridge_Error( 'OPERATION_FAILED', "WordPress could not write the {$table} row: " . $wpdb->last_error, "seo_rows.{$table}" );
			}
			$written[] = $table;
		}
		return $written;
	}

	/**
	 * Whether a table exists on this site.
	 *
	 * @param string $name Table name with prefix.
	 */
	private static function exists( string $name ): bool {
		global $wpdb;
		if ( ! isset( self::$exists[ $name ] ) ) {
			self::$exists[ $name ] = $name === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $name ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		}
		return self::$exists[ $name ];
	}
}
