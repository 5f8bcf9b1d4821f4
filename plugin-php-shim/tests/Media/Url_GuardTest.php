<?php
/**
 * Media\Url_Guard: the SSRF rules for image URLs (scheme, host, resolved address, allow-list).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Media;

use Igny8\Bridge\Media\Url_Guard;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Url_GuardTest extends TestCase {

	/**
	 * @testdox IGNY8_IMAGE_HOST_ALLOWLIST names a 127.0.0.1:PORT fixture entry (start the runtime with it)
	 */
	public function test_allow_list_names_the_fixture_port(): void {
		$this->assertGreaterThan( 0, Wp::fixture_port(), defined( 'IGNY8_IMAGE_HOST_ALLOWLIST' ) ? (string) IGNY8_IMAGE_HOST_ALLOWLIST : 'not defined' );
	}

	/**
	 * @testdox environment type is local (the allow-list is honoured only there)
	 */
	public function test_environment_is_local(): void {
		$this->assertSame( 'local', wp_get_environment_type() );
	}

	/**
	 * @testdox url guard refuses 24 SSRF vectors (metadata IP, localhost, [::1], mapped IPv6, numeric IPv4 forms, private ranges, file/gopher/ftp/dict, user info, backslash, non-allow-listed port, own host)
	 */
	public function test_refuses_ssrf_vectors(): void {
		$port     = Wp::fixture_port();
		$refusals = array(
			'http://169.254.169.254/latest/meta-data/',
			'http://localhost/x.png',
			'http://LOCALHOST./x.png',
			'http://[::1]/x.png',
			"http://[::1]:{$port}/x.png",
			'http://[::ffff:127.0.0.1]/x.png',
			'http://[fe80::1%25eth0]/x.png',
			'http://2130706433/x.png',
			'http://0x7f.0.0.1/x.png',
			'http://0177.0.0.1/x.png',
			'http://127.1/x.png',
			'http://10.0.0.1/x.png',
			'http://100.64.1.1/x.png',
			'http://192.168.0.1/x.png',
			'file:///etc/passwd',
			'gopher://example.com/x',
			'ftp://example.com/x.png',
			'dict://127.0.0.1:11211/',
			'http://user:pass@example.com/x.png',
			'http://example.com\\@127.0.0.1/x.png',
			Wp::nofix() . '/img/a.png',
			home_url( '/wp-content/uploads/x.png' ),
			'//example.com/x.png',
			'http:///x.png',
		);
		$wrong = array();
		foreach ( $refusals as $url ) {
			$verdict = Wp::guard( $url );
			if ( 'IMAGE_REFUSED' !== $verdict ) {
				$wrong[] = "{$url} → {$verdict}";
			}
		}
		$this->assertSame( array(), $wrong );
	}

	/**
	 * @testdox url guard allows the allow-listed host:port and rebuilds the URL (encoded, no fragment)
	 */
	public function test_allows_the_allow_listed_host_and_rebuilds_the_url(): void {
		if ( Wp::fixture_port() <= 0 ) {
			$this->markTestSkipped( 'no 127.0.0.1:PORT entry in IGNY8_IMAGE_HOST_ALLOWLIST' );
		}
		$fix    = Wp::fix();
		$target = Url_Guard::check( "{$fix}/img/%7Ea.png?x=\xC3\xBC&y=1#frag" );
		$this->assertTrue( $target['allow_listed'], Wp::detail( $target ) );
		$this->assertSame( '127.0.0.1', $target['address'] );
		$this->assertSame( "{$fix}/img/%7Ea.png?x=%C3%BC&y=1", $target['url'] );
	}

	/**
	 * @testdox url guard: an unresolvable host is a fetch failure, not a refusal
	 */
	public function test_unresolvable_host_is_a_failure_not_a_refusal(): void {
		$this->assertSame( 'IMAGE_FAILED', Wp::guard( 'http://igny8-no-such-host-' . Wp::run_id() . '.invalid/x.png' ) );
	}
}
