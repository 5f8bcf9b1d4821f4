<?php
/**
 * Sidecar\Reply: a signed reply is accepted only for the request whose jti it names, at most once, and accepting
 * it writes nothing to the database (the jti table write was most of the proxy's own time on every call).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;
use Igny8\Bridge\Sidecar\Protocol;
use Igny8\Bridge\Sidecar\Reply;
use Igny8\Bridge\Support\Schema;
use PHPUnit\Framework\TestCase;

final class ReplyTest extends TestCase {

	/**
	 * A reply as the sidecar signs it, for the request jti `$req`.
	 *
	 * @return array{status:int,headers:array<string,string>,body:string}
	 */
	private static function signed_reply( string $req, string $body = '{"kind":"respond","status":200,"body":{"success":true,"data":{"n":1}}}' ): array {
		$jwt    = Contract::jwt();
		$keys   = Keys::current();
		$now    = time();
		$claims = array(
			'iss' => (string) $jwt['sidecar']['iss'],
			'aud' => (string) $jwt['audiences']['shim'],
			'iat' => $now,
			'exp' => $now + 30,
			'jti' => Jwt::new_jti(),
			'sid' => Site_Id::current(),
			'req' => $req,
			'bh'  => Jwt::body_hash( $body ),
			'pv'  => Protocol::version(),
		);
		return array(
			'status'  => 200,
			'headers' => array( strtolower( (string) $jwt['header'] ) => Jwt::sign( $claims, $keys['sidecar'], $keys['kid'] ) ),
			'body'    => $body,
		);
	}

	private static function jti_rows(): int {
		global $wpdb;
		return (int) $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Schema::table( 'jti' ) ); // phpcs:ignore
	}

	/**
	 * @testdox the reply for our request is accepted, without writing a jti row
	 */
	public function test_accepts_the_reply_for_our_request_without_a_write(): void {
		$req    = Jwt::new_jti();
		$before = self::jti_rows();
		$reply  = Reply::verify( self::signed_reply( $req ), $req );
		$this->assertSame( Reply::KIND_RESPOND, $reply->kind );
		$this->assertSame( 200, $reply->status );
		$this->assertSame( 1, $reply->body->data->n );
		$this->assertSame( $before, self::jti_rows() );
	}

	/**
	 * @testdox a second reply for the same request, or a reply naming another request, is refused
	 */
	public function test_refuses_a_replayed_or_foreign_reply(): void {
		$req = Jwt::new_jti();
		$raw = self::signed_reply( $req );
		Reply::verify( $raw, $req );
		foreach ( array( 'the same reply again' => array( $raw, $req ), 'another reply for the answered request' => array( self::signed_reply( $req ), $req ), 'a reply for another request' => array( $raw, Jwt::new_jti() ) ) as $case => list( $again, $for ) ) {
			try {
				Reply::verify( $again, $for );
				$this->fail( "{$case} was accepted" );
			} catch ( Bridge_Error $error ) {
				$this->assertSame( 'SIDECAR_BAD_RESPONSE', $error->error_code(), $case );
			}
		}
	}
}
