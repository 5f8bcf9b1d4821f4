<?php
/**
 * Sidecar\Transport over https (issue #16 §5): certificates are verified against WordPress's CA bundle or the PEM
 * file IGNY8_SIDECAR_CA_BUNDLE names; an unknown CA, a wrong host name or a missing bundle is SIDECAR_TLS_FAILED with
 * its reason, and nothing is sent. Over a network hop a request that never left this machine is sent once more, a
 * request that was written never is. Against a real TLS server (tests/fixtures/tls-server.php) with a private CA
 * made by openssl for this run.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Sidecar\Transport;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class TransportTest extends TestCase {

	/** @var resource|null */
	private static $server = null;

	private static int $port = 0;

	private static string $dir = '';

	public static function setUpBeforeClass(): void {
		// WP_PORT + 1: + 2 / + 3 are the image fixtures, + 4 ClientTest's echo server, + 5 PHP-FPM (scripts/test.ts puts
		// the first e2e instance's WordPress there).
		self::$port = Wp::fixture_port() - 1;
		self::$dir  = get_temp_dir() . 'igny8-tls-' . Wp::run_id();
		if ( ! is_dir( self::$dir ) ) {
			mkdir( self::$dir, 0700, true );
		}
		$d   = escapeshellarg( self::$dir );
		$cmd = "cd {$d} && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=IGNY8 test CA' "
			. "&& openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1' "
			. "&& printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext.cnf "
			. '&& openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf '
			. '&& openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out expired.pem -days 0 -extfile ext.cnf';
		exec( '( ' . $cmd . ' ) 2>&1', $out, $rc );
		if ( 0 !== $rc ) {
			self::fail( 'openssl: ' . implode( "\n", $out ) );
		}
		self::mode( 'ok' );
		$log          = self::$dir . '/server.log';
		self::$server = proc_open(
			array( PHP_BINARY, dirname( __DIR__ ) . '/fixtures/tls-server.php', (string) self::$port, self::$dir . '/server.pem', self::$dir . '/server.key', self::$dir . '/state.json', self::$dir . '/expired.pem' ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ),
			$pipes
		);
		for ( $i = 0; $i < 100; $i++ ) {
			$socket = @fsockopen( '127.0.0.1', self::$port, $errno, $errstr, 0.2 );
			if ( $socket ) {
				fclose( $socket );
				self::mode( 'ok' ); // That probe counted as a connection.
				return;
			}
			usleep( 50000 );
		}
		self::fail( 'the TLS fixture server did not start: ' . @file_get_contents( $log ) );
	}

	public static function tearDownAfterClass(): void {
		if ( is_resource( self::$server ) ) {
			proc_terminate( self::$server, 15 );
			proc_close( self::$server );
		}
		foreach ( glob( self::$dir . '/*' ) ?: array() as $file ) {
			@unlink( $file );
		}
		@rmdir( self::$dir );
	}

	/** Sets the server's mode and zeroes its counters. */
	private static function mode( string $mode ): void {
		file_put_contents( self::$dir . '/state.json', json_encode( array( 'mode' => $mode, 'connections' => 0, 'requests' => 0, 'paths' => array() ) ) );
	}

	/** What the server saw since the last mode(). */
	private static function seen(): array {
		return (array) json_decode( (string) file_get_contents( self::$dir . '/state.json' ), true );
	}

	/** A transport to the fixture; `$network_hop` gives a loopback URL the policy of a remote sidecar. */
	private static function transport( string $host = '127.0.0.1', ?string $ca_bundle = null, bool $network_hop = false ): Transport {
		$transport = Transport::for_url( "https://{$host}:" . self::$port, 'production', '', $ca_bundle ?? self::$dir . '/ca.pem' );
		if ( $network_hop ) {
			$property = new \ReflectionProperty( Transport::class, 'network_hop' );
			$property->setAccessible( true );
			$property->setValue( $transport, true );
		}
		return $transport;
	}

	/** The Bridge_Error a send throws (fails the test when it succeeds). */
	private static function refusal( Transport $transport, string $method = 'GET', string $body = '' ): Bridge_Error {
		try {
			$reply = $transport->send( $method, '/healthz', $body, array( 'Accept' => 'application/json' ), 2000, 4000 );
		} catch ( Bridge_Error $error ) {
			return $error;
		}
		self::fail( 'the request went through: HTTP ' . $reply['status'] . ' ' . $reply['body'] );
	}

	/**
	 * @testdox a certificate from the CA that IGNY8_SIDECAR_CA_BUNDLE names verifies: the request goes through
	 */
	public function test_trusted_private_ca(): void {
		self::mode( 'ok' );
		$transport = self::transport();
		$this->assertSame( 'wp-config', $transport->trust() );
		$reply = $transport->send( 'POST', '/_shim/events', '{"events":[]}', array( 'Content-Type' => 'application/json' ), 2000, 4000 );
		$this->assertSame( 200, $reply['status'] );
		$this->assertSame( array( 'ok' => true, 'method' => 'POST', 'path' => '/_shim/events', 'body' => '{"events":[]}' ), json_decode( $reply['body'], true ) );
		$this->assertSame( 1, self::seen()['requests'] );
	}

	/**
	 * @testdox without the CA bundle (WordPress's CAs only) the private CA's certificate is refused: SIDECAR_TLS_FAILED, reason untrusted, nothing sent
	 */
	public function test_unknown_ca_refused(): void {
		self::mode( 'ok' );
		$transport = Transport::for_url( 'https://127.0.0.1:' . self::$port, 'production', '' );
		$this->assertSame( 'wordpress', $transport->trust() );
		$error = self::refusal( $transport, 'POST', '{"a":1}' );
		$this->assertSame( 'SIDECAR_TLS_FAILED', $error->error_code() );
		$this->assertSame( 503, $error->status() );
		$this->assertSame( array( 'reason' => 'untrusted' ), $error->details() );
		$this->assertStringContainsString( 'not trusted', $error->getMessage() );
		$this->assertStringContainsString( 'IGNY8_SIDECAR_CA_BUNDLE', $error->getMessage() );
		$this->assertSame( 0, self::seen()['requests'] );
	}

	/**
	 * @testdox a certificate for another host name is refused even from the trusted CA: reason host_mismatch, and a network hop does not retry it
	 */
	public function test_wrong_host_name_refused(): void {
		self::mode( 'ok' );
		$error = self::refusal( self::transport( 'localhost', null, true ) );
		$this->assertSame( 'SIDECAR_TLS_FAILED', $error->error_code() );
		$this->assertSame( array( 'reason' => 'host_mismatch' ), $error->details() );
		$this->assertStringContainsString( "'localhost'", $error->getMessage() );
		$this->assertSame( 1, self::seen()['connections'], 'a certificate refusal is final: no second handshake' );
		$this->assertSame( 0, self::seen()['requests'] );
	}

	/**
	 * @testdox an expired certificate from the trusted CA is refused: reason expired
	 */
	public function test_expired_certificate_refused(): void {
		self::mode( 'expired' );
		sleep( 1 ); // `-days 0`: valid until the second it was made.
		$error = self::refusal( self::transport() );
		$this->assertSame( 'SIDECAR_TLS_FAILED', $error->error_code() );
		$this->assertSame( array( 'reason' => 'expired' ), $error->details() );
		$this->assertStringContainsString( 'expired', $error->getMessage() );
		$this->assertSame( 0, self::seen()['requests'] );
	}

	/**
	 * @testdox IGNY8_SIDECAR_CA_BUNDLE naming no readable file is refused before connecting: reason ca_bundle
	 */
	public function test_missing_bundle_refused(): void {
		self::mode( 'ok' );
		$error = self::refusal( self::transport( '127.0.0.1', self::$dir . '/missing.pem' ) );
		$this->assertSame( 'SIDECAR_TLS_FAILED', $error->error_code() );
		$this->assertSame( array( 'reason' => 'ca_bundle' ), $error->details() );
		$this->assertSame( 0, self::seen()['connections'] );
	}

	/**
	 * @testdox over a network hop a connection dropped before the TLS handshake is tried once more and the request goes through once
	 */
	public function test_network_hop_retries_what_was_never_sent(): void {
		self::mode( 'drop-first' );
		$reply = self::transport( '127.0.0.1', null, true )->send( 'POST', '/_shim/continue', '{"x":1}', array(), 2000, 4000 );
		$this->assertSame( 200, $reply['status'] );
		$seen = self::seen();
		$this->assertSame( 2, $seen['connections'] );
		$this->assertSame( array( 'POST /_shim/continue' ), $seen['paths'] );
	}

	/**
	 * @testdox on loopback the same dropped connection is reported at once: SIDECAR_UNAVAILABLE, reason connection_lost, one connection
	 */
	public function test_loopback_does_not_retry(): void {
		self::mode( 'drop-first' );
		$error = self::refusal( self::transport() );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $error->error_code() );
		$this->assertSame( array( 'reason' => 'connection_lost' ), $error->details() );
		$this->assertSame( 1, self::seen()['connections'] );
	}

	/**
	 * @testdox a request that reached the sidecar and lost its reply is never sent again (a non-idempotent POST runs once)
	 */
	public function test_sent_request_is_not_repeated(): void {
		self::mode( 'swallow' );
		$error = self::refusal( self::transport( '127.0.0.1', null, true ), 'POST', '{"publish":1}' );
		$this->assertSame( 'SIDECAR_UNAVAILABLE', $error->error_code() );
		$this->assertSame( array( 'reason' => 'connection_lost' ), $error->details() );
		$this->assertStringContainsString( 'may have carried out', $error->getMessage() );
		$seen = self::seen();
		$this->assertSame( 1, $seen['connections'] );
		$this->assertSame( array( 'POST /healthz' ), $seen['paths'] );
	}

	/**
	 * @testdox plain http is refused for a sidecar off this machine; https and loopback http are accepted
	 */
	public function test_plain_http_off_loopback_refused(): void {
		try {
			Transport::for_url( 'http://sidecar.example.com:8787', 'production', '' );
			$this->fail( 'plain http to a remote sidecar was accepted' );
		} catch ( Bridge_Error $error ) {
			$this->assertSame( 'SIDECAR_UNAVAILABLE', $error->error_code() );
			$this->assertStringContainsString( 'must use https', $error->getMessage() );
		}
		$remote = Transport::for_url( 'https://sidecar.example.com', 'production', '' );
		$this->assertTrue( $remote->is_network_hop() );
		$this->assertSame( 'wordpress', $remote->trust() );
		$local = Transport::for_url( 'http://127.0.0.1:8787', 'production', '' );
		$this->assertFalse( $local->is_network_hop() );
		$this->assertNull( $local->trust() );
	}
}
