<?php
/**
 * A verified sidecar reply.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Jwt_Error;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{"kind":"respond","status","body"}` or `{"kind":"execute","ops","state"}`, only ever built from a reply whose
 * X-IGNY8-Signature verified first: iss igny8-sidecar, aud igny8-shim, `req` = the jti we sent, `bh` = hash of
 * the raw reply bytes, fresh. Nothing in an unverified body is acted upon.
 *
 * Replay: a reply is valid only for the request whose jti it names (`req`), and that jti is 128 random bits this
 * process made for one exchange and never sends again; each request takes at most one reply (`$answered`). So a
 * recorded reply cannot be played to another request, and no jti table write is needed here: that write (an
 * INSERT with its commit, on SQLite an fsync) was most of the proxy's own time on every proxied call. The
 * internal route, which takes requests from outside, keeps its replay cache (Rest\Internal_Controller).
 */
final class Reply {

	public const KIND_RESPOND = 'respond';

	public const KIND_EXECUTE = 'execute';

	private const MAX_JSON_DEPTH = 128;

	/**
	 * Reply kind.
	 *
	 * @var string
	 */
	public string $kind;

	/**
	 * HTTP status to answer with (respond).
	 *
	 * @var int
	 */
	public int $status = 0;

	/**
	 * Body to answer with (respond), decoded with JSON objects kept as objects so `{}` stays `{}`.
	 *
	 * @var mixed
	 */
	public $body = null;

	/**
	 * Operations to run (execute), decoded as arrays.
	 *
	 * @var array<int,mixed>
	 */
	public array $ops = array();

	/**
	 * Opaque state to send back on continue (objects kept as objects).
	 *
	 * @var mixed
	 */
	public $state = null;

	/**
	 * Constructor.
	 *
	 * @param string $kind Reply kind.
	 */
	private function __construct( string $kind ) {
		$this->kind = $kind;
	}

	/**
	 * Request jtis that already took their reply, in this process.
	 *
	 * @var array<string,true>
	 */
	private static array $answered = array();

	/**
	 * Verifies and parses a raw reply.
	 *
	 * @param array{status:int,headers:array<string,string>,body:string} $raw          Transport reply.
	 * @param string                                                     $request_jti  The jti we sent.
	 * @throws Bridge_Error SIDECAR_BAD_RESPONSE, or SIDECAR_AUTH_MISMATCH when the secrets differ.
	 */
	public static function verify( array $raw, string $request_jti ): self {
		$jwt   = Contract::jwt();
		$body  = $raw['body'];
		$token = (string) ( $raw['headers'][ strtolower( (string) $jwt['header'] ) ] ?? '' );
		try {
			if ( '' === $token ) {
				throw new Jwt_Error( Jwt_Error::MALFORMED, 'reply is not signed' );
			}
			$claims = Jwt::verify( $token, Keys::sidecar_verification_keys() );
			Jwt::check_claims(
				$claims,
				array(
					'iss' => (string) $jwt['sidecar']['iss'],
					'aud' => (string) $jwt['audiences']['shim'],
					'req' => $request_jti,
					// This site's id: on a network sharing one secret, a reply minted for another site is refused.
					'sid' => Site_Id::current(),
					'bh'  => Jwt::body_hash( $body ),
				),
				time(),
				(int) $jwt['leeway_seconds'],
				(int) $jwt['max_ttl_seconds']
			);
			if ( isset( self::$answered[ $request_jti ] ) ) {
				throw new Jwt_Error( Jwt_Error::REPLAY, 'this request already took a reply' );
			}
			self::$answered[ $request_jti ] = true;
		} catch ( Jwt_Error $error ) {
			if ( Jwt_Error::UNKNOWN_KID === $error->reason() || self::says_auth_mismatch( $body ) ) {
				throw self::auth_mismatch( $body, $token );
			}
			$mismatch = Protocol::mismatch_from_refusal( $body );
			if ( null !== $mismatch ) {
				throw $mismatch;
			}
			self::log( 'refused a sidecar reply: ' . $error->getMessage() . ' (HTTP ' . $raw['status'] . ')' );
			throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar sent a reply that failed verification.' );
		}
		Protocol::check( $claims );
		return self::parse( $body );
	}

	/**
	 * Parses a verified body.
	 *
	 * @param string $body Raw JSON.
	 * @throws Bridge_Error SIDECAR_BAD_RESPONSE.
	 */
	private static function parse( string $body ): self {
		$data    = json_decode( $body, true, self::MAX_JSON_DEPTH );
		$objects = json_decode( $body, false, self::MAX_JSON_DEPTH );
		if ( ! is_array( $data ) || ! $objects instanceof \stdClass ) {
			throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar reply is not a JSON object.' );
		}
		$kind = $data['kind'] ?? null;
		if ( self::KIND_RESPOND === $kind ) {
			$status = $data['status'] ?? null;
			if ( ! is_int( $status ) || $status < 200 || $status > 599 || ! property_exists( $objects, 'body' ) || ! ( $objects->body instanceof \stdClass || is_array( $objects->body ) ) ) {
				throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar sent a malformed respond reply.' );
			}
			$reply         = new self( self::KIND_RESPOND );
			$reply->status = $status;
			$reply->body   = $objects->body;
			return $reply;
		}
		if ( self::KIND_EXECUTE === $kind ) {
			$ops = $data['ops'] ?? null;
			if ( ! is_array( $ops ) || ( $ops && array_keys( $ops ) !== range( 0, count( $ops ) - 1 ) ) ) {
				throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar sent a malformed execute reply.' );
			}
			$reply        = new self( self::KIND_EXECUTE );
			$reply->ops   = $ops;
			$reply->state = $objects->state ?? null;
			return $reply;
		}
		throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', 'The IGNY8 sidecar reply has an unknown kind.' );
	}

	/**
	 * The 503 for a secret mismatch, with both key fingerprints (public values) for the settings screen.
	 *
	 * @param string $body  Raw (unverified) reply body.
	 * @param string $token Reply token, if any.
	 */
	private static function auth_mismatch( string $body, string $token ): Bridge_Error {
		$error   = new Bridge_Error( 'SIDECAR_AUTH_MISMATCH', 'WordPress and the IGNY8 sidecar do not share the same secret; compare the key fingerprints in the IGNY8 settings.' );
		$details = array();
		$shim    = Keys::fingerprint();
		if ( null !== $shim ) {
			$details['shim_kid'] = $shim;
		}
		// The sidecar's fingerprint comes from an unverified body or header: used only if it is 16 hex digits.
		$data    = json_decode( $body, true, 8 );
		$sidecar = is_array( $data ) ? ( $data['sidecar_kid'] ?? null ) : null;
		if ( null === $sidecar && '' !== $token ) {
			$header  = json_decode( (string) Jwt::base64url_decode( explode( '.', $token )[0] ), true, 4 );
			$sidecar = is_array( $header ) ? ( $header['kid'] ?? null ) : null;
		}
		if ( is_string( $sidecar ) && preg_match( '/^[0-9a-f]{16}$/', $sidecar ) ) {
			$details['sidecar_kid'] = $sidecar;
		}
		return $error->with_details( $details );
	}

	/**
	 * Whether an (unverified) body is the sidecar's "cannot verify your JWT: unknown key" envelope. Only the code
	 * is used, to choose our own 503 envelope; nothing else from the body is trusted.
	 *
	 * @param string $body Raw body.
	 */
	private static function says_auth_mismatch( string $body ): bool {
		$data = json_decode( $body, true, 8 );
		if ( ! is_array( $data ) ) {
			return false;
		}
		$code = $data['code'] ?? ( is_array( $data['body'] ?? null ) ? ( $data['body']['code'] ?? null ) : null );
		return 'SIDECAR_AUTH_MISMATCH' === $code;
	}

	/**
	 * Logs a transport problem for the site owner (with WP_DEBUG on). Never logs tokens or bodies.
	 *
	 * @param string $message Message.
	 */
	public static function log( string $message ): void {
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
			error_log( 'IGNY8 Bridge: ' . $message ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		}
	}
}
