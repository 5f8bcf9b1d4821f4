<?php
/**
 * What the REST request being served can reach.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * An editor save is `POST /wp/v2/posts/<id>`: core's posts controller serves it and dispatches no other route. The
 * routes nothing in such a request can reach (the plugin's own, its taxonomies' term routes) need not be registered
 * in it: registering them built their argument schemas on every save (issue #15).
 */
final class Rest_Scope {

	/**
	 * Whether this is an HTTP REST request for a contract post type's collection or item route (`/wp/v2/posts`,
	 * `/wp/v2/posts/<id>`; core's rest_get_route_for_post_type_items()), which dispatches no other route: not embedding (`_embed`), not a batch, not an index.
	 * False outside the HTTP REST request (an internal `rest_do_request`, a REST call in wp-admin or the CLI), so
	 * those still see every route. Read on `rest_api_init`, which core fires once the route is known.
	 */
	public static function is_posts_request(): bool {
		return null !== self::posts_request_type();
	}

	/**
	 * The post type of such a posts request (is_posts_request()), or null.
	 */
	public static function posts_request_type(): ?string {
		static $answer = false;
		if ( false !== $answer ) {
			return $answer;
		}
		$answer = null;
		$route  = ( defined( 'REST_REQUEST' ) && REST_REQUEST && isset( $GLOBALS['wp'] ) && $GLOBALS['wp'] instanceof \WP ) ? ( $GLOBALS['wp']->query_vars['rest_route'] ?? null ) : null;
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only tested for presence.
		if ( ! is_string( $route ) || isset( $_GET['_embed'] ) ) {
			return $answer;
		}
		foreach ( Contract::post_types() as $post_type ) {
			// Core's own route of the type's posts controller ('' when the type is missing or not in REST): its
			// rest_namespace and rest_base, as the controller registers them.
			$items = rest_get_route_for_post_type_items( (string) $post_type );
			if ( '' !== $items && preg_match( '#^' . preg_quote( $items, '#' ) . '(?:/\d+)?/?$#', $route ) ) {
				$answer = (string) $post_type;
				break;
			}
		}
		return $answer;
	}
}
