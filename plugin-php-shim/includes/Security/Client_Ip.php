<?php
/**
 * The client address used for rate limiting.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * REMOTE_ADDR, unless it is a proxy listed in the IGNY8_TRUSTED_PROXIES constant (array or comma-separated string
 * of IPs or CIDR ranges). Then X-Forwarded-For is walked from the right (each proxy appends the address it saw),
 * trusted proxies are skipped, and the first untrusted address is the client. Entries to its left are whatever the
 * client sent and never count. Never an option: whoever can write options must not be able to choose whose
 * failures count.
 *
 * Behind a CDN or load balancer that is not listed, every client shares the proxy's address (and its lockout);
 * list the proxy's ranges in IGNY8_TRUSTED_PROXIES.
 */
final class Client_Ip {

	/**
	 * The client IP in canonical text form ("0.0.0.0" when unknown).
	 *
	 * @param array<string,mixed>|null $server Server variables (defaults to $_SERVER).
	 */
	public static function detect( ?array $server = null ): string {
		$server = $server ?? $_SERVER;
		$remote = self::normalize( (string) ( $server['REMOTE_ADDR'] ?? '' ) ) ?? '0.0.0.0';
		if ( ! isset( $server['HTTP_X_FORWARDED_FOR'] ) || ! self::is_trusted_proxy( $remote ) ) {
			return $remote;
		}
		$client = $remote;
		$hops   = array_reverse( explode( ',', substr( (string) $server['HTTP_X_FORWARDED_FOR'], 0, 4096 ) ) );
		foreach ( $hops as $hop ) {
			$ip = self::normalize( $hop );
			if ( null === $ip ) {
				// Garbage from here leftwards was not written by a proxy we trust: the last trusted hop answers.
				break;
			}
			$client = $ip;
			if ( ! self::is_trusted_proxy( $ip ) ) {
				break;
			}
		}
		return $client;
	}

	/**
	 * Whether an address is in IGNY8_TRUSTED_PROXIES.
	 *
	 * @param string $ip Canonical IP.
	 */
	public static function is_trusted_proxy( string $ip ): bool {
		if ( ! defined( 'IGNY8_TRUSTED_PROXIES' ) ) {
			return false;
		}
		$list = is_array( IGNY8_TRUSTED_PROXIES ) ? IGNY8_TRUSTED_PROXIES : explode( ',', (string) IGNY8_TRUSTED_PROXIES );
		foreach ( $list as $entry ) {
			if ( self::matches( $ip, trim( (string) $entry ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether an IP equals an address or lies in a CIDR range.
	 *
	 * @param string $ip    Canonical IP.
	 * @param string $entry Address or CIDR.
	 */
	public static function matches( string $ip, string $entry ): bool {
		$bits = null;
		if ( str_contains( $entry, '/' ) ) {
			list( $entry, $bits ) = explode( '/', $entry, 2 );
			if ( ! ctype_digit( $bits ) ) {
				return false;
			}
			$bits = (int) $bits;
		}
		$a = @inet_pton( $ip ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- invalid input is an expected case.
		$b = @inet_pton( $entry ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( false === $a || false === $b || strlen( $a ) !== strlen( $b ) ) {
			return false;
		}
		if ( null === $bits ) {
			return $a === $b;
		}
		$bits = min( $bits, strlen( $a ) * 8 );
		$full = intdiv( $bits, 8 );
		if ( substr( $a, 0, $full ) !== substr( $b, 0, $full ) ) {
			return false;
		}
		$rest = $bits % 8;
		if ( 0 === $rest ) {
			return true;
		}
		$mask = ( 0xFF << ( 8 - $rest ) ) & 0xFF;
		return ( ord( $a[ $full ] ) & $mask ) === ( ord( $b[ $full ] ) & $mask );
	}

	/**
	 * Canonical form of an IP, or null when the text is not an IP.
	 *
	 * @param string $text Candidate.
	 */
	private static function normalize( string $text ): ?string {
		$text = trim( $text, " \t[]" );
		if ( false === filter_var( $text, FILTER_VALIDATE_IP ) ) {
			return null;
		}
		$packed = inet_pton( $text );
		return false === $packed ? null : (string) inet_ntop( $packed );
	}
}
