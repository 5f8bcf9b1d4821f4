<?php
/**
 * Media\Address_Policy: which IP addresses an image may be fetched from.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Media;

use Igny8\Bridge\Media\Address_Policy;
use PHPUnit\Framework\TestCase;

final class Address_PolicyTest extends TestCase {

	private const BLOCKED = array( '0.0.0.0', '0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.255', '127.0.0.1', '127.8.9.10', '169.254.169.254',
		'172.16.0.1', '172.31.255.255', '192.168.1.1', '192.0.0.8', '198.18.0.1', '224.0.0.1', '240.0.0.1', '255.255.255.255',
		'::', '::1', '::ffff:127.0.0.1', '::ffff:8.8.8.8', '::127.0.0.1', 'fe80::1', 'febf::1', 'fc00::1', 'fd12:3456::1', 'ff02::1',
		'2001:db8::1', '2001::1', '2002:7f00:1::1', '64:ff9b::a9fe:a9fe', '100::1' );

	private const PUBLIC = array( '8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:82a::200e' );

	/**
	 * @testdox address policy: 31 non-public addresses refused, 8 public ones allowed
	 */
	public function test_non_public_addresses_refused_public_ones_allowed(): void {
		$wrong = array();
		foreach ( self::BLOCKED as $ip ) {
			if ( Address_Policy::is_public( $ip ) ) {
				$wrong[] = "{$ip} allowed";
			}
		}
		foreach ( self::PUBLIC as $ip ) {
			if ( ! Address_Policy::is_public( $ip ) ) {
				$wrong[] = "{$ip} refused (" . Address_Policy::refusal( $ip ) . ')';
			}
		}
		$this->assertSame( array(), $wrong );
	}
}
