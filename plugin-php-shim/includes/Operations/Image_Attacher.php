<?php
/**
 * The images of an `upsert_post`: prepared before any lock or transaction, attached inside it.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Image_Fetcher;
use Igny8\Bridge\Support\Named_Lock;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Featured image first, then the gallery. prepare(): an attachment whose source URL meta equals the URL is reused;
 * otherwise the image is fetched to a temp file (Image_Fetcher: SSRF rules), under the lock row `image:<sha1(url)>`
 * so concurrent publishes do not download it twice (no network I/O inside the transaction). attach(): inside the
 * transaction, reuse or sideload, thumbnail and `_igny8_gallery_images`. An image that cannot be used is a warning
 * (IMAGE_REFUSED / IMAGE_FAILED), never an error. release(): the image locks and the temp files.
 */
final class Image_Attacher {

	private const LOCK_TTL = 120;

	private const IMAGE_LOCK_WAIT = 15.0;

	private const IMAGE_TIME_BUDGET = 30.0;

	/**
	 * Image requests in order.
	 *
	 * @var array<int,array{field:string,role:string,url:string,alt:?string,caption:?string}>
	 */
	private array $requests;

	/**
	 * Whether the op sent a gallery (even an empty one).
	 */
	private bool $has_gallery;

	/**
	 * By URL: ['attachment' => id] | ['file' => fetch result] | ['error' => Image_Error].
	 *
	 * @var array<string,array<string,mixed>>
	 */
	private array $prepared = array();

	/**
	 * Image locks taken by prepare().
	 *
	 * @var Named_Lock[]
	 */
	private array $locks = array();

	/**
	 * The images of an op.
	 *
	 * @param array<string,mixed> $args Operation arguments (checked by Upsert_Post_Args).
	 */
	public function __construct( array $args ) {
		$this->has_gallery = isset( $args['gallery'] );
		$this->requests    = array();
		if ( isset( $args['featured_image'] ) && is_array( $args['featured_image'] ) ) {
			$this->requests[] = self::request( $args['featured_image'], 'featured_image', 'featured' );
		}
		foreach ( isset( $args['gallery'] ) && is_array( $args['gallery'] ) ? array_values( $args['gallery'] ) : array() as $index => $image ) {
			$this->requests[] = self::request( (array) $image, "gallery.{$index}", 'gallery' );
		}
	}

	/**
	 * Step 1, before any content lock or transaction: every distinct image URL is reused (existing attachment) or
	 * downloaded to a temp file. Failures are kept per URL and reported as warnings per field by attach().
	 */
	public function prepare(): void {
		$missing = array();
		foreach ( $this->requests as $image ) {
			$url = (string) $image['url'];
			if ( isset( $this->prepared[ $url ] ) || isset( $missing[ $url ] ) ) {
				continue;
			}
			$existing = Attachments::find_by_source_url( $url );
			if ( $existing > 0 ) {
				$this->prepared[ $url ] = array( 'attachment' => $existing );
			} else {
				$missing[ $url ] = sha1( $url );
			}
		}
		if ( ! $missing ) {
			return;
		}
		// Lock rows in sorted order (no lock cycles between requests); a lock still busy after the wait is not an
		// error: the download goes ahead and the in-transaction check still reuses whatever committed first.
		asort( $missing, SORT_STRING );
		foreach ( $missing as $hash ) {
			$lock = Named_Lock::acquire( 'image:' . $hash, self::LOCK_TTL, self::IMAGE_LOCK_WAIT );
			if ( null !== $lock ) {
				$this->locks[] = $lock;
			}
		}
		$fetcher = new Image_Fetcher( self::IMAGE_TIME_BUDGET );
		foreach ( array_keys( $missing ) as $url ) {
			$existing = Attachments::find_by_source_url( (string) $url );
			if ( $existing > 0 ) {
				$this->prepared[ $url ] = array( 'attachment' => $existing );
				continue;
			}
			try {
				$this->prepared[ $url ] = array( 'file' => $fetcher->fetch( (string) $url ) );
			} catch ( Image_Error $error ) {
				$this->prepared[ $url ] = array( 'error' => $error );
			}
		}
	}

	/**
	 * Inside the transaction: attaches every image, sets the thumbnail, stores the gallery ids (when a gallery was
	 * sent).
	 *
	 * @param int                             $post_id     Post id.
	 * @param Attachments                     $attachments Attachment writer of this attempt.
	 * @param array<int,array<string,string>> $warnings    Warnings (appended).
	 * @return int[] Gallery attachment ids, in order.
	 */
	public function attach( int $post_id, Attachments $attachments, array &$warnings ): array {
		$gallery_ids = array();
		foreach ( $this->requests as $image ) {
			$attachment_id = $this->attach_one( $image, $this->prepared[ $image['url'] ] ?? array(), $post_id, $attachments, $warnings );
			if ( $attachment_id <= 0 ) {
				continue;
			}
			if ( 'featured' === $image['role'] ) {
				set_post_thumbnail( $post_id, $attachment_id );
			} else {
				$gallery_ids[] = $attachment_id;
			}
		}
		if ( $this->has_gallery ) {
			update_post_meta( $post_id, Contract::meta_key( 'gallery_images' ), wp_slash( (string) wp_json_encode( $gallery_ids ) ) );
		}
		return $gallery_ids;
	}

	/**
	 * The gallery of the post after the write: the ids just written, or the stored ones when no gallery was sent.
	 *
	 * @param int   $post_id Post id.
	 * @param int[] $written What attach() returned.
	 * @return int[]
	 */
	public function gallery_ids( int $post_id, array $written ): array {
		if ( $this->has_gallery ) {
			return $written;
		}
		$stored = json_decode( (string) get_post_meta( $post_id, Contract::meta_key( 'gallery_images' ), true ), true );
		return is_array( $stored ) ? array_values( array_filter( array_map( 'intval', $stored ) ) ) : array();
	}

	/**
	 * Releases the image locks and deletes the downloaded temp files.
	 */
	public function release(): void {
		foreach ( array_reverse( $this->locks ) as $lock ) {
			$lock->release();
		}
		$this->locks = array();
		foreach ( $this->prepared as $entry ) {
			if ( isset( $entry['file']['path'] ) && is_file( $entry['file']['path'] ) ) {
				wp_delete_file( $entry['file']['path'] );
			}
		}
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
	private function attach_one( array $image, array $entry, int $post_id, Attachments $attachments, array &$warnings ): int {
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
			$warnings[] = Warning::of( Image_Error::FAILED, 'Could not copy the downloaded image.', (string) $image['field'] );
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
	 * One image request.
	 *
	 * @param array<string,mixed> $image Reference.
	 * @param string              $field Field name.
	 * @param string              $role  featured or gallery.
	 * @return array{field:string,role:string,url:string,alt:?string,caption:?string}
	 */
	private static function request( array $image, string $field, string $role ): array {
		return array(
			'field'   => $field,
			'role'    => $role,
			'url'     => (string) $image['url'],
			'alt'     => isset( $image['alt'] ) ? (string) $image['alt'] : null,
			'caption' => isset( $image['caption'] ) ? (string) $image['caption'] : null,
		);
	}
}
