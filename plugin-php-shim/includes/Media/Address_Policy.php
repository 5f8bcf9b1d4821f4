<?php
/**
 * Which IP addresses an image may be fetched from.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Media;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Only public unicast addresses. Refused: IPv4 this-network, private, CGNAT, loopback, link-local (cloud metadata
 * at 169.254.169.254 included), IETF/documentation/benchmark ranges, 6to4 relay, multicast, reserved and
 * broadcast; IPv6 anything outside global unicast 2000::/3 (which covers unspecified, loopback, IPv4-mapped and
 * -compatible, NAT64, discard, unique-local fc00::/7, link-local fe80::/10, site-local and multicast), and inside
 * it Teredo, ORCHID, documentation and 6to4 (those embed or reach IPv4 addresses we cannot check).
 * Pure PHP (no WordPress, no network).
 */
final class Address_Policy {

	/**
	 * Refused IPv4 ranges.
	 */
	private const BLOCKED_V4 = array(
		'0.0.0.0/8'       => 'this-network',
		'10.0.0.0/8'      => 'private',
		'100.64.0.0/10'   => 'carrier-grade NAT',
		'127.0.0.0/8'     => 'loopback',
		'169.254.0.0/16'  => 'link-local',
		'172.16.0.0/12'   => 'private',
		'192.0.0.0/24'    => 'IETF protocol assignments',
		'192.0.2.0/24'    => 'documentation',
		'192.88.99.0/24'  => '6to4 relay',
		'192.168.0.0/16'  => 'private',
		'198.18.0.0/15'   => 'benchmarking',
		'198.51.100.0/24' => 'documentation',
		'203.0.113.0/24'  => 'documentation',
		'224.0.0.0/4'     => 'multicast',
		'240.0.0.0/4'     => 'reserved',
	);

	/**
	 * Refused IPv6 ranges (checked before the global-unicast rule, for a precise reason).
	 */
	private const BLOCKED_V6 = array(
		'::/128'          => 'unspecified',
		'::1/128'         => 'loopback',
		'::ffff:0:0/96'   => 'IPv4-mapped',
		'::/96'           => 'IPv4-compatible',
		'64:ff9b::/96'    => 'NAT64',
		'64:ff9b:1::/48'  => 'NAT64',
		'100::/64'        => 'discard',
		'2001::/32'       => 'Teredo',
		'2001:10::/28'    => 'ORCHID',
		'2001:20::/28'    => 'ORCHIDv2',
		'2001:db8::/32'   => 'documentation',
		'2002::/16'       => '6to4',
		'fc00::/7'        => 'unique-local',
		'fe80::/10'       => 'link-local',
		'fec0::/10'       => 'site-local',
		'ff00::/8'        => 'multicast',
	);

	/**
	 * Why an address is refused, or null when it is a public unicast address.
	 *
	 * @param string $ip IPv4 or IPv6 address (no brackets).
	 */
	public static function refusal( string $ip ): ?string {
		$packed = @inet_pton( $ip ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- invalid input is answered below.
		if ( false === $packed ) {
			return 'not an IP address';
		}
		$ranges = 4 === strlen( $packed ) ? self::BLOCKED_V4 : self::BLOCKED_V6;
		foreach ( $ranges as $cidr => $reason ) {
			if ( self::in_range( $packed, $cidr ) ) {
				return $reason;
			}
		}
		if ( 16 === strlen( $packed ) && ! self::in_range( $packed, '2000::/3' ) ) {
			return 'not global unicast';
		}
		// Second opinion from PHP's own tables (never weaker than the list above).
		if ( false === filter_var( $ip, FILTER_VALIDATE_IP, FILTER_FLAG_NO_PRIV_RANGE | FILTER_FLAG_NO_RES_RANGE ) ) {
			return 'private or reserved';
		}
		return null;
	}

	/**
	 * Whether an address is a public unicast address.
	 *
	 * @param string $ip Address.
	 */
	public static function is_public( string $ip ): bool {
		return null === self::refusal( $ip );
	}

	/**
	 * Canonical text form of an address (IPv6 compressed, lowercase), or null when it is not one.
	 *
	 * @param string $ip Address.
	 */
	public static function canonical( string $ip ): ?string {
		$packed = @inet_pton( $ip ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- invalid input is answered below.
		if ( false === $packed ) {
			return null;
		}
		$text = inet_ntop( $packed );
		return false === $text ? null : strtolower( $text );
	}

	/**
	 * Whether a packed address lies in a CIDR range of the same family.
	 *
	 * @param string $packed Packed address (inet_pton).
	 * @param string $cidr   Range, e.g. "10.0.0.0/8".
	 */
	private static function in_range( string $packed, string $cidr ): bool {
		list( $base, $bits ) = explode( '/', $cidr, 2 );
		$net                 = inet_pton( $base );
		if ( false === $net || strlen( $net ) !== strlen( $packed ) ) {
			return false;
		}
		$bits  = (int) $bits;
		$bytes = intdiv( $bits, 8 );
		if ( $bytes > 0 && substr( $packed, 0, $bytes ) !== substr( $net, 0, $bytes ) ) {
			return false;
		}
		$rest = $bits % 8;
		if ( 0 === $rest ) {
			return true;
		}
		$mask = ( 0xFF << ( 8 - $rest ) ) & 0xFF;
		return ( ord( $packed[ $bytes ] ) & $mask ) === ( ord( $net[ $bytes ] ) & $mask );
	}
}
