<?php
/**
 * The IGNY8 cluster and sector taxonomies.
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
 * Registers `igny8_clusters` and `igny8_sectors` (hierarchical, in REST) for posts and pages, and for WooCommerce
 * products once that post type exists.
 */
final class Taxonomies implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'init', array( $this, 'register_taxonomies' ), 9 );
		// WooCommerce registers `product` on init 5; attach late so any product type registered on init is seen.
		add_action( 'init', array( $this, 'attach_to_products' ), 99 );
	}

	/**
	 * Registers the contract's own taxonomies.
	 */
	public function register_taxonomies(): void {
		foreach ( Contract::registered_taxonomies() as $taxonomy => $definition ) {
			$label    = (string) $definition['label'];
			$singular = (string) $definition['singular'];
			register_taxonomy(
				$taxonomy,
				array( 'post', 'page' ),
				array(
					'labels'             => array(
						'name'          => $label,
						'singular_name' => $singular,
						'menu_name'     => $label,
						'all_items'     => $label,
						/* translators: %s: singular taxonomy label. */
						'edit_item'     => sprintf( __( 'Edit %s', 'igny8-bridge' ), $singular ),
						/* translators: %s: singular taxonomy label. */
						'add_new_item'  => sprintf( __( 'Add New %s', 'igny8-bridge' ), $singular ),
						/* translators: %s: plural taxonomy label. */
						'search_items'  => sprintf( __( 'Search %s', 'igny8-bridge' ), $label ),
					),
					'hierarchical'       => ! empty( $definition['hierarchical'] ),
					'public'             => true,
					// Structure for IGNY8 and editors, not front-end archives (no rewrite rules to flush).
					'publicly_queryable' => false,
					'rewrite'            => false,
					'query_var'          => false,
					'show_ui'            => true,
					'show_in_nav_menus'  => false,
					'show_admin_column'  => true,
					'show_in_rest'       => true,
				)
			);
		}
	}

	/**
	 * Adds the taxonomies to `product` when it exists.
	 */
	public function attach_to_products(): void {
		if ( ! post_type_exists( 'product' ) || ! in_array( 'product', Contract::post_types(), true ) ) {
			return;
		}
		foreach ( array_keys( Contract::registered_taxonomies() ) as $taxonomy ) {
			register_taxonomy_for_object_type( $taxonomy, 'product' );
		}
	}
}
