<?php
/**
 * One operation of the bounded vocabulary.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * An operation the sidecar may ask for. check() validates the arguments against the operation's bounds without
 * touching anything; run() does the work and returns the result fields (the executor adds `ok` and `op`).
 * Both throw Bridge_Error; its code and message become the op's `{ok:false, error:{code,message}}`.
 */
interface Operation {

	/**
	 * Validates arguments (no side effects).
	 *
	 * @param array<string,mixed> $args Arguments (the op object without "op").
	 * @throws Bridge_Error When the arguments are outside the operation's bounds.
	 */
	public function check( array $args ): void;

	/**
	 * Runs the operation (arguments already checked).
	 *
	 * @param array<string,mixed> $args Arguments.
	 * @return array<string,mixed> Result fields.
	 * @throws Bridge_Error When the operation fails.
	 */
	public function run( array $args ): array;
}
