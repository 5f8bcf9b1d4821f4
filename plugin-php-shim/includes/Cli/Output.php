<?php
/**
 * Shapes route answers into WP-CLI rows.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Cli;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Generic: the rows carry whatever fields the sidecar answered (the shim knows no IGNY8 field).
 */
final class Output {

	/**
	 * Nested objects as dotted names; lists and scalars as text.
	 *
	 * @param array<string,mixed> $data   Object.
	 * @param string              $prefix Name prefix.
	 * @return array<string,string>
	 */
	public static function flatten( array $data, string $prefix = '' ): array {
		$out = array();
		foreach ( $data as $key => $value ) {
			$name = $prefix . $key;
			if ( is_array( $value ) && array() !== $value && ! wp_is_numeric_array( $value ) ) {
				$out += self::flatten( $value, $name . '.' );
				continue;
			}
			$out[ $name ] = self::text( $value );
		}
		return $out;
	}

	/**
	 * One row: scalar fields as text (nested values as JSON).
	 *
	 * @param array<string,mixed> $data Object.
	 * @return array<string,string>
	 */
	public static function row( array $data ): array {
		return array_map( array( self::class, 'text' ), $data );
	}

	/**
	 * The union of the rows' field names, in first-seen order.
	 *
	 * @param array<int,array<string,string>> $rows Rows.
	 * @return string[]
	 */
	public static function columns( array $rows ): array {
		$columns = array();
		foreach ( $rows as $row ) {
			foreach ( array_keys( $row ) as $name ) {
				$columns[ $name ] = true;
			}
		}
		return array_keys( $columns );
	}

	/**
	 * A value as text.
	 *
	 * @param mixed $value Value.
	 */
	public static function text( $value ): string {
		if ( null === $value ) {
			return '';
		}
		if ( is_bool( $value ) ) {
			return $value ? 'true' : 'false';
		}
		if ( is_scalar( $value ) ) {
			return (string) $value;
		}
		return (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}
}
