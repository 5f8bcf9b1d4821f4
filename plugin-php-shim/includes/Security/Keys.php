<?php
/**
 * The site secret shared with the sidecar and the keys derived from it (docs/architecture.md §1).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Secret: constant IGNY8_SIDECAR_SECRET (wins) or option `igny8_sidecar_secret`, 32 random bytes base64url.
 * Keys are bound to this site's id (`sid`, Site_Id::current()): k_shim = HMAC(secret, "shim->sidecar|" . sid) signs
 * what we send; k_sidecar = HMAC(secret, "sidecar->shim|" . sid)
 * verifies what the sidecar sends. kid = first 16 hex chars of SHA-256(secret), also the fingerprint shown in
 * settings. A previous secret stays valid for verification for 600 s after a rotation.
 */
final class Keys {

	public const OPTION = 'igny8_sidecar_secret';

	public const PREVIOUS_OPTION = 'igny8_sidecar_secret_previous';

	public const PREVIOUS_SEEN_OPTION = 'igny8_sidecar_secret_previous_seen';

	public const SHIM_TO_SIDECAR = 'shim->sidecar';

	public const SIDECAR_TO_SHIM = 'sidecar->shim';

	private const MIN_SECRET_BYTES = 32;

	private const GRACE_SECONDS = 600;

	/**
	 * Derives the key id and both direction keys from an encoded secret for one site (pure; used by the test vectors).
	 *
	 * The keys are bound to the site id, so on a multisite network whose subsites share one IGNY8_SIDECAR_SECRET a
	 * token signed for one subsite does not verify on another. The kid (fingerprint) depends on the secret only.
	 *
	 * @param string $secret Base64url secret (padding tolerated).
	 * @param string $sid    Site id (the `sid` claim).
	 * @return array{kid:string,shim:string,sidecar:string}|null Null when the secret is malformed or too short.
	 */
	public static function derive( string $secret, string $sid ): ?array {
		$bytes = Jwt::base64url_decode( trim( $secret ) );
		if ( null === $bytes || strlen( $bytes ) < self::MIN_SECRET_BYTES ) {
			return null;
		}
		return array(
			'kid'     => substr( hash( 'sha256', $bytes ), 0, 16 ),
			'shim'    => hash_hmac( 'sha256', self::SHIM_TO_SIDECAR . '|' . $sid, $bytes, true ),
			'sidecar' => hash_hmac( 'sha256', self::SIDECAR_TO_SHIM . '|' . $sid, $bytes, true ),
		);
	}

	/**
	 * Whether an encoded secret is usable (decodes to at least 32 bytes).
	 *
	 * @param string $secret Base64url secret.
	 */
	public static function valid_secret( string $secret ): bool {
		return null !== self::derive( $secret, '' );
	}

	/**
	 * A new secret: 32 random bytes, base64url without padding.
	 */
	public static function generate_secret(): string {
		return Jwt::base64url_encode( random_bytes( self::MIN_SECRET_BYTES ) );
	}

	/**
	 * Whether the secret comes from wp-config.php.
	 */
	public static function from_constant(): bool {
		return defined( 'IGNY8_SIDECAR_SECRET' ) && is_string( IGNY8_SIDECAR_SECRET ) && '' !== IGNY8_SIDECAR_SECRET;
	}

	/**
	 * Creates the option secret once, unless wp-config.php provides the secret.
	 */
	public static function ensure_secret(): void {
		if ( ! self::from_constant() && ! self::valid_secret( (string) get_option( self::OPTION, '' ) ) ) {
			update_option( self::OPTION, self::generate_secret(), 'no' );
		}
	}

	/**
	 * The current keys.
	 *
	 * @return array{kid:string,shim:string,sidecar:string}
	 * @throws Bridge_Error SIDECAR_AUTH_MISMATCH when no usable secret exists.
	 */
	public static function current(): array {
		$secret = self::from_constant() ? (string) IGNY8_SIDECAR_SECRET : (string) get_option( self::OPTION, '' );
		$keys   = self::derive( $secret, Site_Id::current() );
		if ( null === $keys ) {
			throw new Bridge_Error( 'SIDECAR_AUTH_MISMATCH', 'The sidecar secret is missing or malformed on the WordPress side.' );
		}
		return $keys;
	}

	/**
	 * Key id of the current secret (the fingerprint shown in settings), or null without a usable secret.
	 */
	public static function fingerprint(): ?string {
		try {
			return self::current()['kid'];
		} catch ( Bridge_Error $error ) {
			return null;
		}
	}

	/**
	 * Keys that verify tokens signed by the sidecar: kid => k_sidecar (current, plus a previous one in its grace).
	 *
	 * @return array<string,string>
	 * @throws Bridge_Error SIDECAR_AUTH_MISMATCH when no usable secret exists.
	 */
	public static function sidecar_verification_keys(): array {
		$current = self::current();
		$keys    = array( $current['kid'] => $current['sidecar'] );
		$previous = self::previous();
		if ( null !== $previous && $previous['kid'] !== $current['kid'] ) {
			$keys[ $previous['kid'] ] = $previous['sidecar'];
		}
		return $keys;
	}

	/**
	 * Replaces the option secret, keeping the old one valid for verification during the grace period.
	 * Has no effect on the signing secret while IGNY8_SIDECAR_SECRET is defined.
	 *
	 * @return string The new key id.
	 */
	public static function rotate(): string {
		$old = (string) get_option( self::OPTION, '' );
		if ( self::valid_secret( $old ) ) {
			update_option(
				self::PREVIOUS_OPTION,
				array(
					'secret' => $old,
					'until'  => time() + self::GRACE_SECONDS,
				),
				'no'
			);
		}
		update_option( self::OPTION, self::generate_secret(), 'no' );
		return self::current()['kid'];
	}

	/**
	 * Switches to a secret a hosted sidecar just registered (enrolment): no grace for the old one, which belonged
	 * to another sidecar. Has no effect while IGNY8_SIDECAR_SECRET is defined (enrolment refuses that case).
	 *
	 * @param string $secret The new base64url secret.
	 * @throws Bridge_Error SIDECAR_AUTH_MISMATCH when the secret is unusable.
	 */
	public static function adopt( string $secret ): void {
		if ( ! self::valid_secret( $secret ) ) {
			throw new Bridge_Error( 'SIDECAR_AUTH_MISMATCH', 'The new sidecar secret is malformed.' );
		}
		update_option( self::OPTION, $secret, 'no' );
		delete_option( self::PREVIOUS_OPTION );
	}

	/**
	 * The previous secret's keys while its grace period lasts.
	 *
	 * For the IGNY8_SIDECAR_SECRET_PREVIOUS constant the grace period starts when this site first sees it.
	 *
	 * @return array{kid:string,shim:string,sidecar:string}|null
	 */
	private static function previous(): ?array {
		if ( defined( 'IGNY8_SIDECAR_SECRET_PREVIOUS' ) && is_string( IGNY8_SIDECAR_SECRET_PREVIOUS ) ) {
			$keys = self::derive( IGNY8_SIDECAR_SECRET_PREVIOUS, Site_Id::current() );
			if ( null !== $keys ) {
				$seen = get_option( self::PREVIOUS_SEEN_OPTION );
				if ( ! is_array( $seen ) || ( $seen['kid'] ?? '' ) !== $keys['kid'] ) {
					$seen = array(
						'kid'   => $keys['kid'],
						'since' => time(),
					);
					update_option( self::PREVIOUS_SEEN_OPTION, $seen, 'no' );
				}
				if ( time() < (int) $seen['since'] + self::GRACE_SECONDS ) {
					return $keys;
				}
			}
		}
		$stored = get_option( self::PREVIOUS_OPTION );
		if ( is_array( $stored ) && time() < (int) ( $stored['until'] ?? 0 ) ) {
			return self::derive( (string) ( $stored['secret'] ?? '' ), Site_Id::current() );
		}
		return null;
	}
}
