<?php
/**
 * Signed calls to the sidecar and the execute/continue loop.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One proxied request (docs/architecture.md §3): send the same method, route, query and raw body to the sidecar
 * with a request JWT; while it answers `execute`, run the operations in this PHP process (the operation runner the
 * caller gives: the Executor) and POST the results to /_shim/continue; return its final `respond`. The sidecar
 * never calls WordPress while we wait. notify(): one signed POST whose answer is only its status (the sync wake-up).
 * Every request JWT lives `jwt.max_ttl_seconds` (contract).
 */
final class Client {

	/**
	 * HTTP transport.
	 *
	 * @var Transport
	 */
	private Transport $transport;

	/**
	 * The `ctx` claim, identical on every call of this request.
	 *
	 * @var array<string,mixed>
	 */
	private array $ctx;

	/**
	 * This site's id (the `sid` claim).
	 *
	 * @var string
	 */
	private string $sid;

	/**
	 * Runs the operations of an `execute` reply: fn( array $ops ): array $results (null: none may be run).
	 *
	 * @var callable|null
	 */
	private $run_ops;

	/**
	 * Constructor.
	 *
	 * @param Transport           $transport Transport.
	 * @param array<string,mixed> $ctx       Request context.
	 * @param string              $sid       Site id.
	 * @param callable|null       $run_ops   Operation runner for `execute` replies.
	 */
	public function __construct( Transport $transport, array $ctx, string $sid, ?callable $run_ops = null ) {
		$this->transport = $transport;
		$this->ctx       = $ctx;
		$this->sid       = $sid;
		$this->run_ops   = $run_ops;
	}

	/**
	 * A client for the configured sidecar.
	 *
	 * @param array<string,mixed> $ctx     Request context.
	 * @param callable|null       $run_ops Operation runner for `execute` replies: fn( array $ops ): array.
	 * @throws Bridge_Error SIDECAR_UNAVAILABLE when the sidecar URL is unusable.
	 */
	public static function for_context( array $ctx, ?callable $run_ops = null ): self {
		return new self( Transport::configured(), $ctx, Site_Id::current(), $run_ops );
	}

	/**
	 * Proxies one request and returns the final reply to send to the caller.
	 *
	 * @param string $method       Effective HTTP method.
	 * @param string $route        REST route from get_route(), e.g. "/igny8/v1/site-metadata/".
	 * @param string $query        Query string without "?" ('' for none).
	 * @param string $body         Raw request body.
	 * @param string $content_type Content-Type of the request ('' for none).
	 * @return array{status:int,body:mixed}
	 * @throws Bridge_Error On any transport, signature or protocol failure.
	 */
	public function proxy( string $method, string $route, string $query, string $body, string $content_type ): array {
		$path  = self::encode_path( $route ) . ( '' !== $query ? '?' . $query : '' );
		$reply = $this->exchange( $method, $path, $route, $body, $content_type );

		$continue   = Contract::sidecar_path( 'continue' );
		$max_rounds = max( 1, Contract::limit( 'max_rounds' ) );
		$rounds     = 0;
		while ( Reply::KIND_EXECUTE === $reply->kind ) {
			++$rounds;
			if ( $rounds > $max_rounds ) {
				throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar asked for more operation rounds than allowed.' );
			}
			if ( null === $this->run_ops ) {
				throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar asked to run operations where none may run.' );
			}
			$results = ( $this->run_ops )( $reply->ops );
			$payload = wp_json_encode(
				array(
					'route_id' => (string) $this->ctx['route_id'],
					'state'    => $reply->state,
					'results'  => $results,
				),
				JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE
			);
			if ( ! is_string( $payload ) ) {
				throw new Bridge_Error( 'INTERNAL_ERROR', 'Operation results could not be encoded.' );
			}
			$reply = $this->exchange( 'POST', $continue, $continue, $payload, 'application/json' );
		}
		return array(
			'status' => $reply->status,
			'body'   => $reply->body,
		);
	}

	/**
	 * Whether the sidecar is across a network (a hosted one): callers with a time budget of their own pick its remote
	 * value (the sync notify).
	 */
	public function over_network(): bool {
		return $this->transport->is_network_hop();
	}

	/**
	 * One signed POST whose reply is only a status (not a signed reply): true on 2xx, false on anything else
	 * (transport failure included). For wake-up calls that must never fail the request that makes them.
	 *
	 * @param string $path       Sidecar path (contract `sidecar_paths`).
	 * @param string $body       JSON body.
	 * @param int    $timeout_ms Connect and total timeout.
	 */
	public function notify( string $path, string $body, int $timeout_ms ): bool {
		try {
			$raw = $this->send( 'POST', $path, $path, $body, 'application/json', $timeout_ms, $timeout_ms )['raw'];
		} catch ( Bridge_Error $error ) {
			return false;
		}
		return $raw['status'] >= 200 && $raw['status'] < 300;
	}

	/**
	 * notify() in two steps: the signed POST is written out now, and notify_finish() waits for its status. False
	 * when it cannot be sent that way (a sidecar across a network, TLS, or one already in flight): use notify().
	 *
	 * @param string $path       Sidecar path (contract `sidecar_paths`).
	 * @param string $body       JSON body.
	 * @param int    $timeout_ms Connect and total timeout, from now.
	 */
	public function notify_start( string $path, string $body, int $timeout_ms ): bool {
		try {
			return $this->transport->start( $path, $body, $this->signed_headers( 'POST', $path, $body, 'application/json' )['headers'], $timeout_ms );
		} catch ( Bridge_Error $error ) {
			return false;
		}
	}

	/**
	 * The outcome of notify_start(): true on 2xx.
	 */
	public function notify_finish(): bool {
		$status = $this->transport->finish();
		return null !== $status && $status >= 200 && $status < 300;
	}

	/**
	 * One signed request and its verified reply.
	 *
	 * @param string $method       HTTP method.
	 * @param string $path         Path plus query, as sent.
	 * @param string $htu          The `htu` claim.
	 * @param string $body         Raw body.
	 * @param string $content_type Content-Type ('' for none).
	 * @throws Bridge_Error On failure.
	 */
	private function exchange( string $method, string $path, string $htu, string $body, string $content_type ): Reply {
		$sent = $this->send(
			$method,
			$path,
			$htu,
			$body,
			$content_type,
			max( 1, Contract::limit( 'sidecar_connect_timeout_seconds' ) ) * 1000,
			max( 1, Contract::limit( 'sidecar_timeout_seconds' ) ) * 1000
		);
		return Reply::verify( $sent['raw'], $sent['jti'] );
	}

	/**
	 * Signs and sends one request.
	 *
	 * @param string $method             HTTP method.
	 * @param string $path               Path plus query, as sent.
	 * @param string $htu                The `htu` claim.
	 * @param string $body               Raw body.
	 * @param string $content_type       Content-Type ('' for none).
	 * @param int    $connect_timeout_ms Connect timeout.
	 * @param int    $timeout_ms         Total timeout.
	 * @return array{raw:array{status:int,headers:array<string,string>,body:string},jti:string}
	 * @throws Bridge_Error On failure.
	 */
	private function send( string $method, string $path, string $htu, string $body, string $content_type, int $connect_timeout_ms, int $timeout_ms ): array {
		$signed = $this->signed_headers( $method, $htu, $body, $content_type );
		return array(
			'raw' => $this->transport->send( $method, $path, $body, $signed['headers'], $connect_timeout_ms, $timeout_ms ),
			'jti' => $signed['jti'],
		);
	}

	/**
	 * The headers of one signed request (a fresh request JWT) and its jti.
	 *
	 * @param string $method       HTTP method.
	 * @param string $htu          The `htu` claim.
	 * @param string $body         Raw body.
	 * @param string $content_type Content-Type ('' for none).
	 * @return array{headers:array<string,string>,jti:string}
	 * @throws Bridge_Error When the claims cannot be encoded.
	 */
	private function signed_headers( string $method, string $htu, string $body, string $content_type ): array {
		$jwt    = Contract::jwt();
		$keys   = Keys::current();
		$jti    = Jwt::new_jti();
		$now    = time();
		$claims = array(
			'iss' => (string) $jwt['shim']['iss'],
			'aud' => (string) $jwt['audiences']['sidecar'],
			'iat' => $now,
			'exp' => $now + (int) $jwt['max_ttl_seconds'],
			'jti' => $jti,
			'sid' => $this->sid,
			'htm' => $method,
			'htu' => $htu,
			'bh'  => Jwt::body_hash( $body ),
			'pv'  => Protocol::version(),
			'ctx' => $this->ctx,
		);
		try {
			$token = Jwt::sign( $claims, $keys['shim'], $keys['kid'] );
		} catch ( \JsonException $error ) {
			throw new Bridge_Error( 'BAD_REQUEST', 'The request could not be encoded for the sidecar.', null, array(), $error );
		}
		$headers = array(
			'Authorization' => 'Bearer ' . $token,
			'Accept'        => 'application/json',
			'X-Request-ID'  => (string) $this->ctx['request_id'],
		);
		if ( '' !== $content_type ) {
			$headers['Content-Type'] = $content_type;
		}
		return array(
			'headers' => $headers,
			'jti'     => $jti,
		);
	}


	/**
	 * Percent-encodes what may not appear raw in a URL path (plain routes are left byte-identical). `%` is encoded
	 * too, so the sidecar's decoded path is exactly the route: behind nginx + PHP-FPM (no PATH_INFO) WordPress takes
	 * the route from REQUEST_URI still percent-encoded (`/post-status/1%20OR…`), and it must not be decoded twice.
	 *
	 * @param string $route Route.
	 */
	private static function encode_path( string $route ): string {
		return (string) preg_replace_callback(
			'~[^A-Za-z0-9\-._\~!$&\'()*+,;=:@/]~',
			static function ( array $match ): string {
				return rawurlencode( $match[0] );
			},
			$route
		);
	}
}
