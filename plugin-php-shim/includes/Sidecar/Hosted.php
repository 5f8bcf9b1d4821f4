<?php
/**
 * A hosted sidecar (issue #16 §2, §5): one sidecar deployment, run by IGNY8 or an agency, serving many sites.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Sidecar;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Enrolment: the administrator pastes the hosted sidecar's URL and the single-use code its operator issued for this
 * site's address. The shim generates a fresh secret and registers it, with its site id and address, in one call to
 * the sidecar's enrolment route (https with certificate verification, against IGNY8_SIDECAR_CA_BUNDLE when
 * wp-config names a private CA; plain http only where Transport allows it: loopback, or the named development host).
 * A certificate that does not verify is SIDECAR_TLS_FAILED and nothing is sent. Only after the sidecar accepted does the site switch to the new secret
 * and the hosted URL (option `igny8_sidecar_hosted`), so a refused code changes nothing.
 *
 * A sidecar URL fixed in wp-config.php (IGNY8_SIDECAR_URL) or the environment wins over the hosted one, and a secret
 * fixed there (IGNY8_SIDECAR_SECRET) cannot be replaced: enrolment is refused in both cases.
 */
final class Hosted {

	public const OPTION = 'igny8_sidecar_hosted';

	private const CONNECT_TIMEOUT_MS = 5000;

	private const TIMEOUT_MS = 15000;

	/**
	 * The hosted sidecar this site enrolled on: url, key id, enrolment time; null when it runs its own sidecar.
	 *
	 * @return array{url:string,key_id:string,enrolled_at:int}|null
	 */
	public static function current(): ?array {
		$stored = get_option( self::OPTION );
		if ( ! is_array( $stored ) || ! is_string( $stored['url'] ?? null ) || '' === $stored['url'] ) {
			return null;
		}
		return array(
			'url'         => (string) $stored['url'],
			'key_id'      => (string) ( $stored['key_id'] ?? '' ),
			'enrolled_at' => (int) ( $stored['enrolled_at'] ?? 0 ),
		);
	}

	/**
	 * The hosted sidecar's URL, or null.
	 */
	public static function url(): ?string {
		$current = self::current();
		return null === $current ? null : $current['url'];
	}

	/**
	 * Whether wp-config.php or the environment names the sidecar URL (it wins over the hosted one).
	 */
	public static function url_fixed_elsewhere(): bool {
		return ( defined( 'IGNY8_SIDECAR_URL' ) && is_string( IGNY8_SIDECAR_URL ) && '' !== IGNY8_SIDECAR_URL )
			|| ( is_string( getenv( 'IGNY8_SIDECAR_URL' ) ) && '' !== getenv( 'IGNY8_SIDECAR_URL' ) );
	}

	/**
	 * Registers this site on the hosted sidecar at `$url` with `$code`, then adopts the new secret and URL.
	 *
	 * @param string $url  The hosted sidecar's base URL.
	 * @param string $code The enrolment code.
	 * @return array{url:string,key_id:string,enrolled_at:int}
	 * @throws Bridge_Error CONFLICT (URL or secret fixed in wp-config), BAD_REQUEST, ENROLMENT_REFUSED,
	 *                      SIDECAR_UNAVAILABLE, SIDECAR_TLS_FAILED, SIDECAR_BAD_RESPONSE.
	 */
	public static function enrol( string $url, string $code ): array {
		if ( self::url_fixed_elsewhere() ) {
			throw new Bridge_Error( 'CONFLICT', 'IGNY8_SIDECAR_URL is set in wp-config.php or the environment: remove it to use a hosted sidecar.' );
		}
		if ( Keys::from_constant() ) {
			throw new Bridge_Error( 'CONFLICT', 'The secret is set by IGNY8_SIDECAR_SECRET in wp-config.php: remove it to enrol on a hosted sidecar (enrolment registers a new secret).' );
		}
		$code = trim( $code );
		if ( '' === $code || strlen( $code ) > 200 || ! preg_match( '/^[A-Za-z0-9_-]+$/', $code ) ) {
			throw new Bridge_Error( 'BAD_REQUEST', 'Paste the enrolment code exactly as the sidecar operator gave it.', 'code' );
		}
		try {
			$transport = Transport::for_url( trim( $url ), wp_get_environment_type(), Transport::constant( 'IGNY8_SIDECAR_HTTP_HOST' ), Transport::constant( 'IGNY8_SIDECAR_CA_BUNDLE' ) );
		} catch ( Bridge_Error $error ) {
			throw new Bridge_Error( 'BAD_REQUEST', $error->getMessage(), 'url' );
		}

		$secret = Keys::generate_secret();
		$keys   = Keys::derive( $secret, Site_Id::current() );
		if ( null === $keys ) {
			throw new Bridge_Error( 'INTERNAL_ERROR', 'A new secret could not be generated.' );
		}
		$body = (string) wp_json_encode(
			array(
				'code'    => $code,
				'site_id' => Site_Id::current(),
				'wp_url'  => untrailingslashit( home_url() ),
				'secret'  => $secret,
				'key_id'  => $keys['kid'],
			)
		);
		$raw   = $transport->send(
			'POST',
			Contract::sidecar_path( 'enrol' ),
			$body,
			array(
				'Content-Type' => 'application/json',
				'Accept'       => 'application/json',
			),
			self::CONNECT_TIMEOUT_MS,
			self::TIMEOUT_MS
		);
		$reply = json_decode( $raw['body'], true, 8 );
		if ( 201 !== $raw['status'] || ! is_array( $reply ) || true !== ( $reply['success'] ?? null ) || ( $reply['data']['key_id'] ?? null ) !== $keys['kid'] ) {
			if ( is_array( $reply ) && 'ENROLMENT_REFUSED' === ( $reply['code'] ?? null ) ) {
				throw new Bridge_Error( 'ENROLMENT_REFUSED', self::message_of( $reply, 'The sidecar refused the enrolment code.' ) );
			}
			if ( is_array( $reply ) && 'BAD_REQUEST' === ( $reply['code'] ?? null ) ) {
				throw new Bridge_Error( 'BAD_REQUEST', self::message_of( $reply, 'The sidecar refused the registration.' ) );
			}
			throw new Bridge_Error( 'SIDECAR_BAD_RESPONSE', sprintf( 'Something answers at %s but it did not enrol this site (HTTP %d). Is it a hosted IGNY8 sidecar?', $transport->base_url(), $raw['status'] ) );
		}

		Keys::adopt( $secret );
		$hosted = array(
			'url'         => $transport->base_url(),
			'key_id'      => $keys['kid'],
			'enrolled_at' => time(),
		);
		update_option( self::OPTION, $hosted, 'yes' );
		return $hosted;
	}

	/**
	 * Rotation of a hosted site's secret: one request to the sidecar's rotate route, signed with the current secret
	 * and carrying a fresh one; the sidecar's reply is signed with the current one as well, and only after it
	 * confirmed the new key id does the site switch to the new secret.
	 *
	 * @param string $request_id The admin request's id, carried to the sidecar.
	 * @return string The new key id.
	 * @throws Bridge_Error CONFLICT when the site is not enrolled on a hosted sidecar (or wp-config fixes the
	 *                      secret), any sidecar error otherwise (the site keeps its secret).
	 */
	public static function rotate( string $request_id ): string {
		$hosted = self::current();
		if ( null === $hosted || self::url_fixed_elsewhere() || Keys::from_constant() ) {
			throw new Bridge_Error( 'CONFLICT', 'This site is not enrolled on a hosted sidecar.' );
		}
		$secret = Keys::generate_secret();
		$keys   = Keys::derive( $secret, Site_Id::current() );
		if ( null === $keys ) {
			throw new Bridge_Error( 'INTERNAL_ERROR', 'A new secret could not be generated.' );
		}
		$path  = Contract::sidecar_path( 'rotate' );
		$ctx   = Context::build( new \WP_REST_Request( 'POST', $path ), 'sidecar_rotate', $request_id );
		$body  = (string) wp_json_encode(
			array(
				'secret' => $secret,
				'key_id' => $keys['kid'],
			)
		);
		$reply = Client::for_context( $ctx )->proxy( 'POST', $path, '', $body, 'application/json' );
		$data  = is_array( $reply['body'] ) ? $reply['body'] : json_decode( (string) wp_json_encode( $reply['body'] ), true );
		if ( 200 !== $reply['status'] || ! is_array( $data ) || ( $data['data']['key_id'] ?? null ) !== $keys['kid'] ) {
			$message = is_array( $data ) && is_string( $data['error'] ?? null ) ? sanitize_text_field( $data['error'] ) : 'The hosted sidecar did not confirm the new secret.';
			throw new Bridge_Error( is_array( $data ) && is_string( $data['code'] ?? null ) ? (string) $data['code'] : 'SIDECAR_BAD_RESPONSE', substr( $message, 0, 300 ) );
		}
		Keys::adopt( $secret );
		$hosted['key_id'] = $keys['kid'];
		update_option( self::OPTION, $hosted, 'yes' );
		return $keys['kid'];
	}

	/**
	 * The sidecar's message, as plain text of bounded length.
	 *
	 * @param array<string,mixed> $reply    Decoded error envelope.
	 * @param string              $fallback When the reply has none.
	 */
	private static function message_of( array $reply, string $fallback ): string {
		$message = is_string( $reply['error'] ?? null ) ? sanitize_text_field( $reply['error'] ) : '';
		return '' === $message ? $fallback : substr( $message, 0, 300 );
	}
}
