<?php
/**
 * The sync outbox: one option per object whose change must still reach IGNY8.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sync;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Changes that have no post meta to live in (a permanently deleted post, a term change) are recorded durably in one
 * option per object (contract prefix + id, not autoloaded), so concurrent writers never overwrite each other; the
 * latest state wins, with a seq that only grows per object. The sidecar lists the entries (list_pending) and
 * clears one with compare-and-clear once IGNY8 has it (clear_pending_marker / clear_term_change).
 */
final class Outbox {

	/**
	 * Option name prefix.
	 */
	private string $prefix;

	/**
	 * The entry field holding the object id (post_id, term_id).
	 */
	private string $id_field;

	/**
	 * An outbox.
	 *
	 * @param string $prefix   Option name prefix.
	 * @param string $id_field Entry field holding the object id.
	 */
	private function __construct( string $prefix, string $id_field ) {
		$this->prefix   = $prefix;
		$this->id_field = $id_field;
	}

	/**
	 * Permanently deleted synced posts (contract `meta.deleted_outbox_option_prefix`).
	 */
	public static function deleted_posts(): self {
		return new self( (string) Contract::meta( 'deleted_outbox_option_prefix' ), 'id' );
	}

	/**
	 * Term changes (contract `meta.term_outbox_option_prefix`).
	 */
	public static function terms(): self {
		return new self( (string) Contract::meta( 'term_outbox_option_prefix' ), 'term_id' );
	}

	/**
	 * The seq of the object's pending entry ('' when there is none).
	 *
	 * @param int $id Object id.
	 */
	public function seq( int $id ): string {
		$entry = $this->get( $id );
		return null === $entry ? '' : (string) ( $entry['seq'] ?? '' );
	}

	/**
	 * The object's pending entry, if any.
	 *
	 * @param int $id Object id.
	 * @return array<string,mixed>|null
	 */
	public function get( int $id ): ?array {
		$value = get_option( $this->option( $id ) );
		return is_array( $value ) ? $value : null;
	}

	/**
	 * Records the object's entry (replacing the previous one).
	 *
	 * @param int                 $id    Object id.
	 * @param array<string,mixed> $entry Entry, with seq.
	 */
	public function put( int $id, array $entry ): void {
		update_option( $this->option( $id ), $entry, false );
	}

	/**
	 * Pending entries (at most $limit), oldest first.
	 *
	 * @param int $limit Most entries.
	 * @return array<int,array<string,mixed>>
	 */
	public function pending( int $limit ): array {
		global $wpdb;
		$like = $wpdb->esc_like( $this->prefix ) . '%';
		// phpcs:ignore WordPress.DB -- a bounded, prepared read of the plugin's own options.
		$names = $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s ORDER BY option_id ASC LIMIT %d", $like, $limit ) );
		$list  = array();
		foreach ( (array) $names as $name ) {
			$value = get_option( (string) $name );
			if ( is_array( $value ) && isset( $value[ $this->id_field ], $value['seq'] ) ) {
				$list[] = $value;
			}
		}
		return $list;
	}

	/**
	 * Compare-and-clear: removes the object's entry only if it still has this seq.
	 *
	 * @param int    $id  Object id.
	 * @param string $seq Seq the sidecar delivered.
	 */
	public function clear( int $id, string $seq ): bool {
		$value = $this->get( $id );
		if ( null === $value || (string) ( $value['seq'] ?? '' ) !== $seq ) {
			return false;
		}
		return delete_option( $this->option( $id ) );
	}

	/**
	 * The option of an object.
	 *
	 * @param int $id Object id.
	 */
	private function option( int $id ): string {
		return $this->prefix . $id;
	}
}
