<?php
/**
 * Why a transport JWT was refused.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A refused token. `reason()` tells an unknown key id (a secret mismatch between the shim and the sidecar) apart
 * from every other failure (a bad or replayed token).
 */
final class Jwt_Error extends \RuntimeException {

	public const MALFORMED   = 'malformed';
	public const ALGORITHM   = 'algorithm';
	public const UNKNOWN_KID = 'unknown_kid';
	public const SIGNATURE   = 'signature';
	public const CLAIMS      = 'claims';
	public const REPLAY      = 'replay';

	/**
	 * Reason constant.
	 *
	 * @var string
	 */
	private string $reason;

	/**
	 * Constructor.
	 *
	 * @param string $reason  One of the reason constants.
	 * @param string $message Detail for logs (never contains the token or a key).
	 */
	public function __construct( string $reason, string $message ) {
		parent::__construct( $message );
		$this->reason = $reason;
	}

	/**
	 * Reason constant.
	 */
	public function reason(): string {
		return $this->reason;
	}
}
