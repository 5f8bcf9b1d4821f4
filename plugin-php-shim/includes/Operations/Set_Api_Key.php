<?php
/**
 * Operation `set_api_key`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Security\Api_Key;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"set_api_key", key, keep_previous?:bool=true}` stores a new IGNY8 API key (only its keyed hash);
 * `{op:"set_api_key", clear:true}` removes every key. → `{api_key_present:bool}`. The key itself is never
 * returned or logged.
 */
final class Set_Api_Key implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		if ( true === ( $args['clear'] ?? null ) ) {
			return;
		}
		if ( ! is_string( $args['key'] ?? null ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', 'The API key must be a string.', 'key' );
		}
		$length = strlen( $args['key'] );
		if ( $length < Api_Key::MIN_LENGTH || $length > Api_Key::MAX_LENGTH || ! preg_match( '/^[\x21-\x7E]+$/', $args['key'] ) ) {
			throw new Bridge_Error( 'VALIDATION_FAILED', sprintf( 'The API key must be %d to %d printable characters without spaces.', Api_Key::MIN_LENGTH, Api_Key::MAX_LENGTH ), 'key' );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		if ( true === ( $args['clear'] ?? null ) ) {
			Api_Key::clear();
		} else {
			$stored = Api_Key::set( (string) $args['key'], (bool) ( $args['keep_previous'] ?? true ) );
			if ( is_wp_error( $stored ) ) {
				throw new Bridge_Error( 'VALIDATION_FAILED', $stored->get_error_message(), 'key' );
			}
		}
		return array( 'api_key_present' => Api_Key::is_present() );
	}
}
