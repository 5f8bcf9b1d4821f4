<?php
/**
 * Operation `site_info`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Content\Post_Reader;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Sidecar\Context;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"site_info"}` → `{site_info:{name,url,description,language,timezone},
 * post_types:[{name,label,count,supports}], taxonomies:[{name,label,count,terms:[{id,name,slug,count,parent,
 * igny8_id?}]}], plugins:{key:bool}}`. Post types are the allowed ones (count = published posts); taxonomies are
 * the public, UI-visible ones attached to an allowed post type (count = number of terms).
 */
final class Site_Info implements Operation {

	/**
	 * Most terms listed per taxonomy (`terms_truncated` tells when there are more).
	 */
	public const MAX_TERMS = 1000;

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$types = Settings::allowed_post_types();
		return array(
			'site_info'  => array(
				'name'        => (string) get_bloginfo( 'name' ),
				'url'         => home_url(),
				'description' => (string) get_bloginfo( 'description' ),
				'language'    => get_locale(),
				'timezone'    => wp_timezone_string(),
			),
			'post_types' => $this->post_types( $types ),
			'taxonomies' => $this->taxonomies( $types ),
			'plugins'    => (object) $this->plugins(),
		);
	}

	/**
	 * Allowed post types.
	 *
	 * @param string[] $types Allowed post types.
	 * @return array<int,array<string,mixed>>
	 */
	private function post_types( array $types ): array {
		$list = array();
		foreach ( $types as $type ) {
			$object = get_post_type_object( $type );
			if ( ! $object ) {
				continue;
			}
			$counts = wp_count_posts( $type );
			$list[] = array(
				'name'     => $type,
				'label'    => (string) $object->label,
				'count'    => (int) ( $counts->publish ?? 0 ),
				'supports' => array_keys( (array) get_all_post_type_supports( $type ) ),
			);
		}
		return $list;
	}

	/**
	 * Public taxonomies of the allowed post types, with their terms.
	 *
	 * @param string[] $types Allowed post types.
	 * @return array<int,array<string,mixed>>
	 */
	private function taxonomies( array $types ): array {
		$list = array();
		foreach ( get_taxonomies( array( 'public' => true ), 'objects' ) as $taxonomy ) {
			if ( ! $taxonomy->show_ui || ! array_intersect( (array) $taxonomy->object_type, $types ) ) {
				continue;
			}
			$count = wp_count_terms(
				array(
					'taxonomy'   => $taxonomy->name,
					'hide_empty' => false,
				)
			);
			$count = is_numeric( $count ) ? (int) $count : 0;
			$terms = get_terms(
				array(
					'taxonomy'               => $taxonomy->name,
					'hide_empty'             => false,
					'number'                 => self::MAX_TERMS,
					'orderby'                => 'term_id',
					'order'                  => 'ASC',
					'update_term_meta_cache' => true,
				)
			);
			$items = array();
			foreach ( is_array( $terms ) ? $terms : array() as $term ) {
				$item = array(
					'id'     => (int) $term->term_id,
					'name'   => $term->name,
					'slug'   => $term->slug,
					'count'  => (int) $term->count,
					'parent' => (int) $term->parent,
				);
				$igny8_id = Post_Reader::igny8_term_id( $term );
				if ( null !== $igny8_id ) {
					$item['igny8_id'] = $igny8_id;
				}
				$items[] = $item;
			}
			$entry = array(
				'name'  => $taxonomy->name,
				'label' => (string) $taxonomy->label,
				'count' => $count,
				'terms' => $items,
			);
			if ( $count > count( $items ) ) {
				$entry['terms_truncated'] = true;
			}
			$list[] = $entry;
		}
		return $list;
	}

	/**
	 * Detected plugins: contract key => active.
	 *
	 * @return array<string,bool>
	 */
	private function plugins(): array {
		$plugins = array();
		foreach ( Contract::plugins_detected() as $key => $file ) {
			$plugins[ $key ] = 'woocommerce' === $key ? Context::woocommerce_active() : Context::plugin_active( (string) $file );
		}
		return $plugins;
	}
}
