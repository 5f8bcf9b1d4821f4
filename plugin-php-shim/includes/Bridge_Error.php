<?php
/**
 * The one failure type: a contract error code plus a human message.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Thrown anywhere in the request path; the REST layer turns it into the unified error envelope with the HTTP
 * status the contract gives its code.
 */
class Bridge_Error extends \RuntimeException {

	/**
	 * Contract error code (UPPER_SNAKE).
	 *
	 * @var string
	 */
	private string $error_code;

	/**
	 * Offending input field, if any.
	 *
	 * @var string|null
	 */
	private ?string $field;

	/**
	 * Extra response headers (e.g. Retry-After).
	 *
	 * @var array<string,string>
	 */
	private array $headers;

	/**
	 * Extra, non-secret envelope members (e.g. key fingerprints).
	 *
	 * @var array<string,string|int|bool>
	 */
	private array $details = array();

	/**
	 * Constructor.
	 *
	 * @param string               $error_code Contract error code; an unknown code becomes INTERNAL_ERROR.
	 * @param string               $message    Human message, never containing a secret.
	 * @param string|null          $field      Offending input field.
	 * @param array<string,string> $headers    Extra response headers.
	 * @param \Throwable|null      $previous   Cause.
	 */
	public function __construct( string $error_code, string $message, ?string $field = null, array $headers = array(), ?\Throwable $previous = null ) {
		parent::__construct( $message, 0, $previous );
		$this->error_code = Contract::is_error_code( $error_code ) ? $error_code : 'INTERNAL_ERROR';
		$this->field      = $field;
		$this->headers    = $headers;
	}

	/**
	 * Contract error code.
	 */
	public function error_code(): string {
		return $this->error_code;
	}

	/**
	 * HTTP status from the contract.
	 */
	public function status(): int {
		return Contract::error_status( $this->error_code );
	}

	/**
	 * Offending input field.
	 */
	public function field(): ?string {
		return $this->field;
	}

	/**
	 * Extra response headers.
	 *
	 * @return array<string,string>
	 */
	public function headers(): array {
		return $this->headers;
	}

	/**
	 * Adds extra, non-secret envelope members.
	 *
	 * @param array<string,string|int|bool> $details Members.
	 */
	public function with_details( array $details ): self {
		$this->details = array_merge( $this->details, $details );
		return $this;
	}

	/**
	 * Extra envelope members.
	 *
	 * @return array<string,string|int|bool>
	 */
	public function details(): array {
		return $this->details;
	}

	/**
	 * The `{code, message}` pair used in operation results.
	 *
	 * @return array<string,string>
	 */
	public function to_operation_error(): array {
		$error = array(
			'code'    => $this->error_code,
			'message' => $this->getMessage(),
		);
		if ( null !== $this->field ) {
			$error['field'] = $this->field;
		}
		if ( $this->details ) {
			$error['details'] = $this->details;
		}
		return $error;
	}
}
