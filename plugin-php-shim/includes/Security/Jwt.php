<?php
/**
 * HS256 compact JWS for the shim ⇄ sidecar transport (docs/architecture.md §2).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Hand-written on purpose: the protocol needs one algorithm, pinned, and byte-exact agreement with the sidecar
 * (checked by the contract's test vectors). No WordPress function is used, so tests run on plain php-cli.
 */
final class Jwt {

	public const ALG = 'HS256';

	public const JSON_FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

	private const MAX_TOKEN_LENGTH = 16384;

	/**
	 * Signs claims. The header is exactly {"alg":"HS256","typ":"JWT","kid":"<kid>"}.
	 *
	 * @param array<string,mixed>|object $claims Claims, encoded in their given order.
	 * @param string                     $key    Raw HMAC key (the derived direction key).
	 * @param string                     $kid    Key id.
	 * @throws \JsonException When the claims cannot be encoded.
	 */
	public static function sign( $claims, string $key, string $kid ): string {
		$header = array(
			'alg' => self::ALG,
			'typ' => 'JWT',
			'kid' => $kid,
		);
		$input  = self::base64url_encode( (string) json_encode( $header, self::JSON_FLAGS | JSON_THROW_ON_ERROR ) )
			. '.' . self::base64url_encode( (string) json_encode( $claims, self::JSON_FLAGS | JSON_INVALID_UTF8_SUBSTITUTE | JSON_THROW_ON_ERROR ) );
		return $input . '.' . self::base64url_encode( hash_hmac( 'sha256', $input, $key, true ) );
	}

	/**
	 * Checks structure, algorithm, key id and signature, then returns the decoded claims. Claims are not looked at
	 * before the signature is verified; check them afterwards with check_claims().
	 *
	 * @param string               $token Compact JWS.
	 * @param array<string,string> $keys  Acceptable keys: kid => raw HMAC key.
	 * @return array<string,mixed> Claims.
	 * @throws Jwt_Error When the token is refused.
	 */
	public static function verify( string $token, array $keys ): array {
		if ( strlen( $token ) > self::MAX_TOKEN_LENGTH ) {
			throw new Jwt_Error( Jwt_Error::MALFORMED, 'token too long' );
		}
		$parts = explode( '.', $token );
		if ( 3 !== count( $parts ) ) {
			throw new Jwt_Error( Jwt_Error::MALFORMED, 'not a compact JWS' );
		}
		list( $encoded_header, $encoded_claims, $encoded_signature ) = $parts;
		foreach ( $parts as $part ) {
			if ( '' === $part || ! preg_match( '/^[A-Za-z0-9_-]+$/', $part ) ) {
				throw new Jwt_Error( Jwt_Error::MALFORMED, 'not base64url' );
			}
		}

		$header = json_decode( (string) self::base64url_decode( $encoded_header ), true, 4 );
		if ( ! is_array( $header ) ) {
			throw new Jwt_Error( Jwt_Error::MALFORMED, 'header is not a JSON object' );
		}
		if ( ( $header['alg'] ?? null ) !== self::ALG || ( isset( $header['typ'] ) && 'JWT' !== $header['typ'] ) || isset( $header['crit'] ) ) {
			throw new Jwt_Error( Jwt_Error::ALGORITHM, 'only HS256 JWTs are accepted' );
		}
		$kid = $header['kid'] ?? null;
		if ( ! is_string( $kid ) || ! isset( $keys[ $kid ] ) ) {
			throw new Jwt_Error( Jwt_Error::UNKNOWN_KID, 'unknown key id' );
		}

		$expected = self::base64url_encode( hash_hmac( 'sha256', $encoded_header . '.' . $encoded_claims, $keys[ $kid ], true ) );
		if ( ! hash_equals( $expected, $encoded_signature ) ) {
			throw new Jwt_Error( Jwt_Error::SIGNATURE, 'signature mismatch' );
		}

		$claims = json_decode( (string) self::base64url_decode( $encoded_claims ), true, 64 );
		if ( ! is_array( $claims ) || ( $claims && array_keys( $claims ) === range( 0, count( $claims ) - 1 ) ) ) {
			throw new Jwt_Error( Jwt_Error::MALFORMED, 'claims are not a JSON object' );
		}
		return $claims;
	}

	/**
	 * Checks the registered claims after verify().
	 *
	 * @param array<string,mixed>  $claims  Verified claims.
	 * @param array<string,string> $expect  Exact expected string claims (iss, aud, and any of htm, htu, bh, req).
	 * @param int                  $now     Current Unix time.
	 * @param int                  $leeway  Clock leeway in seconds.
	 * @param int                  $max_ttl Longest allowed exp - iat.
	 * @throws Jwt_Error When a claim does not match.
	 */
	public static function check_claims( array $claims, array $expect, int $now, int $leeway, int $max_ttl ): void {
		foreach ( $expect as $name => $value ) {
			$actual = $claims[ $name ] ?? null;
			if ( 'htu' === $name && is_string( $actual ) ) {
				// A route is the same resource with or without its trailing slash.
				$actual = rtrim( $actual, '/' );
				$value  = rtrim( $value, '/' );
			}
			if ( ! is_string( $actual ) || ! hash_equals( $value, $actual ) ) {
				throw new Jwt_Error( Jwt_Error::CLAIMS, "claim {$name} does not match" );
			}
		}
		$iat = $claims['iat'] ?? null;
		$exp = $claims['exp'] ?? null;
		if ( ! is_int( $iat ) || ! is_int( $exp ) ) {
			throw new Jwt_Error( Jwt_Error::CLAIMS, 'iat and exp must be integers' );
		}
		if ( $iat - $leeway > $now || $now > $exp + $leeway ) {
			throw new Jwt_Error( Jwt_Error::CLAIMS, 'token is expired or not yet valid' );
		}
		if ( $exp < $iat || $exp - $iat > $max_ttl ) {
			throw new Jwt_Error( Jwt_Error::CLAIMS, 'token lifetime is too long' );
		}
		$jti = $claims['jti'] ?? null;
		if ( ! is_string( $jti ) || ! preg_match( '/^[A-Za-z0-9_-]{8,128}$/', $jti ) ) {
			throw new Jwt_Error( Jwt_Error::CLAIMS, 'jti is missing or malformed' );
		}
	}

	/**
	 * base64url(SHA-256(body)), the `bh` claim.
	 *
	 * @param string $body Raw body bytes.
	 */
	public static function body_hash( string $body ): string {
		return self::base64url_encode( hash( 'sha256', $body, true ) );
	}

	/**
	 * A random 128-bit hex token id.
	 */
	public static function new_jti(): string {
		return bin2hex( random_bytes( 16 ) );
	}

	/**
	 * Base64url without padding.
	 *
	 * @param string $bytes Raw bytes.
	 */
	public static function base64url_encode( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- JWS encoding.
	}

	/**
	 * Strict base64url decoding (padding tolerated); null when the input is not base64url.
	 *
	 * @param string $text Encoded text.
	 */
	public static function base64url_decode( string $text ): ?string {
		$text = rtrim( $text, '=' );
		if ( ! preg_match( '/^[A-Za-z0-9_-]*$/', $text ) || 1 === strlen( $text ) % 4 ) {
			return null;
		}
		$decoded = base64_decode( strtr( $text, '-_', '+/' ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode -- JWS decoding.
		return false === $decoded ? null : $decoded;
	}
}
