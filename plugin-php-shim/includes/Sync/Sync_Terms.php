<?php
/**
 * The taxonomy changes the sync reports to IGNY8 and their outbox.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Content\Post_Reader;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * SPEC §6 "Site structure and taxonomies": renaming or deleting an `igny8_clusters` / `igny8_sectors` term and
 * creating a category or tag are recorded durably in the term Outbox (one option per term), the latest state
 * winning, with a seq that only grows per term. The sidecar clears an entry with compare-and-clear
 * (`clear_term_change`) once IGNY8 has it.
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
		$outbox   = Outbox::terms();
		$previous = $outbox->get( (int) $term->term_id );
		$seq      = Sync_Posts::next_seq( null === $previous ? '' : (string) ( $previous['seq'] ?? '' ) );
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
		if ( null !== $previous && 'term_created' === ( $previous['event'] ?? '' ) && 'term_renamed' === $event ) {
			$entry['event'] = 'term_created';
		}
		$outbox->put( (int) $term->term_id, $entry );
		return $entry;
	}
}
