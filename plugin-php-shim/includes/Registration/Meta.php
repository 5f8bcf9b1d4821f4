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
use Igny8\Bridge\Support\Rest_Scope;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers every meta key the contract lists. `_igny8_*` keys flagged `rest` show in REST in the edit context
 * only and are read-only there (and everywhere else in core); JSON-valued keys are stored as strings.
 */
final class Meta implements Feature {

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		if ( did_action( 'init' ) && ! doing_action( 'init' ) ) {
			// Registered on rest_api_init (Plugin::load_rest): init and every post type are there already. A REST
			// request gets only the keys core REST serves (meta `rest`): core's REST meta field reads and writes no
			// other key, and for those the registration was only the auth callback of `edit_post_meta`, which no core
			// REST path asks for an unregistered key (an unregistered `_*` key is protected: refused all the same).
			// ~40 register_meta calls fewer on every REST request, an editor save included. wp-admin, XML-RPC and
			// WP-CLI (the custom-fields box, the meta capabilities) register every key on init (Plugin::load). A posts
			// request (an editor save: Support\Rest_Scope) reaches the routes of its own post type only.
			$this->register_post_meta_keys( true, Rest_Scope::posts_request_type() );
		} else {
			add_action( 'init', array( $this, 'register_post_meta' ), 20 );
			add_action( 'init', array( $this, 'register_term_meta' ), 20 );
		}
		add_filter( 'rest_request_before_callbacks', array( $this, 'drop_unchanged_own_meta' ), 10, 3 );
	}

	/**
	 * Core REST checks `edit_post_meta` for every key in `meta`, changed or not, and a refusal fails the whole save.
	 * The block editor sends the full meta object back whenever any meta edit happens (`setMeta( { ...meta, k } )`),
	 * including the read-only `_igny8_*` keys with the values it read. Those echoes are dropped here, so ordinary
	 * saves keep working; a changed `_igny8_*` value stays in the request and is refused by can_edit_post_meta().
	 *
	 * @param mixed            $response Response so far (a WP_Error or a short-circuit is passed through).
	 * @param array            $handler  Route handler.
	 * @param \WP_REST_Request $request  Request.
	 * @return mixed
	 */
	public function drop_unchanged_own_meta( $response, $handler, $request ) {
		$controller = is_array( $handler['callback'] ?? null ) ? ( $handler['callback'][0] ?? null ) : null;
		if ( null !== $response || ! $controller instanceof \WP_REST_Posts_Controller || ! $request instanceof \WP_REST_Request ) {
			return $response;
		}
		$meta = $request->get_param( 'meta' );
		if ( ! is_array( $meta ) ) {
			return $response;
		}
		$post_id = (int) $request->get_param( 'id' );
		foreach ( $meta as $key => $value ) {
			if ( ! self::is_own_key( (string) $key ) ) {
				continue;
			}
			$rows = $post_id > 0 ? get_post_meta( $post_id, (string) $key, false ) : array();
			if ( array() === $rows ) {
				$unchanged = null === $value || '' === $value || 0 === $value || '0' === $value;
			} else {
				$unchanged = 1 === count( $rows ) && is_scalar( $value ) && (string) $value === (string) $rows[0];
			}
			if ( $unchanged ) {
				unset( $meta[ $key ] );
			}
		}
		$request->set_param( 'meta', $meta );
		return $response;
	}

	/**
	 * Registers post meta for each contract post type (and attachment meta for attachment keys).
	 */
	public function register_post_meta(): void {
		$this->register_post_meta_keys( false );
	}

	/**
	 * Registers the contract's post meta keys, all of them or only those shown in REST.
	 *
	 * @param bool        $rest_only Only the keys flagged `rest`.
	 * @param string|null $post_type Only for this post type (null: every contract post type the site has).
	 */
	private function register_post_meta_keys( bool $rest_only, ?string $post_type = null ): void {
		// Only the post types this site has (init 20 or later: WooCommerce registered `product` on init 5): ~37 keys
		// per type in wp-admin, XML-RPC and WP-CLI requests, the 18 REST ones in REST requests (never on a page view:
		// Plugin::load).
		$post_types = null !== $post_type ? array( $post_type ) : array_values( array_filter( Contract::post_types(), 'post_type_exists' ) );
		foreach ( Contract::post_meta() as $key => $flags ) {
			if ( $rest_only && empty( $flags['rest'] ) ) {
				continue;
			}
			$object_types = empty( $flags['attachment'] ) ? $post_types : array( 'attachment' );
			$args         = $this->post_meta_args( $flags );
			foreach ( $object_types as $post_type ) {
				register_post_meta( $post_type, $key, $args );
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
	 * Meta auth callback (the `edit/add/delete_post_meta` capabilities that core REST, XML-RPC and the custom-fields
	 * box check). IGNY8's own `_igny8_*` keys are identity and sync state: no role may write them through any core
	 * path, only our executor (which writes with update_post_meta, no capability involved). Otherwise a contributor
	 * could claim a task or content id and make the next save report to IGNY8 for it. The SEO plugins' keys stay
	 * writable by whoever can edit the post.
	 *
	 * @param bool   $allowed  Current decision.
	 * @param string $meta_key Meta key.
	 * @param int    $post_id  Post id.
	 */
	public function can_edit_post_meta( $allowed, $meta_key, $post_id ): bool {
		if ( self::is_own_key( (string) $meta_key ) ) {
			return false;
		}
		return current_user_can( 'edit_post', (int) $post_id );
	}

	/**
	 * Term meta auth callback: the IGNY8 ids of terms are never writable through core paths either.
	 *
	 * @param bool   $allowed  Current decision.
	 * @param string $meta_key Meta key.
	 * @param int    $term_id  Term id.
	 */
	public function can_edit_term_meta( $allowed, $meta_key, $term_id ): bool {
		return false;
	}

	/**
	 * Whether a meta key is one of IGNY8's own (`_igny8_*`).
	 *
	 * @param string $meta_key Meta key.
	 */
	public static function is_own_key( string $meta_key ): bool {
		return 0 === strpos( $meta_key, '_igny8_' );
	}
}
