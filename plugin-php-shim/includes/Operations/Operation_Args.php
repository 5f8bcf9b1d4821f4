<?php
/**
 * Operation arguments against their JSON Schema in the contract.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every operation's arguments are a JSON Schema in the contract (`operation_args`). Core validates and sanitizes
 * them (`rest_validate_value_from_schema()` / `rest_sanitize_value_from_schema()`), so types, required fields,
 * unknown fields, lengths and ranges are declared once, next to the vocabulary, instead of checked by hand in each
 * operation. What depends on the site (allowed post types, contract meta keys, settings rules) stays in the
 * operation's own check().
 */
final class Operation_Args {

	/**
	 * The arguments, validated and sanitized (numeric strings become integers, and so on).
	 *
	 * @param string              $name Operation name.
	 * @param array<string,mixed> $args Arguments as decoded from JSON.
	 * @return array<string,mixed>
	 * @throws Bridge_Error OPERATION_REFUSED naming the argument, or when the contract has no schema for the op.
	 */
	public static function checked( string $name, array $args ): array {
		$schema = Contract::get()['operation_args'][ $name ] ?? null;
		if ( ! is_array( $schema ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "The contract has no argument schema for {$name}." );
		}
		$valid = rest_validate_value_from_schema( $args, $schema, $name );
		if ( is_wp_error( $valid ) ) {
			$message = (string) $valid->get_error_message();
			$field   = self::field( $name, $message );
			if ( 'rest_additional_properties_forbidden' === $valid->get_error_code() ) {
				// Core names the property but not where it is.
				$field   = self::unknown_property( $args, $schema, (string) $field ) ?? $field;
				$message = "{$field} is not an argument of {$name}.";
			}
			throw new Bridge_Error( 'OPERATION_REFUSED', self::readable( $name, $message ), $field );
		}
		$sanitized = rest_sanitize_value_from_schema( $args, $schema, $name );
		return is_array( $sanitized ) ? $sanitized : array();
	}

	/**
	 * The argument a core validation message is about, dotted (`post.post_title`); null for the op as a whole.
	 *
	 * @param string $name    Operation name (the `param` core was given).
	 * @param string $message Core's message.
	 */
	private static function field( string $name, string $message ): ?string {
		if ( preg_match( '/^(\S+) is a required property of (\S+)\.$/', $message, $match ) ) {
			$parent = self::dotted( $name, $match[2] );
			return ( null === $parent ? '' : $parent . '.' ) . $match[1];
		}
		if ( preg_match( '/^(\S+) is not a valid property of Object\.$/', $message, $match ) ) {
			return $match[1];
		}
		if ( preg_match( '/^' . preg_quote( $name, '/' ) . '(\[[^\s]*\])/', $message, $match ) ) {
			return self::dotted( $name, $name . $match[1] );
		}
		return null;
	}

	/**
	 * Where a property the schema forbids sits in the value, dotted (`post.ID`); null when it is not found.
	 *
	 * @param mixed               $value    Value.
	 * @param array<string,mixed> $schema   Its schema.
	 * @param string              $property The property core named.
	 * @param string              $path     Path of the value so far.
	 */
	private static function unknown_property( $value, array $schema, string $property, string $path = '' ): ?string {
		if ( ! is_array( $value ) ) {
			return null;
		}
		$properties = (array) ( $schema['properties'] ?? array() );
		if ( false === ( $schema['additionalProperties'] ?? true ) && array_key_exists( $property, $value ) && ! isset( $properties[ $property ] ) ) {
			return ltrim( "{$path}.{$property}", '.' );
		}
		foreach ( $value as $key => $child ) {
			$child_schema = $properties[ $key ] ?? ( is_array( $schema['additionalProperties'] ?? null ) ? $schema['additionalProperties'] : ( $schema['items'] ?? null ) );
			$found        = is_array( $child_schema ) ? self::unknown_property( $child, $child_schema, $property, ltrim( "{$path}.{$key}", '.' ) ) : null;
			if ( null !== $found ) {
				return $found;
			}
		}
		return null;
	}

	/**
	 * `upsert_post[post][post_title]` → `post.post_title`; the bare op name → null.
	 *
	 * @param string $name  Operation name.
	 * @param string $param Core's param path.
	 */
	private static function dotted( string $name, string $param ): ?string {
		$inner = substr( $param, strlen( $name ) );
		if ( '' === $inner || 0 !== strpos( $param, $name ) ) {
			return null;
		}
		return str_replace( '][', '.', trim( $inner, '[]' ) );
	}

	/**
	 * Core's message with its bracketed paths in the dotted form the rest of the API uses.
	 *
	 * @param string $name    Operation name.
	 * @param string $message Core's message.
	 */
	private static function readable( string $name, string $message ): string {
		return (string) preg_replace_callback(
			'/' . preg_quote( $name, '/' ) . '((?:\[[^\]\s]*\])+)/',
			static function ( array $match ) use ( $name ): string {
				return (string) self::dotted( $name, $name . $match[1] );
			},
			$message
		);
	}
}
