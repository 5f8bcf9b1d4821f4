<?php
/**
 * The taxonomy changes the sync reports to IGNY8 and their outbox.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Operations\Post_Reader;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * SPEC §6 "Site structure and taxonomies": renaming or deleting an `igny8_clusters` / `igny8_sectors` term and
 * creating a category or tag are recorded durably in one outbox option per term (contract
 * `meta.term_outbox_option_prefix` + term id, not autoloaded), the latest state winning, with a seq that only grows
 * per term. The sidecar clears an entry with compare-and-clear (`clear_term_change`) once IGNY8 has it.
 */
final class Sync_Terms {

	/**
	 * Which taxonomies each event is reported for (contract `sync.term_events.reported_taxonomies`).
	 *
	 * @param string $event Event name.
	 * @return string[]
	 */
	public static function taxonomies_for( string $event ): array {
		$events = (array) ( Contract::get()['sync']['term_events']['reported_taxonomies'] ?? array() );
		return array_map( 'strval', (array) ( $events[ $event ] ?? array() ) );
	}

	/**
	 * Records a change of a term durably and returns the entry sent to the sidecar.
	 *
	 * @param \WP_Term $term  Term (read before a deletion).
	 * @param string   $event term_created | term_renamed | term_deleted.
	 * @return array<string,mixed>
	 */
	public static function record( \WP_Term $term, string $event ): array {
		$option   = self::option( (int) $term->term_id );
		$previous = get_option( $option );
		$seq      = Sync_Posts::next_seq( is_array( $previous ) ? (string) ( $previous['seq'] ?? '' ) : '' );
		$entry    = array(
			'kind'     => 'term',
			'term_id'  => (int) $term->term_id,
			'seq'      => $seq,
			'event'    => $event,
			'taxonomy' => $term->taxonomy,
			'name'     => $term->name,
			'slug'     => $term->slug,
			'igny8_id' => Post_Reader::igny8_term_id( $term ),
		);
		// A term created and then renamed before IGNY8 heard of it is still new to IGNY8.
		if ( is_array( $previous ) && 'term_created' === ( $previous['event'] ?? '' ) && 'term_renamed' === $event ) {
			$entry['event'] = 'term_created';
		}
		update_option( $option, $entry, false );
		return $entry;
	}

	/**
	 * Outbox entries (at most $limit), oldest first.
	 *
	 * @param int $limit Most entries.
	 * @return array<int,array<string,mixed>>
	 */
	public static function pending( int $limit ): array {
		global $wpdb;
		$like = $wpdb->esc_like( self::prefix() ) . '%';
		// phpcs:ignore WordPress.DB -- a bounded, prepared read of the plugin's own options.
		$names = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s ORDER BY option_id ASC LIMIT %d", $like, $limit ) );
		$list  = array();
		foreach ( (array) $names as $name ) {
			$value = get_option( (string) $name );
			if ( is_array( $value ) && isset( $value['term_id'], $value['seq'] ) ) {
				$list[] = $value;
			}
		}
		return $list;
	}

	/**
	 * Compare-and-clear of a term's outbox entry.
	 *
	 * @param int    $term_id Term id.
	 * @param string $seq     Seq the sidecar delivered.
	 */
	public static function clear( int $term_id, string $seq ): bool {
		$option = self::option( $term_id );
		$value  = get_option( $option );
		if ( ! is_array( $value ) || (string) ( $value['seq'] ?? '' ) !== $seq ) {
			return false;
		}
		return delete_option( $option );
	}

	/**
	 * The outbox option of a term.
	 *
	 * @param int $term_id Term id.
	 */
	public static function option( int $term_id ): string {
		return self::prefix() . $term_id;
	}

	/**
	 * The outbox option prefix.
	 */
	private static function prefix(): string {
		return (string) Contract::meta( 'term_outbox_option_prefix' );
	}
}
