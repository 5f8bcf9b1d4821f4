<?php
/**
 * The one contract file shared with the sidecar (contract/igny8-contract.json).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Read-only access to the contract, decoded once per request.
 */
final class Contract {

	/**
	 * Decoded contract (associative arrays).
	 *
	 * @var array<string,mixed>|null
	 */
	private static ?array $data = null;

	/**
	 * Operations that change the connection's settings or credentials: manage_options routes only.
	 */
	public const SETTINGS_OPERATIONS = array( 'save_settings', 'set_api_key' );

	/**
	 * Absolute path of the contract file.
	 */
	public static function path(): string {
		return dirname( __DIR__ ) . '/contract/igny8-contract.json';
	}

	/**
	 * The whole contract.
	 *
	 * @return array<string,mixed>
	 * @throws \RuntimeException When the file is missing or not valid JSON.
	 */
	public static function get(): array {
		if ( null === self::$data ) {
			self::$data = self::load();
		}
		return self::$data;
	}

	/**
	 * Reads the contract: from its compiled copy when there is one for this exact file (an include that OPcache
	 * serves from shared memory, no parse: decoding the JSON took about 1 ms of every request, page views
	 * included), else from the JSON, which is then compiled for the next requests.
	 *
	 * @return array<string,mixed>
	 * @throws \RuntimeException When the file is missing or not valid JSON.
	 */
	private static function load(): array {
		$path = self::path();
		$stat = is_readable( $path ) ? stat( $path ) : false;
		if ( false === $stat ) {
			throw new \RuntimeException( 'The contract file is missing: ' . $path );
		}
		$compiled = Support\Compiled_Contract::file( $path, $stat );
		if ( null !== $compiled ) {
			$data = Support\Compiled_Contract::read( $compiled );
			if ( null !== $data && self::is_valid( $data ) ) {
				return $data;
			}
		}
		$raw = file_get_contents( $path ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- local file.
		if ( false === $raw ) {
			throw new \RuntimeException( 'The contract file is missing: ' . $path );
		}
		$data = json_decode( $raw, true, 64 );
		if ( ! is_array( $data ) || ! self::is_valid( $data ) ) {
			throw new \RuntimeException( 'The contract file is not valid: ' . json_last_error_msg() );
		}
		if ( null !== $compiled ) {
			Support\Compiled_Contract::write( $compiled, $data );
		}
		return $data;
	}

	/**
	 * Whether decoded data has the contract's required sections.
	 *
	 * @param array<string,mixed> $data Decoded contract.
	 */
	private static function is_valid( array $data ): bool {
		return isset( $data['routes'], $data['error_codes'], $data['meta'], $data['options'] );
	}

	/**
	 * REST namespace, e.g. "igny8/v1".
	 */
	public static function rest_namespace(): string {
		return (string) self::get()['rest_namespace'];
	}

	/**
	 * Plugin version the contract was written for.
	 */
	public static function plugin_version(): string {
		return (string) self::get()['plugin_version'];
	}

	/**
	 * Public routes: id, methods, path, auth, optional cache_seconds / degraded_when_unavailable.
	 *
	 * @return array<int,array<string,mixed>>
	 */
	public static function routes(): array {
		return self::get()['routes'];
	}

	/**
	 * One numeric limit from `limits`.
	 *
	 * @param string $name Limit name, e.g. "max_body_bytes".
	 */
	public static function limit( string $name ): int {
		return (int) ( self::get()['limits'][ $name ] ?? 0 );
	}

	/**
	 * Whether a code is one of the contract's error codes.
	 *
	 * @param string $code UPPER_SNAKE code.
	 */
	public static function is_error_code( string $code ): bool {
		return isset( self::get()['error_codes'][ $code ] );
	}

	/**
	 * HTTP status of an error code (500 for an unknown code).
	 *
	 * @param string $code UPPER_SNAKE code.
	 */
	public static function error_status( string $code ): int {
		return (int) ( self::get()['error_codes'][ $code ] ?? 500 );
	}

	/**
	 * Post types the plugin may ever touch.
	 *
	 * @return string[]
	 */
	public static function post_types(): array {
		return self::get()['post_types'];
	}

	/**
	 * Post meta keys with their flags (type, rest, json, seo, attachment).
	 *
	 * @return array<string,array<string,mixed>>
	 */
	public static function post_meta(): array {
		return self::get()['meta']['post'];
	}

	/**
	 * A named entry of `meta`, e.g. "pending_marker_key" or "lookup_keys".
	 *
	 * @param string $name Entry name.
	 * @return mixed
	 */
	public static function meta( string $name ) {
		return self::get()['meta'][ $name ] ?? null;
	}

	/**
	 * One of IGNY8's own post meta keys by role: `meta_key( 'content_id' )` is `_igny8_content_id` (the sidecar's
	 * `igny8Meta.content_id`). Code names the role; the key comes from the contract.
	 *
	 * @param string $role Role, the key without its `_igny8_` prefix.
	 * @throws \LogicException When the contract registers no such key (a programming error).
	 */
	public static function meta_key( string $role ): string {
		$key = '_igny8_' . $role;
		if ( ! isset( self::post_meta()[ $key ] ) ) {
			throw new \LogicException( "The contract registers no post meta key {$key}." );
		}
		return $key;
	}

	/**
	 * Options (settings) with type, default and optional enum.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	public static function options(): array {
		return self::get()['options'];
	}

	/**
	 * SEO plugins' own tables that upsert_post may write one row per post to (name without prefix → description).
	 *
	 * @return array<string,array{post_column:string,columns:array<string,array{type:string,seo:string}>,created_column:string,updated_column:string}>
	 */
	public static function seo_tables(): array {
		$tables = self::get()['seo_tables'] ?? array();
		unset( $tables['$comment'] );
		return $tables;
	}

	/**
	 * Taxonomies the plugin registers itself.
	 *
	 * @return array<string,array<string,mixed>>
	 */
	public static function registered_taxonomies(): array {
		return self::get()['taxonomies']['registered'];
	}

	/**
	 * Taxonomies operations may write.
	 *
	 * @return string[]
	 */
	public static function writable_taxonomies(): array {
		return self::get()['taxonomies']['writable'];
	}

	/**
	 * Operation names allowed in a context ("proxy" or "internal").
	 *
	 * @param string $context Context name.
	 * @return string[]
	 */
	public static function operations( string $context ): array {
		return self::get()['operations'][ $context ] ?? array();
	}

	/**
	 * Operations a sidecar `execute` reply may ask for on one route: the route's `operations` list (all routes
	 * sharing the id), within the proxy vocabulary. Settings operations are dropped unless every such route is a
	 * manage_options route, whatever the contract file says. Unknown route: none.
	 *
	 * @param string $route_id Contract route id.
	 * @return string[]
	 */
	public static function route_operations( string $route_id ): array {
		$allowed = array();
		$admin   = true;
		$found   = false;
		foreach ( self::routes() as $route ) {
			if ( ( $route['id'] ?? null ) !== $route_id ) {
				continue;
			}
			$found   = true;
			$admin   = $admin && 'manage_options' === ( $route['auth'] ?? '' );
			$allowed = array_merge( $allowed, array_map( 'strval', (array) ( $route['operations'] ?? array() ) ) );
		}
		if ( ! $found ) {
			return array();
		}
		$allowed = array_values( array_intersect( array_unique( $allowed ), self::operations( 'proxy' ) ) );
		if ( ! $admin ) {
			$allowed = array_values( array_diff( $allowed, self::SETTINGS_OPERATIONS ) );
		}
		return $allowed;
	}

	/**
	 * JWT parameters.
	 *
	 * @return array<string,mixed>
	 */
	public static function jwt(): array {
		return self::get()['jwt'];
	}

	/**
	 * Plugin detection map: key => plugin file.
	 *
	 * @return array<string,string>
	 */
	public static function plugins_detected(): array {
		return self::get()['plugins_detected'];
	}

	/**
	 * Status maps and WordPress status list.
	 *
	 * @return array<string,mixed>
	 */
	public static function status_maps(): array {
		return self::get()['status_maps'];
	}

	/**
	 * A path on the sidecar ("continue", "events", "health").
	 *
	 * @param string $name Path name.
	 */
	public static function sidecar_path( string $name ): string {
		return (string) self::get()['sidecar_paths'][ $name ];
	}

	/**
	 * Path of the internal route inside the namespace, e.g. "/internal/ops".
	 */
	public static function internal_route_path(): string {
		return (string) self::get()['internal_route']['path'];
	}
}
