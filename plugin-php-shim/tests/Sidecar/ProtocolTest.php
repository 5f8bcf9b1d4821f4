<?php
/**
 * Sidecar\Protocol: which protocol versions interoperate, and the mismatch message.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Sidecar\Protocol;
use PHPUnit\Framework\TestCase;

final class ProtocolTest extends TestCase {

	/**
	 * @testdox the same major and minors at most one apart interoperate; two minors, another major or garbage do not
	 */
	public function test_compatible(): void {
		$this->assertTrue( Protocol::compatible( '1.0', '1.0' ) );
		$this->assertTrue( Protocol::compatible( '1.0', '1.1' ) );
		$this->assertTrue( Protocol::compatible( '1.5', '1.4' ) );
		$this->assertFalse( Protocol::compatible( '1.0', '1.2' ) );
		$this->assertFalse( Protocol::compatible( '1.0', '2.0' ) );
		$this->assertFalse( Protocol::compatible( '1.0', '' ) );
		$this->assertFalse( Protocol::compatible( '1.0', '1' ) );
		$this->assertFalse( Protocol::compatible( '1.0', '1.0.1' ) );
	}

	/**
	 * @testdox a sidecar message two minors ahead is 503 SIDECAR_VERSION_MISMATCH naming both versions
	 */
	public function test_check_names_both_versions(): void {
		[ $major, $minor ] = array_map( 'intval', explode( '.', Protocol::version() ) );
		Protocol::check( array( 'pv' => $major . '.' . ( $minor + 1 ) ) );
		try {
			Protocol::check( array( 'pv' => $major . '.' . ( $minor + 2 ) ), '9.9.9' );
			$this->fail( 'no mismatch' );
		} catch ( Bridge_Error $error ) {
			$this->assertSame( 'SIDECAR_VERSION_MISMATCH', $error->error_code() );
			$this->assertStringContainsString( 'plugin ' . IGNY8_BRIDGE_VERSION . ' speaks protocol ' . Protocol::version(), $error->getMessage() );
			$this->assertStringContainsString( 'sidecar 9.9.9 speaks protocol ' . $major . '.' . ( $minor + 2 ), $error->getMessage() );
		}
	}

	/**
	 * @testdox an unsigned refusal's versions are repeated only when well-formed
	 */
	public function test_refusal_body_is_not_trusted(): void {
		$this->assertNull( Protocol::mismatch_from_refusal( '{"code":"SIGNATURE_INVALID"}' ) );
		$error = Protocol::mismatch_from_refusal( '{"code":"SIDECAR_VERSION_MISMATCH","sidecar_protocol":"<b>1.9</b>","sidecar_version":"0.1.0 <script>"}' );
		$this->assertInstanceOf( Bridge_Error::class, $error );
		$this->assertStringNotContainsString( '<', $error->getMessage() );
		$this->assertStringContainsString( 'speaks protocol (unknown)', $error->getMessage() );
	}
}
