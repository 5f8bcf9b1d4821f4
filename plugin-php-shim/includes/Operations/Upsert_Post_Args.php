<?php
/**
 * The argument checks of `upsert_post`: the contract's bounds and WordPress's rules, before anything is written.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The site-dependent checks of an `upsert_post` op (its shape, types and lengths are the contract's argument schema,
 * checked before: Operation_Args), and the meta values normalised for the writer.
 */
final class Upsert_Post_Args {

	private const MAX_TEXT_BYTES = 65535;

	/**
	 * Validates the whole op.
	 *
	 * @param array<string,mixed> $args Operation arguments.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function check( array $args ): void {
		$content_id = (int) $args['content_id'];
		$post_type  = $args['post_type'] ?? null;
		if ( ! is_string( $post_type ) || ! in_array( $post_type, Settings::allowed_post_types(), true ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post_type must be one of the allowed post types: ' . implode( ', ', Settings::allowed_post_types() ) . '.', 'post_type' );
		}
		self::check_post( (array) $args['post'] );

		$meta      = (array) $args['meta'];
		$match_key = (string) Contract::meta( 'match_key' );
		foreach ( $meta as $key => $value ) {
			self::meta_value( (string) $key, $value );
		}
		if ( ! array_key_exists( $match_key, $meta ) || (string) $content_id !== self::meta_value( $match_key, $meta[ $match_key ] ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "meta.{$match_key} must equal content_id.", "meta.{$match_key}" );
		}

		if ( isset( $args['terms'] ) ) {
			foreach ( (array) $args['terms'] as $taxonomy => $items ) {
				if ( ! in_array( $taxonomy, Contract::writable_taxonomies(), true ) || ! taxonomy_exists( (string) $taxonomy ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', 'terms may only name: ' . implode( ', ', Contract::writable_taxonomies() ) . '.', "terms.{$taxonomy}" );
				}
				Term_Resolver::check_items( (string) $taxonomy, (array) $items );
			}
		}
		if ( isset( $args['seo_rows'] ) ) {
			Seo_Table_Writer::check( (array) $args['seo_rows'] );
		}

		$images = ( isset( $args['featured_image'] ) ? 1 : 0 ) + count( (array) ( $args['gallery'] ?? array() ) );
		$limit  = Contract::limit( 'max_images_per_request' );
		if ( $images > $limit ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "At most {$limit} images per request.", 'gallery' );
		}
	}

	/**
	 * Validates the op's post fields.
	 *
	 * @param array<string,mixed> $post Post fields.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	private static function check_post( array $post ): void {
		if ( '' === trim( (string) $post['post_title'] ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_title must not be empty.', 'post.post_title' );
		}
		$content = $post['post_content'] ?? null;
		if ( ! is_string( $content ) || strlen( $content ) > max( Contract::limit( 'max_body_bytes' ), self::MAX_TEXT_BYTES ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_content must be a string within the body size limit.', 'post.post_content' );
		}
		$excerpt = $post['post_excerpt'] ?? null;
		if ( null !== $excerpt && ( ! is_string( $excerpt ) || strlen( $excerpt ) > self::MAX_TEXT_BYTES ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_excerpt must be a string of at most ' . self::MAX_TEXT_BYTES . ' bytes.', 'post.post_excerpt' );
		}
		$statuses = (array) ( Contract::status_maps()['wp_statuses'] ?? array() );
		$status   = $post['post_status'] ?? null;
		if ( ! is_string( $status ) || ! in_array( $status, $statuses, true ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_status must be one of: ' . implode( ', ', $statuses ) . '.', 'post.post_status' );
		}
		$date = $post['post_date_gmt'] ?? null;
		if ( null !== $date ) {
			$parsed = is_string( $date ) ? \DateTimeImmutable::createFromFormat( '!Y-m-d H:i:s', $date, new \DateTimeZone( 'UTC' ) ) : false;
			if ( false === $parsed || $parsed->format( 'Y-m-d H:i:s' ) !== $date || (int) $parsed->format( 'Y' ) < 1971 ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_date_gmt must be a "Y-m-d H:i:s" GMT date.', 'post.post_date_gmt' );
			}
		}
		if ( 'future' === $status && null === $date ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_status "future" needs post.post_date_gmt.', 'post.post_date_gmt' );
		}
		$email = $post['author_email'] ?? null;
		if ( null !== $email && ( ! is_string( $email ) || strlen( $email ) > 254 || ( '' !== trim( $email ) && false === is_email( trim( $email ) ) ) ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.author_email must be an email address.', 'post.author_email' );
		}
	}

	/**
	 * Validates one meta entry and returns the value to store (unslashed), or null to delete the key.
	 * Contract keys only, never attachment keys; integer keys take integers; `json` keys take valid JSON (stored
	 * as sent); other strings go through sanitize_text_field.
	 *
	 * @param string $key   Meta key.
	 * @param mixed  $value Value as decoded.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	public static function meta_value( string $key, $value ): ?string {
		$flags = Contract::post_meta()[ $key ] ?? null;
		$field = "meta.{$key}";
		if ( null === $flags || ! empty( $flags['attachment'] ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "{$key} is not a post meta key of the contract.", $field );
		}
		if ( null === $value ) {
			return null;
		}
		if ( ! is_scalar( $value ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "{$field} must be a string, a number, a boolean or null.", $field );
		}
		if ( is_bool( $value ) ) {
			$value = $value ? '1' : '0';
		}
		$value = (string) $value;
		if ( strlen( $value ) > self::MAX_TEXT_BYTES ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "{$field} is longer than " . self::MAX_TEXT_BYTES . ' bytes.', $field );
		}
		if ( ! empty( $flags['json'] ) ) {
			json_decode( $value, false, 64 );
			if ( JSON_ERROR_NONE !== json_last_error() ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$field} must be valid JSON.", $field );
			}
			return $value;
		}
		if ( 'integer' === ( $flags['type'] ?? '' ) ) {
			if ( ! preg_match( '/^-?\d{1,18}$/', $value ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$field} must be an integer.", $field );
			}
			return (string) (int) $value;
		}
		return sanitize_text_field( $value );
	}
}
