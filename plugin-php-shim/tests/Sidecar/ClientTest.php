<?php
/**
 * Sidecar\Client: the signed request (JWT claims, lifetime from the contract) and notify(), the status-only POST
 * the sync notifier uses, against a real HTTP server (tests/fixtures/sidecar-echo.php).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sidecar;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Sidecar\Client;
use Igny8\Bridge\Sidecar\Transport;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class ClientTest extends TestCase {

	/** @var resource|null */
	private static $server = null;

	private static int $port = 0;

	public static function setUpBeforeClass(): void {
		self::$port   = Wp::fixture_port() + 2;
		self::$server = Wp::start_php_server( self::$port, dirname( __DIR__ ) . '/fixtures/sidecar-echo.php' );
	}

	public static function tearDownAfterClass(): void {
		Wp::stop_php_server( self::$server );
	}

	/**
	 * A client whose transport points at the echo server.
	 */
	private static function client(): Client {
		$transport = Transport::for_url( 'http://127.0.0.1:' . self::$port, 'production', '' );
		$ctx = array( 'request_id' => 'req-' . Wp::run_id(), 'route_id' => 'sync_events' );
		return new Client( $transport, $ctx, 'site-' . Wp::run_id() );
	}

	/**
	 * The request the echo server got last.
	 */
	private static function last_request(): array {
		return (array) json_decode( (string) file_get_contents( rtrim( sys_get_temp_dir(), '/' ) . '/igny8-sidecar-echo-' . self::$port . '.json' ), true );
	}

	/**
	 * @testdox notify: a signed POST of the body; true on 2xx
	 */
	public function test_notify_posts_a_signed_body(): array {
		$this->assertNotNull( self::$server, 'echo server on 127.0.0.1:' . self::$port );
		$body = '{"events":[{"post_id":1}]}';
		$this->assertTrue( self::client()->notify( '/_shim/events', $body, 2000 ) );
		$request = self::last_request();
		$this->assertSame( 'POST', $request['method'] );
		$this->assertSame( '/_shim/events', $request['path'] );
		$this->assertSame( $body, $request['body'] );
		$this->assertSame( 'application/json', $request['headers']['Content-Type'] ?? null );
		$this->assertMatchesRegularExpression( '/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/', (string) ( $request['headers']['Authorization'] ?? '' ) );
		return $request;
	}

	/**
	 * @depends test_notify_posts_a_signed_body
	 * @testdox the request JWT verifies with the shim key, binds method, path and body, and lives jwt.max_ttl_seconds (contract)
	 */
	public function test_request_jwt( array $request ): void {
		$token  = substr( (string) $request['headers']['Authorization'], 7 );
		$parts  = explode( '.', $token );
		$claims = json_decode( (string) base64_decode( strtr( $parts[1], '-_', '+/' ) ), true );
		$keys   = Keys::current();
		$this->assertSame( $token, Jwt::sign( $claims, $keys['shim'], $keys['kid'] ), 're-signing the claims with the shim key gives the same token' );
		$this->assertSame( 'POST', $claims['htm'] );
		$this->assertSame( '/_shim/events', $claims['htu'] );
		$this->assertSame( Jwt::body_hash( (string) $request['body'] ), $claims['bh'] );
		$this->assertSame( 'site-' . Wp::run_id(), $claims['sid'] );
		$this->assertSame( (int) Contract::jwt()['max_ttl_seconds'], $claims['exp'] - $claims['iat'] );
	}

	/**
	 * @testdox notify: false on a non-2xx status and when nothing listens (never an exception)
	 */
	public function test_notify_failures(): void {
		$this->assertFalse( self::client()->notify( '/_shim/events?status=503', '{}', 2000 ) );
		$dead = Transport::for_url( 'http://127.0.0.1:9', 'production', '' );
		$this->assertFalse( ( new Client( $dead, array( 'request_id' => 'r' ), 's' ) )->notify( '/_shim/events', '{}', 250 ) );
	}
}
