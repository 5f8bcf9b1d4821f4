<?php
/**
 * The shim ⇄ sidecar wire protocol version.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The contract's `protocol_version` (MAJOR.MINOR) travels as the `pv` claim of every signed message in both
 * directions. The same major and minors at most one apart interoperate, so the plugin and the sidecar can be
 * upgraded in either order; anything else is 503 SIDECAR_VERSION_MISMATCH naming both versions.
 */
final class Protocol {

	/**
	 * This plugin's protocol version.
	 */
	public static function version(): string {
		return (string) Contract::get()['protocol_version'];
	}

	/**
	 * Whether two protocol versions interoperate.
	 *
	 * @param string $a One version.
	 * @param string $b The other.
	 */
	public static function compatible( string $a, string $b ): bool {
		if ( ! preg_match( '/^(\d+)\.(\d+)$/', $a, $x ) || ! preg_match( '/^(\d+)\.(\d+)$/', $b, $y ) ) {
			return false;
		}
		return $x[1] === $y[1] && abs( (int) $x[2] - (int) $y[2] ) <= 1;
	}

	/**
	 * Checks the `pv` claim of a verified sidecar message.
	 *
	 * @param array<string,mixed> $claims          Verified claims.
	 * @param string|null         $sidecar_version The sidecar's software version, when known.
	 * @throws Bridge_Error SIDECAR_VERSION_MISMATCH.
	 */
	public static function check( array $claims, ?string $sidecar_version = null ): void {
		$pv = isset( $claims['pv'] ) && is_string( $claims['pv'] ) ? $claims['pv'] : '';
		if ( ! self::compatible( $pv, self::version() ) ) {
			throw self::mismatch( '' === $pv ? null : $pv, $sidecar_version );
		}
	}

	/**
	 * The mismatch error. Versions come from the other side, so only well-formed ones are repeated.
	 *
	 * @param string|null $sidecar_protocol The sidecar's protocol version.
	 * @param string|null $sidecar_version  The sidecar's software version.
	 */
	public static function mismatch( ?string $sidecar_protocol, ?string $sidecar_version = null ): Bridge_Error {
		$protocol = null !== $sidecar_protocol && preg_match( '/^\d{1,4}\.\d{1,4}$/', $sidecar_protocol ) ? $sidecar_protocol : null;
		$version  = null !== $sidecar_version && preg_match( '/^[0-9A-Za-z.+-]{1,32}$/', $sidecar_version ) ? $sidecar_version : null;
		return new Bridge_Error(
			'SIDECAR_VERSION_MISMATCH',
			sprintf(
				'Plugin and sidecar versions do not match: the plugin %1$s speaks protocol %2$s, the sidecar%3$s speaks protocol %4$s. Install the plugin and the sidecar of the same release (one minor version apart works).',
				IGNY8_BRIDGE_VERSION,
				self::version(),
				null === $version ? '' : ' ' . $version,
				$protocol ?? '(unknown)'
			)
		);
	}

	/**
	 * The mismatch an unsigned sidecar refusal reports (its body is not trusted: versions are checked for shape).
	 *
	 * @param string $body Raw reply body.
	 */
	public static function mismatch_from_refusal( string $body ): ?Bridge_Error {
		$data = json_decode( $body, true, 8 );
		if ( ! is_array( $data ) || 'SIDECAR_VERSION_MISMATCH' !== ( $data['code'] ?? null ) ) {
			return null;
		}
		return self::mismatch(
			is_string( $data['sidecar_protocol'] ?? null ) ? $data['sidecar_protocol'] : null,
			is_string( $data['sidecar_version'] ?? null ) ? $data['sidecar_version'] : null
		);
	}
}
