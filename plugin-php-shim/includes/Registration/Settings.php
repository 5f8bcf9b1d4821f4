<?php
/**
 * The plugin's options, registered and validated from the contract.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Registration;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Feature;
use Igny8\Bridge\Security\Api_Key;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;
use Igny8\Bridge\Support\Option_Cache;
use Igny8\Bridge\Support\Rest_Scope;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Registers every contract option with `register_setting` (group `igny8`, never in REST: the settings screen goes
 * through the proxied /settings routes) and gives typed access to them.
 */
final class Settings implements Feature {

	public const GROUP = 'igny8';

	private const MAX_STRING_LENGTH = 2048;

	/**
	 * Whether register_settings() ran in this request.
	 *
	 * @var bool
	 */
	private static bool $registered = false;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		// The settings registry (the options' defaults for get_option() without one, the admin's allowed options)
		// serves wp-admin, cron, WP-CLI, XML-RPC and REST (the request's first rest_api_init, before any dispatch);
		// the plugin's own reads pass the contract default (get()), so a page view skips the 15 registrations. The
		// sanitize filters stay on every request: they guard the stored values whatever code path writes them.
		if ( is_admin() || wp_doing_cron() || ( defined( 'WP_CLI' ) && WP_CLI ) || ( defined( 'XMLRPC_REQUEST' ) && XMLRPC_REQUEST ) ) {
			add_action( 'init', array( $this, 'register_settings' ) );
		} else {
			add_action( 'rest_api_init', array( $this, 'register_rest_settings' ), 0 );
		}
		foreach ( array_keys( Contract::options() ) as $name ) {
			add_filter( "sanitize_option_{$name}", array( $this, 'sanitize_option' ), 10, 2 );
		}
	}

	/**
	 * On the request's first `rest_api_init`: the registry for REST requests, but for a posts request (an editor
	 * save, Support\Rest_Scope), which dispatches none of the plugin's routes, reads the plugin's options only through
	 * get() (the contract default passed) and registers none of them for core's settings route (show_in_rest false).
	 */
	public function register_rest_settings(): void {
		if ( ! Rest_Scope::is_posts_request() ) {
			$this->register_settings();
		}
	}

	/**
	 * Registers the options.
	 */
	public function register_settings(): void {
		if ( self::$registered ) {
			return;
		}
		self::$registered = true;
		foreach ( Contract::options() as $name => $definition ) {
			register_setting(
				self::GROUP,
				$name,
				array(
					'type'         => (string) $definition['type'],
					'default'      => $definition['default'],
					'show_in_rest' => false,
				)
			);
		}
	}

	/**
	 * Keeps invalid values out of the options table whichever code path writes them.
	 *
	 * @param mixed  $value  New value.
	 * @param string $option Option name.
	 * @return mixed
	 */
	public function sanitize_option( $value, $option ) {
		try {
			return self::validate( (string) $option, $value );
		} catch ( Bridge_Error $error ) {
			return self::get( (string) $option );
		}
	}

	/**
	 * Loads every option the plugin reads (the contract's, the API key and its pepper, the site id, the keys), in one
	 * query the first time in a request. The first settings read does it; an IGNY8 route does it before its
	 * authentication reads the key options (Rest\Proxy_Controller).
	 */
	public static function prime(): void {
		Option_Cache::prime( array_merge( array_keys( Contract::options() ), array( Structure_Revision::OPTION, Api_Key::OPTION, Api_Key::PEPPER_OPTION, Site_Id::OPTION, Keys::OPTION, Keys::PREVIOUS_OPTION ) ) );
	}

	/**
	 * Typed value of one contract option (the contract default when unset or unusable).
	 *
	 * @param string $name Option name.
	 * @return mixed
	 */
	public static function get( string $name ) {
		$definition = Contract::options()[ $name ] ?? null;
		if ( null === $definition ) {
			return null;
		}
		self::prime();
		$raw = get_option( $name, $definition['default'] );
		switch ( $definition['type'] ) {
			case 'boolean':
				return in_array( $raw, array( true, 1, '1', 'true', 'yes', 'on' ), true );
			case 'integer':
				return is_numeric( $raw ) ? (int) $raw : (int) $definition['default'];
			case 'array':
				try {
					return self::validate( $name, is_array( $raw ) ? array_values( $raw ) : null );
				} catch ( Bridge_Error $error ) {
					return $definition['default'];
				}
			case 'object':
				try {
					return self::validate( $name, $raw );
				} catch ( Bridge_Error $error ) {
					return (array) $definition['default'];
				}
			default:
				$value = is_scalar( $raw ) ? (string) $raw : (string) $definition['default'];
				if ( isset( $definition['enum'] ) && ! in_array( $value, $definition['enum'], true ) ) {
					return (string) $definition['default'];
				}
				return $value;
		}
	}

	/**
	 * Every contract option with its typed value.
	 *
	 * @return array<string,mixed>
	 */
	public static function all(): array {
		$values = array();
		foreach ( array_keys( Contract::options() ) as $name ) {
			$values[ $name ] = self::get( $name );
		}
		return $values;
	}

	/**
	 * All options, shaped for JSON: `object` options encode as `{}` even when empty.
	 *
	 * @return array<string,mixed>
	 */
	public static function for_wire(): array {
		$values = self::all();
		foreach ( Contract::options() as $name => $definition ) {
			if ( 'object' === $definition['type'] ) {
				$values[ $name ] = (object) $values[ $name ];
			}
		}
		return $values;
	}

	/**
	 * Post types IGNY8 may use: the allowed setting, within the contract, and registered on this site.
	 *
	 * @return string[]
	 */
	public static function allowed_post_types(): array {
		$allowed = (array) self::get( 'igny8_allowed_post_types' );
		return array_values(
			array_filter(
				Contract::post_types(),
				static function ( string $type ) use ( $allowed ): bool {
					return in_array( $type, $allowed, true ) && post_type_exists( $type );
				}
			)
		);
	}

	/**
	 * Validates one value against the contract's type and enum.
	 *
	 * @param string $name  Option name.
	 * @param mixed  $value Candidate value.
	 * @return mixed The normalised value.
	 * @throws Bridge_Error VALIDATION_FAILED with the option name as field.
	 */
	public static function validate( string $name, $value ) {
		$definition = Contract::options()[ $name ] ?? null;
		if ( null === $definition ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'Unknown setting.', $name );
		}
		switch ( $definition['type'] ) {
			case 'boolean':
				if ( ! is_bool( $value ) ) {
					throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected true or false.', $name );
				}
				return $value;
			case 'integer':
				if ( ! is_int( $value ) || $value < 0 ) {
					throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected a non-negative integer.', $name );
				}
				if ( ( isset( $definition['minimum'] ) && $value < $definition['minimum'] ) || ( isset( $definition['maximum'] ) && $value > $definition['maximum'] ) ) {
					throw new Bridge_Error( 'VALIDATION_FAILED', sprintf( 'Expected an integer from %d to %d.', (int) ( $definition['minimum'] ?? 0 ), (int) ( $definition['maximum'] ?? PHP_INT_MAX ) ), $name );
				}
				if ( 'igny8_default_author' === $name && 0 !== $value && false === get_userdata( $value ) ) {
					throw new Bridge_Error( 'VALIDATION_FAILED', 'No user has this id.', $name );
				}
				return $value;
			case 'array':
				return self::validate_list( $name, $value );
			case 'object':
				return self::validate_map( $name, $value );
			default:
				return self::validate_string( $name, $value, $definition );
		}
	}

	/**
	 * Validates and writes several options at once: nothing is written unless every value is valid.
	 *
	 * @param array<string,mixed> $values Option name => value.
	 * @return array<string,mixed> All options after the save.
	 * @throws Bridge_Error VALIDATION_FAILED.
	 */
	public static function save( array $values ): array {
		$clean = array();
		foreach ( $values as $name => $value ) {
			$clean[ (string) $name ] = self::validate( (string) $name, $value );
		}
		foreach ( $clean as $name => $value ) {
			update_option( $name, $value );
		}
		if ( $clean ) {
			Structure_Revision::bump();
		}
		return self::all();
	}

	/**
	 * A string option.
	 *
	 * @param string              $name       Option name.
	 * @param mixed               $value      Candidate.
	 * @param array<string,mixed> $definition Contract definition.
	 * @throws Bridge_Error VALIDATION_FAILED.
	 */
	private static function validate_string( string $name, $value, array $definition ): string {
		if ( ! is_string( $value ) || strlen( $value ) > self::MAX_STRING_LENGTH || preg_match( '/[\x00-\x1F\x7F]/', $value ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected a single-line string.', $name );
		}
		if ( isset( $definition['enum'] ) && ! in_array( $value, $definition['enum'], true ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected one of: ' . implode( ', ', $definition['enum'] ) . '.', $name );
		}
		if ( 'igny8_api_base_url' === $name && '' !== $value ) {
			$scheme = wp_parse_url( $value, PHP_URL_SCHEME );
			$host   = wp_parse_url( $value, PHP_URL_HOST );
			if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || empty( $host ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected an http(s) URL.', $name );
			}
			$bare = strtolower( trim( (string) $host, '[]' ) );
			if ( 'http' === $scheme && 'localhost' !== $bare && '::1' !== $bare && ! preg_match( '/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/', $bare ) ) {
				// The credentials travel to this URL: plain http only to this machine.
				throw new Bridge_Error( 'VALIDATION_FAILED', 'The IGNY8 URL must use https (plain http only for a loopback address).', $name );
			}
		}
		return $value;
	}

	/**
	 * A list option (the allowed post types).
	 *
	 * @param string $name  Option name.
	 * @param mixed  $value Candidate.
	 * @return string[]
	 * @throws Bridge_Error VALIDATION_FAILED.
	 */
	private static function validate_list( string $name, $value ): array {
		if ( ! is_array( $value ) || ( $value && array_keys( $value ) !== range( 0, count( $value ) - 1 ) ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected a list.', $name );
		}
		$list = array();
		foreach ( $value as $item ) {
			if ( ! is_string( $item ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected a list of strings.', $name );
			}
			if ( 'igny8_allowed_post_types' === $name && ! in_array( $item, Contract::post_types(), true ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', 'Post types must be among: ' . implode( ', ', Contract::post_types() ) . '.', $name );
			}
			$list[] = $item;
		}
		return array_values( array_unique( $list ) );
	}

	/**
	 * A map option (the status maps): string keys to string values.
	 *
	 * @param string $name  Option name.
	 * @param mixed  $value Candidate.
	 * @return array<string,string>
	 * @throws Bridge_Error VALIDATION_FAILED.
	 */
	private static function validate_map( string $name, $value ): array {
		if ( is_object( $value ) ) {
			$value = get_object_vars( $value );
		}
		if ( ! is_array( $value ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected an object.', $name );
		}
		$wp_statuses = (array) ( Contract::status_maps()['wp_statuses'] ?? array() );
		$map         = array();
		foreach ( $value as $key => $item ) {
			if ( ! is_string( $key ) || ! is_string( $item ) || ! preg_match( '/^[a-z0-9_-]{1,40}$/', $key ) || ! preg_match( '/^[a-z0-9_-]{1,40}$/', $item ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', 'Expected an object of short lowercase strings.', $name );
			}
			// The IGNY8 → WordPress map may only produce statuses WordPress is allowed to receive.
			if ( 'igny8_status_map_igny8_to_wp' === $name && ! in_array( $item, $wp_statuses, true ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', 'WordPress statuses must be among: ' . implode( ', ', $wp_statuses ) . '.', $name );
			}
			$map[ $key ] = $item;
		}
		return $map;
	}
}
