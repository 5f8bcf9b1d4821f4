<?php
/**
 * Verifies the JWT test vectors of the contract with the plugin's own Jwt and Keys classes (plain php-cli, no
 * WordPress): derived keys and kid, both tokens verify, re-signing header + claims reproduces each token byte
 * for byte, bh matches the body, and tampered, alg-swapped or unknown-kid tokens are refused.
 *
 * Usage: php plugin-php-shim/tests/contract-vectors.php   (exit status 0 = all passed)
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

define( 'ABSPATH', __DIR__ . '/' ); // The classes refuse to load outside WordPress without it.

require dirname( __DIR__ ) . '/includes/Autoloader.php';
Igny8\Bridge\Autoloader::register();

use Igny8\Bridge\Security\Jwt;
use Igny8\Bridge\Security\Jwt_Error;
use Igny8\Bridge\Security\Keys;

$passed = 0;
$failed = 0;

/**
 * Records one assertion.
 *
 * @param string $name Assertion name.
 * @param bool   $ok   Outcome.
 */
function check( string $name, bool $ok ): void {
	global $passed, $failed;
	if ( $ok ) {
		++$passed;
		echo "ok   {$name}\n";
	} else {
		++$failed;
		echo "FAIL {$name}\n";
	}
}

/**
 * Whether verifying a token fails with the given reason.
 *
 * @param string               $token  Token.
 * @param array<string,string> $keys   Keys by kid.
 * @param string               $reason Expected Jwt_Error reason.
 */
function refused( string $token, array $keys, string $reason ): bool {
	try {
		Jwt::verify( $token, $keys );
		return false;
	} catch ( Jwt_Error $error ) {
		return $error->reason() === $reason;
	}
}

$contract_file = dirname( __DIR__ ) . '/contract/igny8-contract.json';
// Objects stay objects, so `"params":{}` re-encodes as {} and the re-signed token can be byte-identical.
$contract = json_decode( (string) file_get_contents( $contract_file ), false, 64, JSON_THROW_ON_ERROR );
$tv       = $contract->jwt->test_vectors;

$derived = Keys::derive( $tv->secret, $tv->sid );
check( 'secret decodes to 32 bytes and derives keys', null !== $derived && 32 === strlen( (string) Jwt::base64url_decode( $tv->secret ) ) );
check( 'kid = first 16 hex of SHA-256(secret)', $derived && $derived['kid'] === $tv->kid );
check( 'k_shim = HMAC(secret, "shim->sidecar|" . sid)', $derived && bin2hex( $derived['shim'] ) === $tv->k_shim_hex );
check( 'k_sidecar = HMAC(secret, "sidecar->shim|" . sid)', $derived && bin2hex( $derived['sidecar'] ) === $tv->k_sidecar_hex );
$other_site = Keys::derive( $tv->secret, $tv->sid . 'x' );
check( 'another site id derives other keys under the same kid', $other_site && $derived && $other_site['kid'] === $derived['kid'] && $other_site['shim'] !== $derived['shim'] && $other_site['sidecar'] !== $derived['sidecar'] );

foreach ( $tv->vectors as $vector ) {
	$direction = $vector->direction;
	$key       = Keys::SHIM_TO_SIDECAR === $direction ? $derived['shim'] : $derived['sidecar'];
	$other     = Keys::SHIM_TO_SIDECAR === $direction ? $derived['sidecar'] : $derived['shim'];
	$keys      = array( $derived['kid'] => $key );

	check( "{$direction}: bh = base64url(SHA-256(body))", Jwt::body_hash( $vector->body ) === $vector->bh && $vector->claims->bh === $vector->bh );

	$header_json = json_encode( $vector->header, Jwt::JSON_FLAGS );
	check( "{$direction}: header is exactly alg, typ, kid", '{"alg":"HS256","typ":"JWT","kid":"' . $tv->kid . '"}' === $header_json );

	$resigned = Jwt::sign( $vector->claims, $key, $vector->header->kid );
	check( "{$direction}: re-signing header + claims reproduces the token", $resigned === $vector->token );

	try {
		$claims = Jwt::verify( $vector->token, $keys );
		$ok     = $claims === json_decode( (string) json_encode( $vector->claims ), true );
		Jwt::check_claims(
			$claims,
			array(
				'iss' => $vector->claims->iss,
				'aud' => $vector->claims->aud,
				'bh'  => Jwt::body_hash( $vector->body ),
			),
			(int) $vector->claims->iat + 5,
			(int) $contract->jwt->leeway_seconds,
			(int) $contract->jwt->max_ttl_seconds
		);
		check( "{$direction}: token verifies and its claims check", $ok );
	} catch ( Jwt_Error $error ) {
		check( "{$direction}: token verifies and its claims check ({$error->getMessage()})", false );
	}

	list( $h, $p, $s ) = explode( '.', $vector->token );
	$tampered_claims   = Jwt::base64url_encode( str_replace( '"iat":1767225600', '"iat":1767225601', (string) Jwt::base64url_decode( $p ) ) );
	$flipped_signature = substr( $s, 0, -2 ) . ( 'A' === $s[ strlen( $s ) - 2 ] ? 'B' : 'A' ) . substr( $s, -1 );
	$none_header       = Jwt::base64url_encode( '{"alg":"none","typ":"JWT","kid":"' . $tv->kid . '"}' );
	$hs512_header      = Jwt::base64url_encode( '{"alg":"HS512","typ":"JWT","kid":"' . $tv->kid . '"}' );

	check( "{$direction}: tampered claims are refused", refused( "{$h}.{$tampered_claims}.{$s}", $keys, Jwt_Error::SIGNATURE ) );
	check( "{$direction}: a flipped signature is refused", refused( "{$h}.{$p}.{$flipped_signature}", $keys, Jwt_Error::SIGNATURE ) );
	check( "{$direction}: the other direction's key does not verify", refused( $vector->token, array( $derived['kid'] => $other ), Jwt_Error::SIGNATURE ) );
	check( "{$direction}: alg none is refused before the signature", refused( "{$none_header}.{$p}.", $keys, Jwt_Error::MALFORMED ) && refused( "{$none_header}.{$p}.{$s}", $keys, Jwt_Error::ALGORITHM ) );
	check( "{$direction}: alg HS512 is refused", refused( "{$hs512_header}.{$p}.{$s}", $keys, Jwt_Error::ALGORITHM ) );
	check( "{$direction}: an unknown kid is reported as such", refused( $vector->token, array( '0000000000000000' => $key ), Jwt_Error::UNKNOWN_KID ) );

	$expired = false;
	try {
		Jwt::check_claims( Jwt::verify( $vector->token, $keys ), array(), (int) $vector->claims->exp + 31, 30, 60 );
	} catch ( Jwt_Error $error ) {
		$expired = Jwt_Error::CLAIMS === $error->reason();
	}
	check( "{$direction}: refused after exp + leeway", $expired );
}

// A token living longer than max_ttl is refused even when fresh.
$long = Jwt::sign(
	array(
		'iss' => 'igny8-sidecar',
		'iat' => 1000,
		'exp' => 1061,
		'jti' => '00112233445566778899aabbccddeeff',
	),
	$derived['sidecar'],
	$derived['kid']
);
$too_long = false;
try {
	Jwt::check_claims( Jwt::verify( $long, array( $derived['kid'] => $derived['sidecar'] ) ), array(), 1001, 30, 60 );
} catch ( Jwt_Error $error ) {
	$too_long = true;
}
check( 'exp - iat > 60 is refused', $too_long );
check( 'a secret shorter than 32 bytes is refused', ! Keys::valid_secret( Jwt::base64url_encode( random_bytes( 16 ) ) ) );

echo "\n{$passed} passed, {$failed} failed\n";
exit( 0 === $failed ? 0 : 1 );
