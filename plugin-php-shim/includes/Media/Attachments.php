<?php
/**
 * Attachments made from fetched images.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Media;

use Igny8\Bridge\Contract;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Turns downloaded temp files into attachments with media_handle_sideload(), remembers each attachment's source
 * URL in the contract's attachment meta key (`_igny8_image_source_url`) so the same URL is reused instead of
 * downloaded again, and keeps the list of files it created: files are not transactional, so after a rollback
 * the caller asks for them to be deleted.
 */
final class Attachments {

	private const MAX_TEXT_LENGTH = 1000;

	/**
	 * Attachments created by this instance: id => [file, metadata].
	 *
	 * @var array<int,array{0:string,1:array<string,mixed>}>
	 */
	private array $created = array();

	/**
	 * The attachment meta key holding the source URL (the contract key flagged `attachment`).
	 */
	public static function source_meta_key(): string {
		foreach ( Contract::post_meta() as $key => $flags ) {
			if ( ! empty( $flags['attachment'] ) ) {
				return (string) $key;
			}
		}
		return Contract::meta_key( 'image_source_url' );
	}

	/**
	 * The oldest attachment sideloaded from exactly this URL, or 0.
	 *
	 * @param string $url Source URL as sent.
	 */
	public static function find_by_source_url( string $url ): int {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- must see committed rows of other requests, not a cache.
		$id = $wpdb->get_var(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p INNER JOIN {$wpdb->postmeta} m ON m.post_id = p.ID
				WHERE p.post_type = 'attachment' AND m.meta_key = %s AND m.meta_value = %s ORDER BY p.ID ASC LIMIT 1",
				self::source_meta_key(),
				$url
			)
		);
		return (int) $id;
	}

	/**
	 * Creates an attachment from a downloaded image, attached to $post_id.
	 *
	 * @param array<string,mixed> $image      Image_Fetcher::fetch() result (its temp file is moved or deleted).
	 * @param int                 $post_id    Parent post.
	 * @param string              $source_url Source URL as sent (the reuse key).
	 * @param string|null         $alt        Alt text.
	 * @param string|null         $caption    Caption.
	 * @return int Attachment id.
	 * @throws \RuntimeException When WordPress refuses the file.
	 */
	public function sideload( array $image, int $post_id, string $source_url, ?string $alt, ?string $caption ): int {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		require_once ABSPATH . 'wp-admin/includes/media.php';
		require_once ABSPATH . 'wp-admin/includes/image.php';

		$file_array = array(
			'name'     => (string) $image['name'],
			'tmp_name' => (string) $image['path'],
		);
		$title      = (string) preg_replace( '/\.[a-z0-9]+$/i', '', (string) $image['name'] );
		$post_data  = array(
			// media_handle_sideload() would take title and content from the file's IPTC data: set them ourselves.
			'post_title'   => wp_slash( sanitize_text_field( '' !== (string) $alt ? (string) $alt : $title ) ),
			'post_content' => '',
			'post_excerpt' => wp_slash( self::text( $caption ) ),
		);
		$id         = media_handle_sideload( $file_array, $post_id, null, $post_data );
		if ( is_wp_error( $id ) ) {
			if ( is_file( (string) $image['path'] ) ) {
				wp_delete_file( (string) $image['path'] );
			}
			throw new \RuntimeException( 'WordPress refused the image: ' . $id->get_error_message() );
		}
		$id = (int) $id;
		$this->remember( $id );
		update_post_meta( $id, self::source_meta_key(), wp_slash( $source_url ) );
		if ( null !== $alt ) {
			update_post_meta( $id, '_wp_attachment_image_alt', wp_slash( self::text( $alt ) ) );
		}
		return $id;
	}

	/**
	 * Updates a reused attachment: alt text and caption when given, and the parent when it has none.
	 *
	 * @param int         $id      Attachment id.
	 * @param int         $post_id Post being published.
	 * @param string|null $alt     Alt text.
	 * @param string|null $caption Caption.
	 */
	public function reuse( int $id, int $post_id, ?string $alt, ?string $caption ): void {
		$attachment = get_post( $id );
		if ( ! $attachment instanceof \WP_Post ) {
			return;
		}
		if ( null !== $alt && self::text( $alt ) !== (string) get_post_meta( $id, '_wp_attachment_image_alt', true ) ) {
			update_post_meta( $id, '_wp_attachment_image_alt', wp_slash( self::text( $alt ) ) );
		}
		$changes = array();
		if ( null !== $caption && self::text( $caption ) !== $attachment->post_excerpt ) {
			$changes['post_excerpt'] = self::text( $caption );
		}
		if ( 0 === (int) $attachment->post_parent ) {
			$changes['post_parent'] = $post_id;
		}
		if ( $changes ) {
			$changes['ID'] = $id;
			$result        = wp_update_post( wp_slash( $changes ), true );
			if ( is_wp_error( $result ) ) {
				throw new \RuntimeException( 'Could not update the reused attachment: ' . $result->get_error_message() );
			}
		}
	}

	/**
	 * Ids of the attachments created by this instance.
	 *
	 * @return int[]
	 */
	public function created_ids(): array {
		return array_keys( $this->created );
	}

	/**
	 * After a rollback: deletes the files of every attachment created here (their rows are gone) and cleans
	 * their caches.
	 */
	public function discard_created(): void {
		require_once ABSPATH . 'wp-admin/includes/file.php';
		foreach ( $this->created as $id => list( $file, $meta ) ) {
			if ( '' !== $file ) {
				wp_delete_attachment_files( $id, $meta, array(), $file );
			}
			clean_post_cache( $id );
		}
		$this->created = array();
	}

	/**
	 * Records a created attachment's files (read now: after a rollback the rows that name them are gone).
	 *
	 * @param int $id Attachment id.
	 */
	private function remember( int $id ): void {
		$file = get_attached_file( $id, true );
		$meta = wp_get_attachment_metadata( $id, true );
		$this->created[ $id ] = array( is_string( $file ) ? $file : '', is_array( $meta ) ? $meta : array() );
	}

	/**
	 * Plain one-line text for alt and caption.
	 *
	 * @param string|null $value Value.
	 */
	private static function text( ?string $value ): string {
		return mb_substr( sanitize_text_field( (string) $value ), 0, self::MAX_TEXT_LENGTH );
	}
}
