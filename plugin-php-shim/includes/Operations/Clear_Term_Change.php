<?php
/**
 * Internal operation `clear_term_change`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Sync\Outbox;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"clear_term_change", term_id, seq}` → `{term_id, cleared:bool}`. Compare-and-clear of a term's outbox
 * entry: it is deleted only while it still holds `seq`, so a change recorded after the sidecar read it is kept.
 */
final class Clear_Term_Change implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		// The contract's argument schema says it all.
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$term_id = (int) $args['term_id'];
		$seq     = (string) $args['seq'];
		return array(
			'term_id' => $term_id,
			'cleared' => Outbox::terms()->clear( $term_id, $seq ),
		);
	}
}
