<?php
/**
 * A warning entry of an operation result.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{code, message, field}`: something the operation did differently from what was asked, without failing.
 */
final class Warning {

	/**
	 * A warning entry.
	 *
	 * @param string $code    UPPER_SNAKE code.
	 * @param string $message Human message.
	 * @param string $field   Op field.
	 * @return array<string,string>
	 */
	public static function of( string $code, string $message, string $field ): array {
		return array(
			'code'    => $code,
			'message' => $message,
			'field'   => $field,
		);
	}
}
