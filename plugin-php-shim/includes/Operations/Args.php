<?php
/**
 * Argument checks shared by the operations.
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
 * Typed reads of operation arguments. An argument outside its bounds is the sidecar's mistake, so it refuses
 * the operation (OPERATION_REFUSED with the argument as `field`).
 */
final class Args {

	/**
	 * An integer argument within [min, max]; $default when absent (required when $default is null).
	 *
	 * @param array<string,mixed> $args    Arguments.
	 * @param string              $name    Argument name.
	 * @param int|null            $default Default, or null when required.
	 * @param int                 $min     Smallest allowed value.
	 * @param int                 $max     Largest allowed value.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function int( array $args, string $name, ?int $default, int $min, int $max ): int {
		$value = $args[ $name ] ?? null;
		if ( null === $value ) {
			if ( null === $default ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "The argument {$name} is required.", $name );
			}
			return $default;
		}
		if ( is_string( $value ) && preg_match( '/^-?\d{1,18}$/', $value ) ) {
			$value = (int) $value;
		}
		if ( ! is_int( $value ) || $value < $min || $value > $max ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "The argument {$name} must be an integer from {$min} to {$max}.", $name );
		}
		return $value;
	}

	/**
	 * A post id argument (required, positive).
	 *
	 * @param array<string,mixed> $args Arguments.
	 * @param string              $name Argument name.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function post_id( array $args, string $name = 'post_id' ): int {
		return self::int( $args, $name, null, 1, PHP_INT_MAX );
	}

	/**
	 * A string or integer argument, as a string of at most $max_length characters; null when absent.
	 *
	 * @param array<string,mixed> $args       Arguments.
	 * @param string              $name       Argument name.
	 * @param int                 $max_length Longest allowed string.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function optional_scalar_string( array $args, string $name, int $max_length ): ?string {
		$value = $args[ $name ] ?? null;
		if ( null === $value ) {
			return null;
		}
		if ( is_int( $value ) ) {
			$value = (string) $value;
		}
		if ( ! is_string( $value ) || strlen( $value ) > $max_length ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "The argument {$name} must be a string or an integer.", $name );
		}
		return $value;
	}

	/**
	 * An object argument (decoded as an associative array; `{}` decodes to an empty array).
	 *
	 * @param array<string,mixed> $args Arguments.
	 * @param string              $name Argument name.
	 * @return array<string,mixed>
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function map( array $args, string $name ): array {
		$value = $args[ $name ] ?? null;
		if ( ! is_array( $value ) || ( $value && array_keys( $value ) === range( 0, count( $value ) - 1 ) ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "The argument {$name} must be an object.", $name );
		}
		return $value;
	}
}
