<?php
/**
 * The `ctx` claim: what the sidecar knows about the request and the site.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Registration\Structure_Revision;
use Igny8\Bridge\Security\Api_Key;
use Igny8\Bridge\Security\Api_Key_Guard;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Builds the request context of docs/architecture.md §3 step 2. Never contains a secret: the API key is verified
 * here and never forwarded, and the options listed in the contract hold no secrets.
 */
final class Context {

	/**
	 * Query parameters that belong to WordPress routing, not to the route.
	 */
	private const ROUTING_PARAMS = array( 'rest_route' );

	/**
	 * The context for a proxied request.
	 *
	 * @param \WP_REST_Request $request    Request.
	 * @param string           $route_id   Contract route id.
	 * @param string           $request_id Request id.
	 * @return array<string,mixed>
	 */
	public static function build( \WP_REST_Request $request, string $route_id, string $request_id ): array {
		$params = array();
		foreach ( (array) $request->get_url_params() as $name => $value ) {
			$params[ (string) $name ] = is_scalar( $value ) ? (string) $value : '';
		}
		return array(
			'request_id' => $request_id,
			'route_id'   => $route_id,
			'params'     => (object) $params,
			'query'      => (object) self::query( $request ),
			'user_id'    => get_current_user_id(),
			'site'       => self::site(),
			'settings'   => (object) Settings::for_wire(),
			'facts'      => self::facts(),
		);
	}

	/**
	 * Query parameters forwarded to the sidecar (no routing parameter, no credential-like parameter).
	 *
	 * @param \WP_REST_Request $request Request.
	 * @return array<string,mixed>
	 */
	public static function query( \WP_REST_Request $request ): array {
		$query = Api_Key_Guard::without_refused_keys( (array) $request->get_query_params() );
		foreach ( self::ROUTING_PARAMS as $name ) {
			unset( $query[ $name ] );
		}
		return $query;
	}

	/**
	 * Site facts.
	 *
	 * @return array<string,mixed>
	 */
	public static function site(): array {
		$offset = (float) get_option( 'gmt_offset', 0 );
		return array(
			'home_url'       => home_url(),
			'timezone'       => wp_timezone_string(),
			'gmt_offset'     => floor( $offset ) === $offset ? (int) $offset : $offset,
			'locale'         => get_locale(),
			'wp_version'     => (string) get_bloginfo( 'version' ),
			'plugin_version' => IGNY8_BRIDGE_VERSION,
			'structure_rev'  => Structure_Revision::current(),
		);
	}

	/**
	 * Facts the sidecar cannot learn itself.
	 *
	 * @return array<string,bool>
	 */
	public static function facts(): array {
		return array(
			'api_key_present'    => Api_Key::is_present(),
			'connection_enabled' => (bool) Settings::get( 'igny8_connection_enabled' ),
			'woocommerce'        => self::woocommerce_active(),
			'aioseo_table'       => self::aioseo_table_exists(),
		);
	}

	/**
	 * Whether WooCommerce is active.
	 */
	public static function woocommerce_active(): bool {
		return class_exists( 'WooCommerce' ) || self::plugin_active( (string) ( Contract::plugins_detected()['woocommerce'] ?? '' ) );
	}

	/**
	 * Whether a plugin file is active on this site (or network-wide).
	 *
	 * @param string $plugin_file Plugin file relative to the plugins folder.
	 */
	public static function plugin_active( string $plugin_file ): bool {
		if ( '' === $plugin_file ) {
			return false;
		}
		if ( ! function_exists( 'is_plugin_active' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		return is_plugin_active( $plugin_file );
	}

	/**
	 * Whether AIOSEO 4's own table exists (only looked up while AIOSEO is active).
	 */
	public static function aioseo_table_exists(): bool {
		global $wpdb;
		static $exists = null;
		if ( null === $exists ) {
			$exists = false;
			if ( function_exists( 'aioseo' ) || self::plugin_active( (string) ( Contract::plugins_detected()['aioseo'] ?? '' ) ) ) {
				$table  = $wpdb->prefix . 'aioseo_posts';
				$exists = $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) ); // phpcs:ignore WordPress.DB
			}
		}
		return $exists;
	}
}
