<?php
/**
 * Post and term meta registration from the contract.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Registration;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers every meta key the contract lists. `_igny8_*` keys flagged `rest` show in REST in the edit context
 * only; JSON-valued keys are stored as strings.
 */
final class Meta implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'register_post_meta' ), 20 );
		add_action( 'init', array( $this, 'register_term_meta' ), 20 );
	}

	/**
	 * Registers post meta for each contract post type (and attachment meta for attachment keys).
	 */
	public function register_post_meta(): void {
		foreach ( Contract::post_meta() as $key => $flags ) {
			$object_types = empty( $flags['attachment'] ) ? Contract::post_types() : array( 'attachment' );
			foreach ( $object_types as $post_type ) {
				register_post_meta( $post_type, $key, $this->post_meta_args( $flags ) );
			}
		}
	}

	/**
	 * Registers the IGNY8 id term meta on the plugin's taxonomies.
	 */
	public function register_term_meta(): void {
		$registered = Contract::registered_taxonomies();
		foreach ( (array) Contract::meta( 'term' ) as $key ) {
			$owners = array();
			foreach ( $registered as $taxonomy => $definition ) {
				if ( ( $definition['id_meta_key'] ?? '' ) === $key ) {
					$owners[] = $taxonomy;
				}
			}
			foreach ( $owners ? $owners : array_keys( $registered ) as $taxonomy ) {
				register_term_meta(
					$taxonomy,
					$key,
					array(
						'type'          => 'integer',
						'single'        => true,
						'show_in_rest'  => false,
						'auth_callback' => array( $this, 'can_edit_term_meta' ),
					)
				);
			}
		}
	}

	/**
	 * Arguments for one post meta key.
	 *
	 * @param array<string,mixed> $flags Contract flags of the key.
	 * @return array<string,mixed>
	 */
	private function post_meta_args( array $flags ): array {
		$type = ( 'integer' === ( $flags['type'] ?? 'string' ) && empty( $flags['json'] ) ) ? 'integer' : 'string';
		$args = array(
			'type'          => $type,
			'single'        => true,
			'show_in_rest'  => false,
			'auth_callback' => array( $this, 'can_edit_post_meta' ),
		);
		if ( ! empty( $flags['rest'] ) ) {
			$args['show_in_rest'] = array(
				'schema' => array(
					'type'    => $type,
					'context' => array( 'edit' ),
				),
			);
		}
		return $args;
	}

	/**
	 * Meta auth callback: only users who can edit the post may write its IGNY8 meta.
	 *
	 * @param bool   $allowed  Current decision.
	 * @param string $meta_key Meta key.
	 * @param int    $post_id  Post id.
	 */
	public function can_edit_post_meta( $allowed, $meta_key, $post_id ): bool {
		return current_user_can( 'edit_post', (int) $post_id );
	}

	/**
	 * Term meta auth callback.
	 *
	 * @param bool   $allowed  Current decision.
	 * @param string $meta_key Meta key.
	 * @param int    $term_id  Term id.
	 */
	public function can_edit_term_meta( $allowed, $meta_key, $term_id ): bool {
		return current_user_can( 'edit_term', (int) $term_id );
	}
}
