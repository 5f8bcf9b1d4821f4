<?php
/**
 * The POST shape operations return.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Content;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{id, post_type, status, title, url, date_gmt, modified_gmt, author, meta:{_igny8_*}, terms:{tax:[...]}}`, plus
 * `content` and `excerpt` while a local edit waits for IGNY8 (Local_Edits::pending_seq).
 * Meta values are returned raw (strings; contract integer keys as integers), nothing is JSON-decoded: the
 * sidecar owns the meaning of every field. Dates are the stored GMT "Y-m-d H:i:s", or null when unset.
 */
final class Post_Reader {

	/**
	 * Reads a post.
	 *
	 * @param \WP_Post $post       Post.
	 * @param bool     $with_large Include the meta keys the contract flags `large` (the cached task brief):
	 *                             find_posts does, sync events and list_pending do not.
	 * @param bool     $with_terms Include the terms (find_posts `terms: false`: `terms` is `{}`).
	 * @return array<string,mixed>
	 */
	public static function read( \WP_Post $post, bool $with_large = true, bool $with_terms = true ): array {
		$read = array(
			'id'           => (int) $post->ID,
			'post_type'    => $post->post_type,
			'status'       => $post->post_status,
			'title'        => $post->post_title,
			'url'          => (string) get_permalink( $post ),
			'date_gmt'     => self::date( $post->post_date_gmt ),
			'modified_gmt' => self::date( $post->post_modified_gmt ),
			'author'       => (int) $post->post_author,
			'meta'         => (object) self::meta( $post, $with_large ),
			'terms'        => (object) ( $with_terms ? self::terms( $post ) : array() ),
		);
		// A local edit waiting for IGNY8 (contract meta.local_edits): the fields it needs, read now.
		if ( '' !== Local_Edits::pending_seq( (int) $post->ID ) ) {
			$read['content'] = $post->post_content;
			$read['excerpt'] = $post->post_excerpt;
		}
		return $read;
	}

	/**
	 * The post's `_igny8_*` meta among the contract keys.
	 *
	 * @param \WP_Post $post       Post.
	 * @param bool     $with_large Include the keys flagged `large`.
	 * @return array<string,int|string>
	 */
	public static function meta( \WP_Post $post, bool $with_large = true ): array {
		$all  = get_post_meta( $post->ID );
		$meta = array();
		foreach ( Contract::post_meta() as $key => $flags ) {
			if ( 0 !== strpos( $key, '_igny8_' ) || ! empty( $flags['attachment'] ) || ! isset( $all[ $key ][0] ) || ( ! $with_large && ! empty( $flags['large'] ) ) ) {
				continue;
			}
			$value = (string) $all[ $key ][0];
			if ( 'integer' === ( $flags['type'] ?? '' ) && preg_match( '/^-?\d{1,18}$/', $value ) ) {
				$meta[ $key ] = (int) $value;
			} else {
				$meta[ $key ] = $value;
			}
		}
		return $meta;
	}

	/**
	 * Terms of the writable taxonomies (every writable taxonomy is a key; empty when not attached).
	 *
	 * @param \WP_Post $post Post.
	 * @return array<string,array<int,array<string,mixed>>>
	 */
	public static function terms( \WP_Post $post ): array {
		$terms = array();
		// Every taxonomy of the post in one query (and its term meta in one more), not one query per taxonomy.
		update_object_term_cache( array( (int) $post->ID ), $post->post_type );
		$assigned = array();
		$own_ids  = array();
		foreach ( Contract::writable_taxonomies() as $taxonomy ) {
			$assigned[ $taxonomy ] = array();
			if ( ! taxonomy_exists( $taxonomy ) || ! is_object_in_taxonomy( $post->post_type, $taxonomy ) ) {
				continue;
			}
			$found = get_the_terms( $post, $taxonomy );
			if ( ! is_array( $found ) ) {
				continue;
			}
			$assigned[ $taxonomy ] = $found;
			if ( isset( Contract::registered_taxonomies()[ $taxonomy ] ) ) {
				$own_ids = array_merge( $own_ids, wp_list_pluck( $found, 'term_id' ) );
			}
		}
		if ( $own_ids ) {
			// The IGNY8 ids of the plugin's own terms (term meta): one query for all of them, not one per term.
			update_termmeta_cache( array_map( 'intval', $own_ids ) );
		}
		foreach ( $assigned as $taxonomy => $found ) {
			$terms[ $taxonomy ] = array_map( array( self::class, 'term' ), $found );
		}
		return $terms;
	}

	/**
	 * One term: {id, name, slug[, igny8_id]}.
	 *
	 * @param \WP_Term $term Term.
	 * @return array<string,mixed>
	 */
	public static function term( \WP_Term $term ): array {
		$item = array(
			'id'   => (int) $term->term_id,
			'name' => $term->name,
			'slug' => $term->slug,
		);
		$igny8_id = self::igny8_term_id( $term );
		if ( null !== $igny8_id ) {
			$item['igny8_id'] = $igny8_id;
		}
		return $item;
	}

	/**
	 * The IGNY8 id stored in term meta, for the plugin's own taxonomies.
	 *
	 * @param \WP_Term $term Term.
	 * @return int|string|null
	 */
	public static function igny8_term_id( \WP_Term $term ) {
		$definition = Contract::registered_taxonomies()[ $term->taxonomy ] ?? null;
		if ( null === $definition ) {
			return null;
		}
		$value = (string) get_term_meta( $term->term_id, (string) $definition['id_meta_key'], true );
		if ( '' === $value ) {
			return null;
		}
		return preg_match( '/^-?\d{1,18}$/', $value ) ? (int) $value : $value;
	}

	/**
	 * A stored GMT date, or null for the zero date.
	 *
	 * @param string $value Stored date.
	 */
	private static function date( string $value ): ?string {
		return ( '' === $value || '0000-00-00 00:00:00' === $value ) ? null : $value;
	}
}
