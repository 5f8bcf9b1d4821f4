<?php
/**
 * Operation `upsert_post`: the whole publish write, atomic and idempotent.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Install\Integration_User;
use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Image_Fetcher;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Support\Named_Lock;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"upsert_post", content_id, post_type, post:{post_title, post_content, post_excerpt?, post_status,
 * post_date_gmt?, author_email?}, meta:{key: scalar|null}, terms?:{taxonomy:[{name, igny8_id?, placeholder?}]},
 * featured_image?:{url, alt?, caption?}, gallery?:[{url, alt?, caption?}]}`
 * → `{post_id, created, post_type, post_status, permalink, term_ids:{taxonomy:[ids]}, featured_image_id|null,
 * gallery_ids:[], warnings:[{code, message, field}]}` (docs/architecture.md §4, SPEC §10).
 *
 * Field names come from the sidecar; this class only enforces the contract's bounds and WordPress's rules:
 *
 * 1. Images first, before any lock or transaction (no network I/O inside it): an attachment whose source URL
 *    meta equals the URL is reused; otherwise the image is fetched to a temp file (Image_Fetcher: SSRF rules),
 *    under the lock row `image:<sha1(url)>` so concurrent publishes do not download it twice. An image that
 *    cannot be used is a warning (IMAGE_REFUSED / IMAGE_FAILED), never an error.
 * 2. The lock row `content:<id>`; the post is looked up by `_igny8_content_id` over every status (trash and
 *    auto-draft included) of every contract post type. Term lock rows follow (content → terms, sorted).
 * 3. One transaction: a new post is inserted with its final status but without the after-insert hooks (as core's
 *    REST controller does), then meta, terms (ids via Term_Resolver, then wp_set_object_terms), attachments
 *    (media_handle_sideload), thumbnail and gallery are written, and wp_after_insert_post fires last, so plugins
 *    see a complete post. Without a working transaction it is inserted as a draft marked `_igny8_incomplete`
 *    and gets its final status last. An existing post entering a public status gets it last, too.
 *    Every value passed to a core writer is wp_slash()ed (they unslash). On any failure: ROLLBACK, caches
 *    cleaned, files of attachments created here deleted. A deadlock (MySQL rolls back by itself) is retried.
 * 4. Commit, release the locks, fire `igny8_bridge_post_upserted`.
 *
 * Crash guarantees: a PHP fatal error (or exit) inside the transaction runs a handler that rolls back, deletes the
 * files of attachments created so far and the post this request created if its row survived (non-transactional
 * tables), and releases the lock rows. InnoDB and SQLite also discard an uncommitted transaction when the
 * connection dies, so after a kill -9 nothing of the attempt remains there; on non-transactional (MyISAM)
 * tables a draft marked `_igny8_incomplete` may remain, and the retry finds it by its content id and completes
 * it. Lock rows of a killed process stay until they expire (LOCK_TTL seconds); a retry meanwhile gets CONFLICT.
 */
final class Upsert_Post implements Operation {

	private const ARGS = array( 'content_id', 'post_type', 'post', 'meta', 'terms', 'featured_image', 'gallery' );

	private const POST_FIELDS = array( 'post_title', 'post_content', 'post_excerpt', 'post_status', 'post_date_gmt', 'author_email' );

	private const IMAGE_FIELDS = array( 'url', 'alt', 'caption' );

	/**
	 * Statuses applied only after everything else is written when a post enters them.
	 */
	private const FINAL_STATUSES = array( 'publish', 'future', 'private' );

	private const GALLERY_META_KEY = '_igny8_gallery_images';

	private const MAX_TITLE_LENGTH = 1000;

	private const MAX_TEXT_BYTES = 65535;

	private const MAX_IMAGE_TEXT_LENGTH = 2000;

	private const MAX_TERMS_PER_TAXONOMY = 50;

	private const LOCK_TTL = 120;

	private const CONTENT_LOCK_WAIT = 20.0;

	private const TERM_LOCK_WAIT = 15.0;

	private const IMAGE_LOCK_WAIT = 15.0;

	private const IMAGE_TIME_BUDGET = 30.0;

	private const MAX_ATTEMPTS = 3;

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		foreach ( array_keys( $args ) as $key ) {
			if ( ! in_array( $key, self::ARGS, true ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$key} is not an upsert_post argument.", (string) $key );
			}
		}
		$content_id = Args::int( $args, 'content_id', null, 1, PHP_INT_MAX );
		$post_type  = $args['post_type'] ?? null;
		if ( ! is_string( $post_type ) || ! in_array( $post_type, Settings::allowed_post_types(), true ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post_type must be one of the allowed post types: ' . implode( ', ', Settings::allowed_post_types() ) . '.', 'post_type' );
		}
		$this->check_post( Args::map( $args, 'post' ) );

		$meta      = Args::map( $args, 'meta' );
		$match_key = (string) Contract::meta( 'match_key' );
		foreach ( $meta as $key => $value ) {
			self::meta_value( (string) $key, $value );
		}
		if ( ! array_key_exists( $match_key, $meta ) || (string) $content_id !== self::meta_value( $match_key, $meta[ $match_key ] ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "meta.{$match_key} must equal content_id.", "meta.{$match_key}" );
		}

		if ( isset( $args['terms'] ) ) {
			foreach ( Args::map( $args, 'terms' ) as $taxonomy => $items ) {
				if ( ! in_array( $taxonomy, Contract::writable_taxonomies(), true ) || ! taxonomy_exists( (string) $taxonomy ) ) {
					throw new Bridge_Error( 'OPERATION_REFUSED', 'terms may only name: ' . implode( ', ', Contract::writable_taxonomies() ) . '.', "terms.{$taxonomy}" );
				}
				Term_Resolver::check_items( (string) $taxonomy, $items, self::MAX_TERMS_PER_TAXONOMY );
			}
		}

		$images = 0;
		if ( isset( $args['featured_image'] ) ) {
			self::check_image( $args['featured_image'], 'featured_image' );
			++$images;
		}
		if ( isset( $args['gallery'] ) ) {
			$gallery = $args['gallery'];
			if ( ! is_array( $gallery ) || ( $gallery && array_keys( $gallery ) !== range( 0, count( $gallery ) - 1 ) ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', 'gallery must be a list.', 'gallery' );
			}
			foreach ( $gallery as $index => $image ) {
				self::check_image( $image, "gallery.{$index}" );
				++$images;
			}
		}
		$limit = Contract::limit( 'max_images_per_request' );
		if ( $images > $limit ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "At most {$limit} images per request.", 'gallery' );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$content_id = Args::int( $args, 'content_id', null, 1, PHP_INT_MAX );
		$post_type  = (string) $args['post_type'];
		$warnings   = array();

		$terms = array();
		foreach ( isset( $args['terms'] ) ? Args::map( $args, 'terms' ) : array() as $taxonomy => $items ) {
			if ( ! is_object_in_taxonomy( $post_type, (string) $taxonomy ) ) {
				$warnings[] = self::warning( 'TAXONOMY_NOT_SUPPORTED', "Posts of type {$post_type} do not use {$taxonomy}; its terms were skipped.", "terms.{$taxonomy}" );
				continue;
			}
			$terms[ (string) $taxonomy ] = array_values( $items );
		}

		$images      = self::image_requests( $args );
		$image_locks = array();
		$prepared    = array();
		try {
			// 1. Images: reuse or download, before any content lock or transaction.
			$prepared = $this->prepare_images( $images, $image_locks );

			// 2. The content lock.
			$lock = Named_Lock::acquire( 'content:' . $content_id, self::LOCK_TTL, self::CONTENT_LOCK_WAIT );
			if ( null === $lock ) {
				throw new Bridge_Error( 'CONFLICT', 'Another write of this content_id is still running; retry.', 'content_id' );
			}
			try {
				$result = $this->write_locked( $content_id, $post_type, $args, $terms, $images, $prepared, $warnings );
			} finally {
				$lock->release();
			}
		} finally {
			foreach ( array_reverse( $image_locks ) as $image_lock ) {
				$image_lock->release();
			}
			foreach ( $prepared as $entry ) {
				if ( isset( $entry['file']['path'] ) && is_file( $entry['file']['path'] ) ) {
					wp_delete_file( $entry['file']['path'] );
				}
			}
		}

		/**
		 * Fires after an `upsert_post` operation committed.
		 *
		 * @param int  $post_id Post id.
		 * @param bool $created Whether the post was created by this operation.
		 */
		do_action( 'igny8_bridge_post_upserted', $result['post_id'], $result['created'] );
		return $result;
	}

	/**
	 * Under the content lock: lookup, term locks, then the transaction (retried after a deadlock).
	 *
	 * @param int                                      $content_id Content id.
	 * @param string                                   $post_type  Post type.
	 * @param array<string,mixed>                      $args       Operation arguments.
	 * @param array<string,array<int,array>>           $terms      Term references of the taxonomies to write.
	 * @param array<int,array<string,mixed>>           $images     Image requests.
	 * @param array<string,array<string,mixed>>        $prepared   Prepared images by URL.
	 * @param array<int,array<string,string>>          $warnings   Warnings so far.
	 * @return array<string,mixed>
	 * @throws Bridge_Error On refusal, conflict or failure.
	 */
	private function write_locked( int $content_id, string $post_type, array $args, array $terms, array $images, array $prepared, array $warnings ): array {
		$existing = $this->find_existing( $content_id, $warnings );
		if ( null !== $existing && ! in_array( $existing->post_type, Settings::allowed_post_types(), true ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "The post of this content_id is a {$existing->post_type}, which is not an allowed post type.", 'post_type' );
		}

		$planner = new Term_Resolver();
		$names   = array();
		foreach ( $terms as $taxonomy => $items ) {
			foreach ( $planner->plan( $taxonomy, $items ) as $name ) {
				$names[ $name ] = true;
			}
		}
		$names = array_keys( $names );
		sort( $names, SORT_STRING );
		$term_locks = array();
		try {
			foreach ( $names as $name ) {
				$term_lock = Named_Lock::acquire( $name, self::LOCK_TTL, self::TERM_LOCK_WAIT );
				if ( null === $term_lock ) {
					throw new Bridge_Error( 'CONFLICT', 'Another request is creating the same terms; retry.', 'terms' );
				}
				$term_locks[] = $term_lock;
			}
			for ( $attempt = 1; true; $attempt++ ) {
				$result = $this->transact( $content_id, $post_type, $args, $terms, $images, $prepared, $existing, $warnings );
				if ( null !== $result ) {
					return $result;
				}
				if ( $attempt >= self::MAX_ATTEMPTS ) {
					throw new Bridge_Error( 'CONFLICT', 'The database kept aborting the write (deadlock); retry.', 'content_id' );
				}
				usleep( 100000 * $attempt );
				$ignored  = array();
				$existing = $this->find_existing( $content_id, $ignored );
			}
		} finally {
			foreach ( array_reverse( $term_locks ) as $term_lock ) {
				$term_lock->release();
			}
		}
	}

	/**
	 * One attempt of the transaction.
	 *
	 * @param int                               $content_id Content id.
	 * @param string                            $post_type  Post type.
	 * @param array<string,mixed>               $args       Operation arguments.
	 * @param array<string,array<int,array>>    $terms      Term references.
	 * @param array<int,array<string,mixed>>    $images     Image requests.
	 * @param array<string,array<string,mixed>> $prepared   Prepared images by URL.
	 * @param \WP_Post|null                     $existing   The post of this content id, if any.
	 * @param array<int,array<string,string>>   $warnings   Warnings so far.
	 * @return array<string,mixed>|null The result, or null when the database aborted the transaction (retry).
	 * @throws \Throwable Anything else, after the rollback.
	 */
	private function transact( int $content_id, string $post_type, array $args, array $terms, array $images, array $prepared, ?\WP_Post $existing, array $warnings ): ?array {
		$post        = Args::map( $args, 'post' );
		$tx          = new Transaction();
		$attachments = new Attachments();
		$resolver    = new Term_Resolver();
		$crash       = (object) array(
			'armed'       => true,
			'tx'          => $tx,
			'attachments' => $attachments,
			'resolver'    => $resolver,
			'created_id'  => 0,
			'existing_id' => null === $existing ? 0 : (int) $existing->ID,
		);
		$on_crash    = static function () use ( $crash ): void {
			if ( ! $crash->armed ) {
				return;
			}
			$crash->armed = false;
			$crash->tx->rollback();
			self::after_rollback( $crash );
			Named_Lock::release_all(); // The request is dying: free its lock rows now, not after LOCK_TTL.
		};
		// A fatal error or exit inside the transaction. Order matters: the `shutdown` action at the earliest
		// priority runs before Named_Lock releases its rows (otherwise their DELETE would be rolled back with
		// the transaction); WordPress's fatal error handler runs before any shutdown action and exits, so it
		// is met through the filter it applies just before dying; the plain shutdown function covers the rest.
		$on_fatal_page = static function ( $message ) use ( $on_crash ) {
			$on_crash();
			return $message;
		};
		register_shutdown_function( $on_crash );
		add_action( 'shutdown', $on_crash, PHP_INT_MIN );
		add_filter( 'wp_php_error_message', $on_fatal_page, PHP_INT_MIN );

		$wanted = (string) $post['post_status'];
		try {
			$tx->begin();
			$author = $this->author( $post, $post_type, $existing, $warnings );
			$fields = self::post_fields( $post );

			// The post row. Inside a real transaction a new post takes its final status at once, the way core's REST
			// controller creates posts: inserted without the after-insert hooks, then meta, terms and images, then
			// wp_after_insert_post fired by us, so plugins reacting to it see the complete post (and nobody can see
			// it before COMMIT). Without a transaction the post starts as a draft marked incomplete, so a crash can
			// only leave an unpublished draft, which the retry finds by its content id and completes.
			$direct = false;
			if ( null === $existing ) {
				$created = true;
				$direct  = $tx->is_open() && 'trash' !== $wanted;
				$insert  = $fields + array(
					'post_type'   => $post_type,
					'post_status' => $direct ? $wanted : 'draft',
					'post_author' => (int) $author,
				);
				$post_id = wp_insert_post( wp_slash( $insert ), true, ! $direct );
				if ( is_wp_error( $post_id ) || ! $post_id ) {
					throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not create the post: ' . ( is_wp_error( $post_id ) ? $post_id->get_error_message() : 'unknown error' ) );
				}
				$post_id           = (int) $post_id;
				$crash->created_id = $post_id;
				update_post_meta( $post_id, (string) Contract::meta( 'match_key' ), (string) $content_id );
				if ( ! $direct ) {
					update_post_meta( $post_id, (string) Contract::meta( 'incomplete_marker_key' ), '1' );
				}
			} else {
				$created = false;
				$post_id = (int) $existing->ID;
				$current = $existing->post_status;
				if ( 'trash' === $current && 'trash' !== $wanted ) {
					if ( ! wp_untrash_post( $post_id ) ) {
						throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not restore the post from the trash.' );
					}
					$current = (string) get_post_status( $post_id );
				}
				$update = $fields + array( 'ID' => $post_id );
				if ( $existing->post_type !== $post_type ) {
					$update['post_type'] = $post_type;
				}
				if ( null !== $author ) {
					$update['post_author'] = $author;
				}
				// Leaving a public state, or staying in one, applies now; entering one waits until the end.
				if ( 'trash' !== $wanted && ( ! in_array( $wanted, self::FINAL_STATUSES, true ) || in_array( $current, self::FINAL_STATUSES, true ) ) ) {
					$update['post_status'] = $wanted;
				}
				$updated = wp_update_post( wp_slash( $update ), true );
				if ( is_wp_error( $updated ) || ! $updated ) {
					throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not update the post: ' . ( is_wp_error( $updated ) ? $updated->get_error_message() : 'unknown error' ) );
				}
			}

			// Meta.
			foreach ( Args::map( $args, 'meta' ) as $key => $value ) {
				$value = self::meta_value( (string) $key, $value );
				if ( null === $value ) {
					delete_post_meta( $post_id, (string) $key );
				} else {
					update_post_meta( $post_id, (string) $key, wp_slash( $value ) );
				}
			}

			// Terms: ids only. A taxonomy sent as [] loses all its terms (category then gets the default one).
			foreach ( $terms as $taxonomy => $items ) {
				$ids = $resolver->resolve( $taxonomy, $items );
				sort( $ids, SORT_NUMERIC );
				if ( 'category' === $taxonomy && ! $ids ) {
					$set = wp_set_post_categories( $post_id, array() );
				} else {
					$set = wp_set_object_terms( $post_id, $ids, $taxonomy, false );
				}
				if ( is_wp_error( $set ) || false === $set ) {
					throw new Bridge_Error( 'OPERATION_FAILED', "WordPress did not assign the {$taxonomy} terms" . ( is_wp_error( $set ) ? ': ' . $set->get_error_message() : '.' ), "terms.{$taxonomy}" );
				}
			}

			// Images.
			$image_warnings = array();
			$gallery_ids    = array();
			foreach ( $images as $image ) {
				$attachment_id = $this->attach( $image, $prepared[ $image['url'] ] ?? array(), $post_id, $attachments, $image_warnings );
				if ( $attachment_id <= 0 ) {
					continue;
				}
				if ( 'featured' === $image['role'] ) {
					set_post_thumbnail( $post_id, $attachment_id );
				} else {
					$gallery_ids[] = $attachment_id;
				}
			}
			if ( isset( $args['gallery'] ) ) {
				update_post_meta( $post_id, self::GALLERY_META_KEY, wp_slash( (string) wp_json_encode( $gallery_ids ) ) );
			}

			// The final status, last.
			if ( $direct ) {
				$status_warnings = array();
				wp_after_insert_post( $post_id, false, null );
			} else {
				$status_warnings = $this->apply_status( $post_id, $wanted, $post );
				delete_post_meta( $post_id, (string) Contract::meta( 'incomplete_marker_key' ) );
			}

			$tx->commit();
			$crash->armed = false;
		} catch ( \Throwable $error ) {
			$crash->armed = false;
			$aborted      = $tx->aborted();
			$tx->rollback();
			self::after_rollback( $crash );
			if ( null !== $aborted ) {
				return null;
			}
			throw $error;
		} finally {
			remove_action( 'shutdown', $on_crash, PHP_INT_MIN );
			remove_filter( 'wp_php_error_message', $on_fatal_page, PHP_INT_MIN );
		}

		clean_post_cache( $post_id );
		$thumbnail = (int) get_post_thumbnail_id( $post_id );
		if ( ! isset( $args['gallery'] ) ) {
			$stored      = json_decode( (string) get_post_meta( $post_id, self::GALLERY_META_KEY, true ), true );
			$gallery_ids = is_array( $stored ) ? array_values( array_filter( array_map( 'intval', $stored ) ) ) : array();
		}
		return array(
			'post_id'           => $post_id,
			'created'           => $created,
			'post_type'         => (string) get_post_type( $post_id ),
			'post_status'       => (string) get_post_status( $post_id ),
			'permalink'         => (string) get_permalink( $post_id ),
			'term_ids'          => self::term_ids( $post_id ),
			'featured_image_id' => $thumbnail > 0 ? $thumbnail : null,
			'gallery_ids'       => $gallery_ids,
			'warnings'          => array_values( array_merge( $warnings, $resolver->warnings(), $image_warnings, $status_warnings ) ),
		);
	}

	/**
	 * Sets the wanted status (trash through wp_trash_post).
	 *
	 * @param int                 $post_id Post id.
	 * @param string              $wanted  Wanted status.
	 * @param array<string,mixed> $post    The op's post fields (for the date).
	 * @return array<int,array<string,string>> Warnings.
	 * @throws Bridge_Error OPERATION_FAILED.
	 */
	private function apply_status( int $post_id, string $wanted, array $post ): array {
		$warnings = array();
		$current  = (string) get_post_status( $post_id );
		if ( 'trash' === $wanted ) {
			if ( 'trash' === $current ) {
				return $warnings;
			}
			if ( EMPTY_TRASH_DAYS ) {
				if ( ! wp_trash_post( $post_id ) ) {
					$warnings[] = self::warning( 'TRASH_BLOCKED', 'WordPress (or a plugin) did not move the post to the trash.', 'post.post_status' );
				}
			} else {
				// wp_trash_post() would delete the post for good when the trash is disabled.
				$trashed = wp_update_post(
					array(
						'ID'          => $post_id,
						'post_status' => 'trash',
					),
					true
				);
				if ( is_wp_error( $trashed ) ) {
					throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not trash the post: ' . $trashed->get_error_message() );
				}
				$warnings[] = self::warning( 'TRASH_DISABLED', 'The trash is disabled on this site (EMPTY_TRASH_DAYS): the status was set without trash records.', 'post.post_status' );
			}
			return $warnings;
		}
		if ( $current === $wanted ) {
			return $warnings;
		}
		$final = array(
			'ID'          => $post_id,
			'post_status' => $wanted,
		);
		if ( isset( $post['post_date_gmt'] ) ) {
			$final['post_date_gmt'] = (string) $post['post_date_gmt'];
			$final['post_date']     = get_date_from_gmt( (string) $post['post_date_gmt'] );
			$final['edit_date']     = true;
		}
		$updated = wp_update_post( wp_slash( $final ), true );
		if ( is_wp_error( $updated ) || ! $updated ) {
			throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not set the post status: ' . ( is_wp_error( $updated ) ? $updated->get_error_message() : 'unknown error' ) );
		}
		return $warnings;
	}

	/**
	 * Attaches one image inside the transaction: reuse by source URL, else sideload the downloaded file.
	 *
	 * @param array<string,mixed>             $image       Image request.
	 * @param array<string,mixed>             $entry       Prepared entry: attachment id, file, or error.
	 * @param int                             $post_id     Post id.
	 * @param Attachments                     $attachments Attachment writer of this attempt.
	 * @param array<int,array<string,string>> $warnings    Warnings (appended).
	 * @return int Attachment id, or 0.
	 */
	private function attach( array $image, array $entry, int $post_id, Attachments $attachments, array &$warnings ): int {
		if ( isset( $entry['error'] ) ) {
			$warnings[] = $entry['error']->to_warning( (string) $image['field'] );
			return 0;
		}
		// Checked again here: another request may have committed it meanwhile, or an earlier field of this op.
		$existing = Attachments::find_by_source_url( (string) $image['url'] );
		if ( $existing > 0 ) {
			$attachments->reuse( $existing, $post_id, $image['alt'], $image['caption'] );
			return $existing;
		}
		if ( ! isset( $entry['file'] ) ) {
			return 0;
		}
		// Sideload a copy: the download must survive a rolled-back attempt (media_handle_sideload moves its file).
		require_once ABSPATH . 'wp-admin/includes/file.php';
		$copy = wp_tempnam( 'igny8-image' );
		if ( ! is_string( $copy ) || '' === $copy || ! copy( (string) $entry['file']['path'], $copy ) ) {
			$warnings[] = self::warning( Image_Error::FAILED, 'Could not copy the downloaded image.', (string) $image['field'] );
			return 0;
		}
		$file         = $entry['file'];
		$file['path'] = $copy;
		try {
			return $attachments->sideload( $file, $post_id, (string) $image['url'], $image['alt'], $image['caption'] );
		} catch ( Image_Error $error ) {
			$warnings[] = $error->to_warning( (string) $image['field'] );
			return 0;
		} finally {
			if ( is_file( $copy ) ) {
				wp_delete_file( $copy );
			}
		}
	}

	/**
	 * Step 1: every distinct image URL is reused (existing attachment) or downloaded to a temp file.
	 *
	 * Failures are kept per URL and reported as warnings per field when the images are attached.
	 *
	 * @param array<int,array<string,mixed>> $images Image requests.
	 * @param Named_Lock[]                   $locks  Image locks taken (appended; released by the caller).
	 * @return array<string,array<string,mixed>> By URL: ['attachment' => id] | ['file' => fetch result] | ['error' => Image_Error].
	 */
	private function prepare_images( array $images, array &$locks ): array {
		$prepared = array();
		$missing  = array();
		foreach ( $images as $image ) {
			$url = (string) $image['url'];
			if ( isset( $prepared[ $url ] ) || isset( $missing[ $url ] ) ) {
				continue;
			}
			$existing = Attachments::find_by_source_url( $url );
			if ( $existing > 0 ) {
				$prepared[ $url ] = array( 'attachment' => $existing );
			} else {
				$missing[ $url ] = sha1( $url );
			}
		}
		if ( ! $missing ) {
			return $prepared;
		}
		// Lock rows in sorted order (no lock cycles between requests); a lock still busy after the wait is not an
		// error: the download goes ahead and the in-transaction check still reuses whatever committed first.
		asort( $missing, SORT_STRING );
		foreach ( $missing as $hash ) {
			$lock = Named_Lock::acquire( 'image:' . $hash, self::LOCK_TTL, self::IMAGE_LOCK_WAIT );
			if ( null !== $lock ) {
				$locks[] = $lock;
			}
		}
		$fetcher = new Image_Fetcher( self::IMAGE_TIME_BUDGET );
		foreach ( array_keys( $missing ) as $url ) {
			$existing = Attachments::find_by_source_url( (string) $url );
			if ( $existing > 0 ) {
				$prepared[ $url ] = array( 'attachment' => $existing );
				continue;
			}
			try {
				$prepared[ $url ] = array( 'file' => $fetcher->fetch( (string) $url ) );
			} catch ( Image_Error $error ) {
				$prepared[ $url ] = array( 'error' => $error );
			}
		}
		return $prepared;
	}

	/**
	 * The post of a content id: every status, every contract post type; the oldest non-trashed one when there
	 * are several (with a warning).
	 *
	 * @param int                             $content_id Content id.
	 * @param array<int,array<string,string>> $warnings   Warnings (appended).
	 */
	private function find_existing( int $content_id, array &$warnings ): ?\WP_Post {
		global $wpdb;
		$types        = Contract::post_types();
		$placeholders = implode( ', ', array_fill( 0, count( $types ), '%s' ) );
		// phpcs:disable WordPress.DB -- must see committed rows of every status, trash and auto-draft included.
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT p.ID AS id, p.post_status AS status FROM {$wpdb->posts} p INNER JOIN {$wpdb->postmeta} m ON m.post_id = p.ID
				WHERE m.meta_key = %s AND m.meta_value = %s AND p.post_type IN ({$placeholders})",
				array_merge( array( (string) Contract::meta( 'match_key' ), (string) $content_id ), $types )
			),
			ARRAY_A
		);
		// phpcs:enable
		if ( ! is_array( $rows ) || ! $rows ) {
			return null;
		}
		usort(
			$rows,
			static function ( array $a, array $b ): int {
				return array( 'trash' === $a['status'], (int) $a['id'] ) <=> array( 'trash' === $b['status'], (int) $b['id'] );
			}
		);
		$ids = array_values( array_unique( array_map( 'intval', array_column( $rows, 'id' ) ) ) );
		if ( count( $ids ) > 1 ) {
			$warnings[] = self::warning( 'DUPLICATE_CONTENT_ID', 'Several posts carry this content_id (' . implode( ', ', $ids ) . "); post {$ids[0]} was updated.", 'content_id' );
		}
		clean_post_cache( $ids[0] );
		$post = get_post( $ids[0] );
		return $post instanceof \WP_Post ? $post : null;
	}

	/**
	 * The author: the user with author_email who can edit posts of the type; else (on create, or when an email
	 * was given) the default author setting if that user exists, else the integration user. Null keeps the
	 * existing author.
	 *
	 * @param array<string,mixed>             $post      The op's post fields.
	 * @param string                          $post_type Post type.
	 * @param \WP_Post|null                   $existing  Existing post.
	 * @param array<int,array<string,string>> $warnings  Warnings (appended).
	 */
	private function author( array $post, string $post_type, ?\WP_Post $existing, array &$warnings ): ?int {
		$email = isset( $post['author_email'] ) ? trim( (string) $post['author_email'] ) : '';
		if ( '' !== $email ) {
			$user = get_user_by( 'email', $email );
			$type = get_post_type_object( $post_type );
			if ( $user instanceof \WP_User && null !== $type && user_can( $user, $type->cap->edit_posts ) ) {
				return (int) $user->ID;
			}
			$warnings[] = self::warning( 'AUTHOR_NOT_FOUND', 'No user with this email can write this post type; the default author was used.', 'post.author_email' );
		} elseif ( null !== $existing ) {
			return null;
		}
		$default = (int) Settings::get( 'igny8_default_author' );
		if ( $default > 0 && false !== get_userdata( $default ) ) {
			return $default;
		}
		return Integration_User::id();
	}

	/**
	 * Title, content, excerpt and dates, built field by field (no passthrough of other wp_insert_post keys).
	 *
	 * @param array<string,mixed> $post The op's post fields.
	 * @return array<string,mixed> Unslashed values.
	 */
	private static function post_fields( array $post ): array {
		$fields = array(
			'post_title'   => wp_strip_all_tags( (string) $post['post_title'] ),
			'post_content' => self::clean_html( (string) $post['post_content'] ),
		);
		if ( isset( $post['post_excerpt'] ) ) {
			$fields['post_excerpt'] = self::clean_html( (string) $post['post_excerpt'] );
		}
		if ( isset( $post['post_date_gmt'] ) ) {
			$fields['post_date_gmt'] = (string) $post['post_date_gmt'];
			$fields['post_date']     = get_date_from_gmt( (string) $post['post_date_gmt'] );
			$fields['edit_date']     = true;
		}
		return $fields;
	}

	/**
	 * HTML without script and style elements (their text included: kses would keep it), then wp_kses_post.
	 *
	 * @param string $html HTML.
	 */
	public static function clean_html( string $html ): string {
		// Restart after every removal: removing an element can join two fragments into a new opening tag.
		while ( preg_match( '/<(script|style)(?=[\s>\/]|$)/i', $html, $match, PREG_OFFSET_CAPTURE ) ) {
			$start = (int) $match[0][1];
			$tag   = strtolower( $match[1][0] );
			$close = stripos( $html, '</' . $tag, $start + 1 );
			if ( false === $close ) {
				$html = substr( $html, 0, $start );
				break;
			}
			$end  = strpos( $html, '>', $close );
			$html = substr( $html, 0, $start ) . ( false === $end ? '' : substr( $html, $end + 1 ) );
		}
		return wp_kses_post( $html );
	}

	/**
	 * Validates the op's post fields.
	 *
	 * @param array<string,mixed> $post Post fields.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	private function check_post( array $post ): void {
		foreach ( array_keys( $post ) as $key ) {
			if ( ! in_array( $key, self::POST_FIELDS, true ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "post.{$key} is not a writable post field.", "post.{$key}" );
			}
		}
		$title = $post['post_title'] ?? null;
		if ( ! is_string( $title ) || '' === trim( $title ) || mb_strlen( $title ) > self::MAX_TITLE_LENGTH ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'post.post_title must be a non-empty string of at most ' . self::MAX_TITLE_LENGTH . ' characters.', 'post.post_title' );
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
	private static function meta_value( string $key, $value ): ?string {
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

	/**
	 * Validates an image reference.
	 *
	 * @param mixed  $image Reference as decoded.
	 * @param string $field Field name.
	 * @throws Bridge_Error OPERATION_REFUSED.
	 */
	private static function check_image( $image, string $field ): void {
		if ( ! is_array( $image ) || ! isset( $image['url'] ) || ! is_string( $image['url'] ) || '' === $image['url'] ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', "{$field} must be an object with a url.", "{$field}.url" );
		}
		foreach ( $image as $key => $value ) {
			if ( ! in_array( $key, self::IMAGE_FIELDS, true ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$field}.{$key} is not an image field.", "{$field}.{$key}" );
			}
			if ( 'url' !== $key && null !== $value && ( ! is_string( $value ) || mb_strlen( $value ) > self::MAX_IMAGE_TEXT_LENGTH ) ) {
				throw new Bridge_Error( 'OPERATION_REFUSED', "{$field}.{$key} must be a string of at most " . self::MAX_IMAGE_TEXT_LENGTH . ' characters.', "{$field}.{$key}" );
			}
		}
	}

	/**
	 * The images of the op in order: featured first, then the gallery.
	 *
	 * @param array<string,mixed> $args Operation arguments.
	 * @return array<int,array{field:string,role:string,url:string,alt:?string,caption:?string}>
	 */
	private static function image_requests( array $args ): array {
		$list = array();
		if ( isset( $args['featured_image'] ) && is_array( $args['featured_image'] ) ) {
			$list[] = self::image_request( $args['featured_image'], 'featured_image', 'featured' );
		}
		foreach ( isset( $args['gallery'] ) && is_array( $args['gallery'] ) ? array_values( $args['gallery'] ) : array() as $index => $image ) {
			$list[] = self::image_request( (array) $image, "gallery.{$index}", 'gallery' );
		}
		return $list;
	}

	/**
	 * One image request.
	 *
	 * @param array<string,mixed> $image Reference.
	 * @param string              $field Field name.
	 * @param string              $role  featured or gallery.
	 * @return array{field:string,role:string,url:string,alt:?string,caption:?string}
	 */
	private static function image_request( array $image, string $field, string $role ): array {
		return array(
			'field'   => $field,
			'role'    => $role,
			'url'     => (string) $image['url'],
			'alt'     => isset( $image['alt'] ) ? (string) $image['alt'] : null,
			'caption' => isset( $image['caption'] ) ? (string) $image['caption'] : null,
		);
	}

	/**
	 * Term ids of the post in every writable taxonomy (empty where the type does not use it).
	 *
	 * @param int $post_id Post id.
	 * @return array<string,int[]>
	 */
	private static function term_ids( int $post_id ): array {
		$type = (string) get_post_type( $post_id );
		$ids  = array();
		foreach ( Contract::writable_taxonomies() as $taxonomy ) {
			$ids[ $taxonomy ] = array();
			if ( ! taxonomy_exists( $taxonomy ) || ! is_object_in_taxonomy( $type, $taxonomy ) ) {
				continue;
			}
			$terms = wp_get_object_terms(
				$post_id,
				$taxonomy,
				array(
					'fields'                 => 'ids',
					'update_term_meta_cache' => false,
				)
			);
			if ( is_array( $terms ) ) {
				$ids[ $taxonomy ] = array_values( array_map( 'intval', $terms ) );
			}
		}
		return $ids;
	}

	/**
	 * After a rollback (or at shutdown after a fatal error): forget cached rows, delete the files of attachments
	 * created by the attempt, and delete the post it created if the row survived (non-transactional tables).
	 *
	 * @param object $crash Attempt state: attachments, resolver, created_id, existing_id.
	 */
	private static function after_rollback( object $crash ): void {
		$crash->attachments->discard_created();
		$crash->resolver->discard_created();
		foreach ( array( (int) $crash->created_id, (int) $crash->existing_id ) as $post_id ) {
			if ( $post_id <= 0 ) {
				continue;
			}
			wp_cache_delete( $post_id, 'posts' );
			wp_cache_delete( $post_id, 'post_meta' );
			foreach ( Contract::writable_taxonomies() as $taxonomy ) {
				wp_cache_delete( $post_id, "{$taxonomy}_relationships" );
			}
		}
		if ( $crash->created_id > 0 && self::row_exists( (int) $crash->created_id ) ) {
			wp_delete_post( (int) $crash->created_id, true );
		}
		wp_cache_set( 'last_changed', microtime(), 'posts' );
		wp_cache_set( 'last_changed', microtime(), 'terms' );
		if ( ! wp_using_ext_object_cache() ) {
			wp_cache_flush();
		}
	}

	/**
	 * Whether a post row exists in the database (not the cache).
	 *
	 * @param int $post_id Post id.
	 */
	private static function row_exists( int $post_id ): bool {
		global $wpdb;
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE ID = %d", $post_id ) ); // phpcs:ignore WordPress.DB
	}

	/**
	 * A warning entry.
	 *
	 * @param string $code    UPPER_SNAKE code.
	 * @param string $message Human message.
	 * @param string $field   Op field.
	 * @return array<string,string>
	 */
	private static function warning( string $code, string $message, string $field ): array {
		return array(
			'code'    => $code,
			'message' => $message,
			'field'   => $field,
		);
	}
}
