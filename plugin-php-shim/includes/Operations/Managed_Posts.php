<?php
/**
 * What counts as an IGNY8-managed post.
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
 * A managed post is a post of a contract post type that carries the managed marker (`_igny8_content_id`).
 * Operations read and write managed posts only, never an arbitrary post id.
 */
final class Managed_Posts {

	/**
	 * The managed post with this id.
	 *
	 * @param int $post_id Post id.
	 * @throws Bridge_Error POST_NOT_FOUND when it does not exist or is not managed.
	 */
	public static function get( int $post_id ): \WP_Post {
		$post = get_post( $post_id );
		if ( ! $post instanceof \WP_Post || ! self::is_managed( $post ) ) {
			throw new Bridge_Error( 'POST_NOT_FOUND', 'No IGNY8-managed post has this id.', 'post_id' );
		}
		return $post;
	}

	/**
	 * Whether a post is managed.
	 *
	 * @param \WP_Post $post Post.
	 */
	public static function is_managed( \WP_Post $post ): bool {
		return in_array( $post->post_type, Contract::post_types(), true )
			&& '' !== (string) get_post_meta( $post->ID, self::marker_key(), true );
	}

	/**
	 * The managed marker meta key.
	 */
	public static function marker_key(): string {
		return (string) Contract::meta( 'managed_marker_key' );
	}

	/**
	 * Every post status to search, trash and auto-draft included (not `inherit`: revisions and attachments).
	 *
	 * @return string[]
	 */
	public static function all_statuses(): array {
		return array_values( array_diff( array_keys( get_post_stati() ), array( 'inherit' ) ) );
	}
}
