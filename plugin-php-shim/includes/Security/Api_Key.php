<?php
/**
 * The IGNY8 API key, stored as a keyed hash.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Stores HMAC-SHA256(pepper, key), never the key. HMAC rather than password_hash: keys are random 256-bit
 * strings (no dictionary to slow down), bcrypt reads only 72 bytes, and ~50 ms per check would feed a DoS.
 * The pepper is a dedicated random option rather than wp_salt(), so rotating the site's salts does not silently
 * disconnect IGNY8. Up to two keys are valid at once, for rotation.
 */
final class Api_Key {

	public const OPTION = 'igny8_api_key_hashes';

	public const PEPPER_OPTION = 'igny8_api_key_pepper';

	public const MIN_LENGTH = 32;

	public const MAX_LENGTH = 512;

	private const MAX_KEYS = 2;

	/**
	 * Stores a new key. With $keep_previous the newest earlier key stays valid too (rotation).
	 *
	 * @param string $key           The key (32-512 printable ASCII characters).
	 * @param bool   $keep_previous Keep the previous key valid.
	 * @return true|\WP_Error
	 */
	public static function set( string $key, bool $keep_previous = true ) {
		$length = strlen( $key );
		if ( $length < self::MIN_LENGTH || $length > self::MAX_LENGTH ) {
			return new \WP_Error(
				'igny8_api_key_length',
				sprintf( 'The API key must be %d to %d characters long.', self::MIN_LENGTH, self::MAX_LENGTH ),
				array( 'status' => 422 )
			);
		}
		if ( ! preg_match( '/^[\x21-\x7E]+$/', $key ) ) {
			return new \WP_Error( 'igny8_api_key_characters', 'The API key must be printable ASCII without spaces.', array( 'status' => 422 ) );
		}

		$hash    = self::hash( $key );
		$entries = array(
			array(
				'hash'  => $hash,
				'added' => time(),
			),
		);
		if ( $keep_previous ) {
			foreach ( self::entries() as $entry ) {
				if ( count( $entries ) < self::MAX_KEYS && ! hash_equals( $entry['hash'], $hash ) ) {
					$entries[] = $entry;
				}
			}
		}
		update_option( self::OPTION, $entries, 'no' );
		return true;
	}

	/**
	 * Removes every stored key.
	 */
	public static function clear(): void {
		delete_option( self::OPTION );
	}

	/**
	 * Whether at least one key is stored.
	 */
	public static function is_present(): bool {
		return array() !== self::entries();
	}

	/**
	 * Constant-time check of a presented key against every stored hash.
	 *
	 * @param string $candidate Presented key.
	 */
	public static function verify( string $candidate ): bool {
		$entries = self::entries();
		if ( '' === $candidate || strlen( $candidate ) > self::MAX_LENGTH || ! $entries ) {
			return false;
		}
		$hash  = self::hash( $candidate );
		$match = false;
		foreach ( $entries as $entry ) {
			// No early exit: every stored hash is compared.
			$match = hash_equals( $entry['hash'], $hash ) || $match;
		}
		return $match;
	}

	/**
	 * Stored entries: list of {hash, added}.
	 *
	 * @return array<int,array{hash:string,added:int}>
	 */
	public static function entries(): array {
		$stored  = get_option( self::OPTION, array() );
		$entries = array();
		foreach ( is_array( $stored ) ? $stored : array() as $entry ) {
			if ( is_array( $entry ) && isset( $entry['hash'] ) && is_string( $entry['hash'] ) && 64 === strlen( $entry['hash'] ) ) {
				$entries[] = array(
					'hash'  => $entry['hash'],
					'added' => (int) ( $entry['added'] ?? 0 ),
				);
			}
		}
		return array_slice( $entries, 0, self::MAX_KEYS );
	}

	/**
	 * HMAC-SHA256(pepper, key) as hex.
	 *
	 * @param string $key Key.
	 */
	private static function hash( string $key ): string {
		return hash_hmac( 'sha256', $key, self::pepper() );
	}

	/**
	 * Creates the site pepper if it does not exist yet (done on activation, before any key is stored).
	 */
	public static function ensure_pepper(): void {
		self::pepper();
	}

	/**
	 * The site pepper, generated once.
	 */
	private static function pepper(): string {
		$pepper = get_option( self::PEPPER_OPTION );
		if ( ! is_string( $pepper ) || strlen( $pepper ) < 32 ) {
			$pepper = Jwt::base64url_encode( random_bytes( 32 ) );
			update_option( self::PEPPER_OPTION, $pepper, 'no' );
		}
		return $pepper;
	}
}
