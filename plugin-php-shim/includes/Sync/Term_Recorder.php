<?php
/**
 * Records taxonomy changes for the sync to IGNY8.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Structure_Revision;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `created_term` (category, tag), `edit_term` + `edited_term` (a cluster or sector whose name or slug changed) and
 * `pre_delete_term` (a cluster or sector, read while its IGNY8 id is still in term meta) are recorded in the term
 * outbox (Sync_Terms) first; at `shutdown` the sidecar is told once, with the entries and the new structure
 * revision (any term change of a contract taxonomy moves it, so the sidecar can plan the daily structure push).
 * The plugin's own writes (Sync_Guard: IGNY8's publishes creating terms) are not recorded and echo nothing.
 */
final class Term_Recorder implements Feature {

	/**
	 * Entries recorded in this request: term id => entry.
	 *
	 * @var array<int,array<string,mixed>>
	 */
	private static array $entries = array();

	/**
	 * Name and slug of terms about to be edited: term id => "name\nslug".
	 *
	 * @var array<int,string>
	 */
	private static array $before = array();

	/**
	 * Whether a contract taxonomy changed in this request.
	 *
	 * @var bool
	 */
	private static bool $structure = false;

	/**
	 * Whether the shutdown notify is hooked.
	 *
	 * @var bool
	 */
	private static bool $hooked = false;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'created_term', array( $this, 'on_created' ), 20, 3 );
		add_action( 'edit_term', array( $this, 'on_edit' ), 10, 3 );
		add_action( 'edited_term', array( $this, 'on_edited' ), 20, 3 );
		add_action( 'pre_delete_term', array( $this, 'on_pre_delete' ), 10, 2 );
	}

	/**
	 * A term was created.
	 *
	 * @param int|string $term_id  Term id.
	 * @param int|string $tt_id    Term taxonomy id.
	 * @param string     $taxonomy Taxonomy.
	 */
	public function on_created( $term_id, $tt_id, $taxonomy ): void {
		$this->maybe_record( (int) $term_id, (string) $taxonomy, 'term_created' );
	}

	/**
	 * A term is about to be edited: remember its name and slug.
	 *
	 * @param int|string $term_id  Term id.
	 * @param int|string $tt_id    Term taxonomy id.
	 * @param string     $taxonomy Taxonomy.
	 */
	public function on_edit( $term_id, $tt_id, $taxonomy ): void {
		if ( Sync_Guard::is_suppressed() || ! in_array( (string) $taxonomy, Sync_Terms::taxonomies_for( 'term_renamed' ), true ) ) {
			return;
		}
		$term = get_term( (int) $term_id, (string) $taxonomy );
		if ( $term instanceof \WP_Term ) {
			self::$before[ (int) $term_id ] = $term->name . "\n" . $term->slug;
		}
	}

	/**
	 * A term was edited: a cluster or sector whose name or slug changed is reported renamed.
	 *
	 * @param int|string $term_id  Term id.
	 * @param int|string $tt_id    Term taxonomy id.
	 * @param string     $taxonomy Taxonomy.
	 */
	public function on_edited( $term_id, $tt_id, $taxonomy ): void {
		$term_id = (int) $term_id;
		$before  = self::$before[ $term_id ] ?? null;
		unset( self::$before[ $term_id ] );
		if ( null === $before ) {
			$this->structure_changed( (string) $taxonomy );
			return;
		}
		clean_term_cache( $term_id, (string) $taxonomy );
		$term = get_term( $term_id, (string) $taxonomy );
		if ( $term instanceof \WP_Term && $term->name . "\n" . $term->slug !== $before ) {
			$this->maybe_record( $term_id, (string) $taxonomy, 'term_renamed' );
			return;
		}
		$this->structure_changed( (string) $taxonomy );
	}

	/**
	 * A term is about to be deleted (its meta still holds the IGNY8 id).
	 *
	 * @param int|string $term_id  Term id.
	 * @param string     $taxonomy Taxonomy.
	 */
	public function on_pre_delete( $term_id, $taxonomy ): void {
		$this->maybe_record( (int) $term_id, (string) $taxonomy, 'term_deleted' );
		$this->structure_changed( (string) $taxonomy );
	}

	/**
	 * Records the change when the event is reported for the taxonomy and the write is not the plugin's own.
	 *
	 * @param int    $term_id  Term id.
	 * @param string $taxonomy Taxonomy.
	 * @param string $event    Event.
	 */
	private function maybe_record( int $term_id, string $taxonomy, string $event ): void {
		if ( Sync_Guard::is_suppressed() ) {
			return;
		}
		$this->structure_changed( $taxonomy );
		if ( ! in_array( $taxonomy, Sync_Terms::taxonomies_for( $event ), true ) ) {
			return;
		}
		$term = get_term( $term_id, $taxonomy );
		if ( ! $term instanceof \WP_Term ) {
			return;
		}
		try {
			self::$entries[ $term_id ] = Sync_Terms::record( $term, $event );
			self::hook_shutdown();
		} catch ( \Throwable $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- must be findable.
			error_log( sprintf( 'IGNY8 Bridge: could not record the change of term %d: %s', $term_id, $error->getMessage() ) );
		}
	}

	/**
	 * A term of a contract taxonomy changed: the sidecar hears of the new structure revision at shutdown.
	 *
	 * @param string $taxonomy Taxonomy.
	 */
	private function structure_changed( string $taxonomy ): void {
		if ( Sync_Guard::is_suppressed() || ! in_array( $taxonomy, Contract::writable_taxonomies(), true ) ) {
			return;
		}
		self::$structure = true;
		self::hook_shutdown();
	}

	/**
	 * Adds the notify to `shutdown` once, late (after the structure revision's own shutdown bump).
	 */
	private static function hook_shutdown(): void {
		if ( ! self::$hooked ) {
			self::$hooked = true;
			add_action( 'shutdown', array( self::class, 'notify' ), PHP_INT_MAX );
		}
	}

	/**
	 * Tells the sidecar once: the recorded entries and the structure revision.
	 */
	public static function notify(): void {
		$events = array_values( self::$entries );
		if ( self::$structure || $events ) {
			$events[] = array(
				'kind'          => 'structure',
				'structure_rev' => Structure_Revision::current(),
			);
		}
		self::$entries   = array();
		self::$structure = false;
		self::$hooked    = false;
		try {
			Event_Notifier::send( $events );
		} catch ( \Throwable $error ) {
			// The outbox is durable; the sidecar's reconciler will find it.
			return;
		}
	}
}
