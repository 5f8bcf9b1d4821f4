<?php
/**
 * `meta_key` lookups on core /wp/v2 post collections.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Rest;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * IGNY8 calls `GET /wp/v2/posts?meta_key=_igny8_content_id&meta_value=123` (and `_igny8_task_id`, with or without
 * a value). Core ignores unknown parameters and would answer with ALL posts, so IGNY8 would map the wrong post.
 * For the contract's post types: a `meta_key` / `meta_value` request is answered only for the lookup keys, on an
 * allowed type, for a user with the type's edit_posts capability (exact match, or EXISTS without a value);
 * anything else gets a 400 WP_Error before the query runs, never an unfiltered list.
 */
final class Core_Meta_Query implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		// Before create_initial_rest_routes (rest_api_init, 99) so the collection params are part of the routes.
		add_action( 'rest_api_init', array( $this, 'hook_post_types' ), 5 );
		add_filter( 'rest_request_before_callbacks', array( $this, 'refuse_unsupported_meta_queries' ), 10, 3 );
	}

	/**
	 * Adds the query filter and the documented parameters for each contract post type. Every REST request runs
	 * this, so it reads no setting (the first settings read of a request is a query): whether the type is allowed
	 * is checked when a lookup is made (refuse_unsupported_meta_queries), before the query filter can run.
	 */
	public function hook_post_types(): void {
		foreach ( Contract::post_types() as $type ) {
			add_filter( "rest_{$type}_query", array( $this, 'apply_meta_query' ), 10, 2 );
			add_filter( "rest_{$type}_collection_params", array( $this, 'add_collection_params' ) );
		}
	}

	/**
	 * Documents meta_key / meta_value in the collection schema.
	 *
	 * @param array<string,mixed> $params Collection params.
	 * @return array<string,mixed>
	 */
	public function add_collection_params( $params ) {
		$params                = (array) $params;
		$params['meta_key']    = array(
			'description' => __( 'IGNY8 lookup: limit results to posts that have this IGNY8 id meta key.', 'igny8-bridge' ),
			'type'        => 'string',
			'enum'        => array_values( (array) Contract::meta( 'lookup_keys' ) ),
		);
		$params['meta_value']  = array(
			'description' => __( 'IGNY8 lookup: exact value of meta_key (without it, posts that have the key).', 'igny8-bridge' ),
			'type'        => 'string',
		);
		return $params;
	}

	/**
	 * Refuses meta queries that core would silently ignore. Filter `rest_request_before_callbacks`.
	 *
	 * @param mixed            $response Response so far (a WP_Error when validation already failed).
	 * @param array            $handler  Route handler.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public function refuse_unsupported_meta_queries( $response, $handler, $request ) {
		if ( is_wp_error( $response ) || ! $request instanceof \WP_REST_Request || ! in_array( $request->get_method(), array( 'GET', 'HEAD' ), true ) ) {
			return $response;
		}
		$key   = $request->get_param( 'meta_key' );
		$value = $request->get_param( 'meta_value' );
		if ( null === $key && null === $value ) {
			return $response;
		}
		$type = self::collection_post_type( $request->get_route() );
		if ( null === $type ) {
			return $response;
		}
		if ( ! in_array( $type, Settings::allowed_post_types(), true ) ) {
			return self::refusal( 'igny8_post_type_not_enabled', __( 'IGNY8 lookups are not enabled for this post type.', 'igny8-bridge' ) );
		}
		if ( ! is_string( $key ) || ! in_array( $key, (array) Contract::meta( 'lookup_keys' ), true ) ) {
			return self::refusal( 'rest_invalid_param', __( 'meta_key must be _igny8_content_id or _igny8_task_id.', 'igny8-bridge' ), 'meta_key' );
		}
		if ( null !== $value && ! is_scalar( $value ) ) {
			return self::refusal( 'rest_invalid_param', __( 'meta_value must be a single value.', 'igny8-bridge' ), 'meta_value' );
		}
		$object = get_post_type_object( $type );
		if ( ! $object || ! current_user_can( $object->cap->edit_posts ) ) {
			return self::refusal( 'igny8_meta_query_forbidden', __( 'IGNY8 meta lookups need a user who can edit this post type.', 'igny8-bridge' ) );
		}
		return $response;
	}

	/**
	 * Adds the meta clause. Filter `rest_{$type}_query`.
	 *
	 * @param array<string,mixed> $args    WP_Query arguments.
	 * @param \WP_REST_Request    $request Request.
	 * @return array<string,mixed>
	 */
	public function apply_meta_query( $args, $request ) {
		$args  = (array) $args;
		$key   = $request instanceof \WP_REST_Request ? $request->get_param( 'meta_key' ) : null;
		$value = $request instanceof \WP_REST_Request ? $request->get_param( 'meta_value' ) : null;
		if ( null === $key && null === $value ) {
			return $args;
		}
		if ( ! is_string( $key ) || ! in_array( $key, (array) Contract::meta( 'lookup_keys' ), true ) || ( null !== $value && ! is_scalar( $value ) ) ) {
			// Unreachable after the check above; if it ever is reached, match nothing rather than everything.
			$args['post__in'] = array( 0 );
			return $args;
		}
		$clause = null === $value
			? array(
				'key'     => $key,
				'compare' => 'EXISTS',
			)
			: array(
				'key'     => $key,
				'value'   => (string) $value,
				'compare' => '=',
			);
		$args['meta_query'] = empty( $args['meta_query'] ) ? array( $clause ) : array( 'relation' => 'AND', $args['meta_query'], $clause ); // phpcs:ignore WordPress.DB.SlowDBQuery
		return $args;
	}

	/**
	 * The contract post type whose REST collection route this is, or null.
	 *
	 * @param string $route Request route.
	 */
	private static function collection_post_type( string $route ): ?string {
		$route = rtrim( $route, '/' );
		foreach ( Contract::post_types() as $type ) {
			$object = get_post_type_object( $type );
			if ( ! $object || empty( $object->show_in_rest ) ) {
				continue;
			}
			$namespace = ( isset( $object->rest_namespace ) && is_string( $object->rest_namespace ) && '' !== $object->rest_namespace ) ? $object->rest_namespace : 'wp/v2';
			$base      = ( is_string( $object->rest_base ) && '' !== $object->rest_base ) ? $object->rest_base : $type;
			if ( '/' . trim( $namespace, '/' ) . '/' . $base === $route ) {
				return $type;
			}
		}
		return null;
	}

	/**
	 * A 400 error.
	 *
	 * @param string      $code    Error code.
	 * @param string      $message Message.
	 * @param string|null $param   Offending parameter.
	 */
	private static function refusal( string $code, string $message, ?string $param = null ): \WP_Error {
		$data = array( 'status' => 400 );
		if ( null !== $param ) {
			$data['params'] = array( $param => $message );
		}
		return new \WP_Error( $code, $message, $data );
	}
}
