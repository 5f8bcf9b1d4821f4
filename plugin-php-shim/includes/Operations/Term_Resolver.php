<?php
/**
 * Resolves term references to term ids, creating the missing ones.
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
 * A term reference is `{name, igny8_id?, placeholder?}`. Names always become integer term ids before anything is
 * assigned (wp_set_object_terms with ids: names through tax_input / wp_set_post_terms are intval()'d to 0 in
 * hierarchical taxonomies, which is how posts end up "Uncategorized").
 *
 * In taxonomies with an `id_meta_key` in the contract (the plugin's own clusters and sectors) a reference with an
 * IGNY8 id is found by that id in term meta first, then by name (a term found by name that has no id yet adopts
 * it; one that carries a different id is a different term, so a new one is created next to it). A term found by
 * id is renamed to the incoming name unless the reference is a `placeholder`. The id stays in term meta across
 * renames. Other taxonomies: by name, then by the name's slug, else created.
 *
 * Concurrency: plan() (before the transaction) names the lock rows needed by the references that would create or
 * change a term; the caller holds them until after commit, so a second request sees the committed term instead
 * of creating a duplicate. Lock order is always content lock, then term locks in sorted order.
 *
 * A reference plan() found settled (its term exists and needs no change, so it takes no lock) is not looked up
 * again: a resolver built with the planner's settled() uses that term id. Looked up again inside the transaction,
 * after the post's first term writes invalidated the term query cache, each cost one or two more queries. A term
 * deleted in between is skipped by wp_set_object_terms (an id that no longer exists), as if deleted right after.
 */
final class Term_Resolver {

	/**
	 * Warnings collected while resolving.
	 *
	 * @var array<int,array<string,string>>
	 */
	private array $warnings = array();

	/**
	 * Terms created here: term id => taxonomy (for cache cleaning after a rollback).
	 *
	 * @var array<int,string>
	 */
	private array $created = array();

	/**
	 * References plan() found settled: settled_key() => term id.
	 *
	 * @var array<string,int>
	 */
	private array $settled;

	/**
	 * Constructor.
	 *
	 * @param array<string,int> $settled What the planner's settled() returned (none: every reference is looked up).
	 */
	public function __construct( array $settled = array() ) {
		$this->settled = $settled;
	}

	/**
	 * The term meta key holding the IGNY8 id in a taxonomy, or null.
	 *
	 * @param string $taxonomy Taxonomy.
	 */
	public static function id_meta_key( string $taxonomy ): ?string {
		$key = Contract::registered_taxonomies()[ $taxonomy ]['id_meta_key'] ?? null;
		return is_string( $key ) && '' !== $key ? $key : null;
	}

	/**
	 * Checks one taxonomy's references beyond their shape (a list of `{name, igny8_id?, placeholder?}`, at most the
	 * contract's number, checked before by the argument schema): a name that is not blank, an IGNY8 id only where the
	 * taxonomy carries one, and then a positive integer. No side effects.
	 *
	 * @param string                         $taxonomy Taxonomy (already known to be writable).
	 * @param array<int,array<string,mixed>> $items    References.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function check_items( string $taxonomy, array $items ): void {
		$id_key = self::id_meta_key( $taxonomy );
		foreach ( $items as $index => $item ) {
			$item_field = "terms.{$taxonomy}.{$index}";
			if ( '' === trim( (string) $item['name'] ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$item_field}.name must not be empty.", "{$item_field}.name" );
			}
			if ( isset( $item['igny8_id'] ) ) {
				if ( null === $id_key ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', "Terms of {$taxonomy} carry no IGNY8 id.", "{$item_field}.igny8_id" );
				}
				if ( null === self::igny8_id( $item ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', "{$item_field}.igny8_id must be a positive integer.", "{$item_field}.igny8_id" );
				}
			}
		}
	}

	/**
	 * Lock names needed to resolve these references safely (read-only; run before the transaction).
	 * A reference whose term exists and needs no change needs no lock.
	 *
	 * @param string                         $taxonomy Taxonomy.
	 * @param array<int,array<string,mixed>> $items    Checked references.
	 * @return string[]
	 */
	public function plan( string $taxonomy, array $items ): array {
		$locks = array();
		foreach ( $items as $item ) {
			$name     = trim( (string) $item['name'] );
			$igny8_id = self::igny8_id( $item );
			$found    = $this->find( $taxonomy, $name, $igny8_id );
			if ( null !== $found && ( '' === $found['changes'] || ( 'rename' === $found['changes'] && ! empty( $item['placeholder'] ) ) ) ) {
				$this->settled[ self::settled_key( $taxonomy, $name, $igny8_id, ! empty( $item['placeholder'] ) ) ] = (int) $found['term']->term_id;
				continue;
			}
			$locks[] = 'term:' . $taxonomy . ':name:' . sha1( self::fold( $name ) );
			if ( null !== $igny8_id ) {
				$locks[] = 'term:' . $taxonomy . ':id:' . $igny8_id;
			}
		}
		return $locks;
	}

	/**
	 * The references plan() found settled, for the resolver of each write attempt.
	 *
	 * @return array<string,int>
	 */
	public function settled(): array {
		return $this->settled;
	}

	/**
	 * Resolves references to term ids (creating, renaming or tagging terms as needed). Runs in the transaction.
	 *
	 * @param string                         $taxonomy Taxonomy.
	 * @param array<int,array<string,mixed>> $items    Checked references.
	 * @return int[] Unique term ids, in the order of the references.
	 * @throws Bridge_Error OPERATION_FAILED when a term cannot be created.
	 */
	public function resolve( string $taxonomy, array $items ): array {
		$ids = array();
		foreach ( $items as $index => $item ) {
			$field    = "terms.{$taxonomy}.{$index}";
			$name     = trim( (string) $item['name'] );
			$igny8_id = self::igny8_id( $item );
			$settled  = $this->settled[ self::settled_key( $taxonomy, $name, $igny8_id, ! empty( $item['placeholder'] ) ) ] ?? 0;
			if ( $settled > 0 ) {
				$ids[ $settled ] = true;
				continue;
			}
			$found = $this->find( $taxonomy, $name, $igny8_id );
			if ( null === $found ) {
				$term_id = $this->create( $taxonomy, $name, $igny8_id, false, $field );
			} else {
				$term_id = $found['term']->term_id;
				if ( 'rename' === $found['changes'] && empty( $item['placeholder'] ) ) {
					$this->rename( $found['term'], $name, $field );
				} elseif ( 'adopt' === $found['changes'] && null !== $igny8_id ) {
					update_term_meta( $term_id, (string) self::id_meta_key( $taxonomy ), wp_slash( (string) $igny8_id ) );
				} elseif ( 'sibling' === $found['changes'] ) {
					$term_id = $this->create( $taxonomy, $name, $igny8_id, true, $field );
				}
			}
			$ids[ (int) $term_id ] = true;
		}
		return array_keys( $ids );
	}

	/**
	 * Warnings collected while resolving.
	 *
	 * @return array<int,array<string,string>>
	 */
	public function warnings(): array {
		return $this->warnings;
	}

	/**
	 * After a rollback: forgets cached data of the terms created here (their rows are gone).
	 */
	public function discard_created(): void {
		foreach ( $this->created as $term_id => $taxonomy ) {
			clean_term_cache( $term_id, $taxonomy );
		}
		foreach ( array_unique( $this->created ) as $taxonomy ) {
			delete_option( "{$taxonomy}_children" );
		}
		wp_cache_set( 'last_changed', microtime(), 'terms' );
		$this->created = array();
	}

	/**
	 * Finds the term for a reference, and what would have to change.
	 *
	 * @param string   $taxonomy Taxonomy.
	 * @param string   $name     Incoming name (trimmed).
	 * @param int|null $igny8_id IGNY8 id, if any.
	 * @return array{term:\WP_Term,changes:string}|null `changes`: '' none, 'rename', 'adopt' (add the id meta),
	 *                                                  'sibling' (the name belongs to another IGNY8 id: create).
	 */
	private function find( string $taxonomy, string $name, ?int $igny8_id ): ?array {
		$id_key = self::id_meta_key( $taxonomy );
		if ( null !== $id_key && null !== $igny8_id ) {
			$terms = get_terms(
				array(
					'taxonomy'               => $taxonomy,
					'hide_empty'             => false,
					'number'                 => 1,
					'orderby'                => 'term_id',
					'order'                  => 'ASC',
					'update_term_meta_cache' => false,
					'meta_query'             => array( // phpcs:ignore WordPress.DB.SlowDBQuery -- the lookup the contract defines.
						array(
							'key'   => $id_key,
							'value' => (string) $igny8_id,
						),
					),
				)
			);
			if ( is_array( $terms ) && isset( $terms[0] ) && $terms[0] instanceof \WP_Term ) {
				return array(
					'term'    => $terms[0],
					'changes' => self::same_name( $terms[0], $name ) ? '' : 'rename',
				);
			}
		}
		$term = $this->find_by_name( $taxonomy, $name );
		if ( null === $term ) {
			return null;
		}
		if ( null === $id_key || null === $igny8_id ) {
			return array(
				'term'    => $term,
				'changes' => '',
			);
		}
		$existing = (string) get_term_meta( $term->term_id, $id_key, true );
		if ( '' === $existing ) {
			return array(
				'term'    => $term,
				'changes' => 'adopt',
			);
		}
		return array(
			'term'    => $term,
			'changes' => (string) $igny8_id === $existing ? '' : 'sibling',
		);
	}

	/**
	 * A term by name, then by the slug of the name (accepted only when the names match loosely).
	 *
	 * @param string $taxonomy Taxonomy.
	 * @param string $name     Name.
	 */
	private function find_by_name( string $taxonomy, string $name ): ?\WP_Term {
		$term = get_term_by( 'name', wp_slash( $name ), $taxonomy );
		if ( $term instanceof \WP_Term ) {
			return $term;
		}
		$slug = sanitize_title( $name );
		if ( '' === $slug ) {
			return null;
		}
		$term = get_term_by( 'slug', $slug, $taxonomy );
		// "C++" and "C" share the slug "c": a slug match counts only when the names differ in case or entities.
		return $term instanceof \WP_Term && self::fold( $term->name ) === self::fold( $name ) ? $term : null;
	}

	/**
	 * Creates a term (and stores its IGNY8 id).
	 *
	 * @param string   $taxonomy    Taxonomy.
	 * @param string   $name        Name.
	 * @param int|null $igny8_id    IGNY8 id.
	 * @param bool     $unique_slug Give an explicit slug (a same-named term of another IGNY8 id exists).
	 * @param string   $field       Op field for errors.
	 * @throws Bridge_Error OPERATION_FAILED.
	 */
	private function create( string $taxonomy, string $name, ?int $igny8_id, bool $unique_slug, string $field ): int {
		$args = array();
		if ( $unique_slug ) {
			$args['slug'] = sanitize_title( $name . '-' . (string) $igny8_id );
		}
		$result = wp_insert_term( wp_slash( $name ), $taxonomy, wp_slash( $args ) );
		if ( is_wp_error( $result ) ) {
			$existing = (int) $result->get_error_data( 'term_exists' );
			if ( 'term_exists' !== $result->get_error_code() || $existing <= 0 ) {
				throw new Bridge_Error( 'OPERATION_FAILED', "Could not create the {$taxonomy} term: " . $result->get_error_message(), $field );
			}
			return $existing;
		}
		$term_id                   = (int) $result['term_id'];
		$this->created[ $term_id ] = $taxonomy;
		$id_key                    = self::id_meta_key( $taxonomy );
		if ( null !== $id_key && null !== $igny8_id ) {
			update_term_meta( $term_id, $id_key, wp_slash( (string) $igny8_id ) );
		}
		return $term_id;
	}

	/**
	 * Renames a term found by its IGNY8 id (its slug and id meta stay).
	 *
	 * @param \WP_Term $term  Term.
	 * @param string   $name  New name.
	 * @param string   $field Op field for warnings.
	 */
	private function rename( \WP_Term $term, string $name, string $field ): void {
		$result = wp_update_term( $term->term_id, $term->taxonomy, array( 'name' => wp_slash( $name ) ) );
		if ( is_wp_error( $result ) ) {
			$this->warnings[] = array(
				'code'    => 'TERM_RENAME_FAILED',
				'message' => 'The term was kept under its old name: ' . $result->get_error_message(),
				'field'   => $field,
			);
		}
	}

	/**
	 * Whether a stored term name equals an incoming name once WordPress's own sanitising is applied.
	 *
	 * @param \WP_Term $term Term.
	 * @param string   $name Incoming name.
	 */
	private static function same_name( \WP_Term $term, string $name ): bool {
		$stored = wp_unslash( (string) sanitize_term_field( 'name', wp_slash( $name ), $term->term_id, $term->taxonomy, 'db' ) );
		return $stored === $term->name;
	}

	/**
	 * A loose comparison form of a name: entities decoded, whitespace collapsed, lowercase.
	 *
	 * @param string $name Name.
	 */
	private static function fold( string $name ): string {
		$name = html_entity_decode( $name, ENT_QUOTES | ENT_HTML5, 'UTF-8' );
		return mb_strtolower( trim( (string) preg_replace( '/\s+/u', ' ', $name ) ) );
	}

	/**
	 * The key of a reference in settled(): everything that decides how resolve() treats it.
	 *
	 * @param string   $taxonomy    Taxonomy.
	 * @param string   $name        Trimmed name.
	 * @param int|null $igny8_id    IGNY8 id.
	 * @param bool     $placeholder Whether the reference is a placeholder.
	 */
	private static function settled_key( string $taxonomy, string $name, ?int $igny8_id, bool $placeholder ): string {
		return $taxonomy . "\0" . $name . "\0" . (string) $igny8_id . "\0" . ( $placeholder ? '1' : '0' );
	}

	/**
	 * The reference's IGNY8 id, or null (absent or invalid).
	 *
	 * @param array<string,mixed> $item Reference.
	 */
	private static function igny8_id( array $item ): ?int {
		$value = $item['igny8_id'] ?? null;
		if ( is_string( $value ) && preg_match( '/^\d{1,18}$/', $value ) ) {
			$value = (int) $value;
		}
		return is_int( $value ) && $value > 0 ? $value : null;
	}
}
