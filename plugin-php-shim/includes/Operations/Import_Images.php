<?php
/**
 * Operation `import_images`: images to attachments, before any post write.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Image_Fetcher;
use Igny8\Bridge\Support\Named_Lock;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"import_images", images:[{url, alt?, caption?}]}` → `{images:[{url, attachment_id, src, reused} |
 * {url, warning:{code, message}}]}`, one entry per distinct URL, in order.
 *
 * The sidecar runs it in the round before `upsert_post`, so it can point the content at the attachments it gets
 * back. Per URL: an attachment whose source URL meta (`_igny8_image_source_url`) equals it is reused, with no
 * network I/O; otherwise it is fetched by Image_Fetcher (the featured image's SSRF rules and type sniffing, one
 * time budget for the whole op, contract `body_images_time_budget_seconds`) under the lock row `image:<sha1(url)>`
 * and sideloaded as an unattached attachment with its source URL. No transaction is open: a publish that fails
 * later leaves the attachment, and the retry reuses it. An image that cannot be used is a warning with the
 * fetcher's generic reason, never an error.
 */
final class Import_Images implements Operation {

	private const LOCK_TTL = 120;

	private const IMAGE_LOCK_WAIT = 15.0;

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		$images = isset( $args['images'] ) && is_array( $args['images'] ) ? $args['images'] : array();
		if ( count( $images ) > Contract::limit( 'max_body_images_per_request' ) ) {
			throw new Bridge_Error( 'OPERATION_REFUSED', 'Too many images in one import_images operation.' );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$requests = array();
		foreach ( (array) $args['images'] as $image ) {
			$url = (string) $image['url'];
			if ( ! isset( $requests[ $url ] ) ) {
				$requests[ $url ] = array(
					'alt'     => isset( $image['alt'] ) ? (string) $image['alt'] : null,
					'caption' => isset( $image['caption'] ) ? (string) $image['caption'] : null,
				);
			}
		}
		$fetcher     = new Image_Fetcher( (float) Contract::limit( 'body_images_time_budget_seconds' ) );
		$attachments = new Attachments();
		$results     = array();
		foreach ( $requests as $url => $request ) {
			$url = (string) $url;
			try {
				$results[] = $this->import( $url, $request, $fetcher, $attachments );
			} catch ( Image_Error $error ) {
				$warning   = $error->to_warning( '' );
				$results[] = array(
					'url'     => $url,
					'warning' => array(
						'code'    => $warning['code'],
						'message' => $warning['message'],
					),
				);
			}
		}
		return array( 'images' => $results );
	}

	/**
	 * One image: reuse by source URL, else fetch and sideload under its lock row.
	 *
	 * @param string                                   $url         Source URL.
	 * @param array{alt:?string,caption:?string}       $request     Alt text and caption of a new attachment.
	 * @param Image_Fetcher                            $fetcher     Fetcher of this op (one time budget).
	 * @param Attachments                              $attachments Attachment writer.
	 * @return array{url:string,attachment_id:int,src:string,reused:bool}
	 * @throws Image_Error When the image cannot be used.
	 */
	private function import( string $url, array $request, Image_Fetcher $fetcher, Attachments $attachments ): array {
		$existing = Attachments::find_by_source_url( $url );
		if ( $existing > 0 ) {
			return self::entry( $url, $existing, true );
		}
		// A lock still busy after the wait is not an error: the download goes ahead (as Image_Attacher does).
		$lock = Named_Lock::acquire( 'image:' . sha1( $url ), self::LOCK_TTL, self::IMAGE_LOCK_WAIT );
		try {
			$existing = Attachments::find_by_source_url( $url );
			if ( $existing > 0 ) {
				return self::entry( $url, $existing, true );
			}
			$file = $fetcher->fetch( $url );
			try {
				$id = $attachments->sideload( $file, 0, $url, $request['alt'], $request['caption'] );
			} catch ( \RuntimeException $error ) {
				throw Image_Error::failed( 'WordPress could not store the image.' );
			}
			return self::entry( $url, $id, false );
		} finally {
			if ( null !== $lock ) {
				$lock->release();
			}
		}
	}

	/**
	 * The result entry of an attachment.
	 *
	 * @param string $url    Source URL.
	 * @param int    $id     Attachment id.
	 * @param bool   $reused Whether it existed before this op.
	 * @return array{url:string,attachment_id:int,src:string,reused:bool}
	 */
	private static function entry( string $url, int $id, bool $reused ): array {
		$src = wp_get_attachment_url( $id );
		return array(
			'url'           => $url,
			'attachment_id' => $id,
			'src'           => is_string( $src ) ? $src : '',
			'reused'        => $reused,
		);
	}
}
