<?php
/**
 * Operation `upsert_post`: the whole publish write, atomic and idempotent.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Content\Local_Edits;
use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Media\Attachments;
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
 * Field names come from the sidecar; the shim only enforces the contract's bounds and WordPress's rules. This class
 * orchestrates; Upsert_Post_Args checks the op, Image_Attacher prepares and attaches the images, Post_Writer writes
 * the post row, meta, terms and status, Transaction_Runner runs each attempt with the crash guard, Html_Cleaner
 * cleans content and excerpt.
 *
 * 1. Images first, before any lock or transaction (no network I/O inside it): an attachment whose source URL
 *    meta equals the URL is reused; otherwise the image is fetched to a temp file (Image_Fetcher: SSRF rules),
 *    under the lock row `image:<sha1(url)>` so concurrent publishes do not download it twice. An image that
 *    cannot be used is a warning (IMAGE_REFUSED / IMAGE_FAILED), never an error.
 * 2. The terms are looked up (read-only, before any lock): a term that exists and needs no change needs no lock
 *    and is not looked up again in the transaction; the others name their lock rows. Then the lock row
 *    `content:<id>`; the post of the content id by the content-id rule (Content\Managed_Posts: allowed post
 *    types, every status but inherit, the oldest non-trashed first). Term lock rows follow (content → terms,
 *    sorted). The content lock is held only for what needs it: the lookup of the post, the term locks and the
 *    transaction.
 * 3. One transaction: a new post is inserted with its final status but without the after-insert hooks (as core's
 *    REST controller does), then meta, terms (ids via Term_Resolver, then wp_set_object_terms), attachments
 *    (media_handle_sideload), thumbnail and gallery are written, and wp_after_insert_post fires last, so plugins
 *    see a complete post. Without a working transaction it is inserted as a draft marked `_igny8_incomplete`
 *    and gets its final status last. An existing post entering a public status gets it last, too.
 *    Every value passed to a core writer is wp_slash()ed (they unslash). On any failure: ROLLBACK, caches
 *    cleaned, files of attachments created here deleted. A deadlock (MySQL rolls back by itself) is retried.
 * 4. Commit, release the locks, fire `igny8_bridge_post_upserted`.
 *
 * Local edits (contract meta.local_edits): when the post's title, content or excerpt differ from the hashes of
 * IGNY8's last write, `local_edits: "refuse"` fails with LOCAL_EDITS (details.fields) before anything is written;
 * otherwise the editor's version is kept as a revision inside the transaction and the result carries
 * `local_edits {fields, revision_id|null, revisions_enabled}`. Every write stores the new hashes of what is stored.
 *
 * Crash guarantees: a PHP fatal error (or exit) inside the transaction runs a handler that rolls back, deletes the
 * files of attachments created so far and the post this request created if its row survived (non-transactional
 * tables), and releases the lock rows. InnoDB and SQLite also discard an uncommitted transaction when the
 * connection dies, so after a kill -9 nothing of the attempt remains there; on non-transactional (MyISAM)
 * tables a draft marked `_igny8_incomplete` may remain, and the retry finds it by its content id and completes
 * it. Lock rows of a killed process stay until they expire (LOCK_TTL seconds); a retry meanwhile gets CONFLICT.
 */
final class Upsert_Post implements Operation {

	private const LOCK_TTL = 120;

	private const CONTENT_LOCK_WAIT = 20.0;

	private const TERM_LOCK_WAIT = 15.0;

	private const MAX_ATTEMPTS = 3;

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		Upsert_Post_Args::check( $args );
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		$content_id = (int) $args['content_id'];
		$post_type  = (string) $args['post_type'];
		$warnings   = array();

		$terms = array();
		foreach ( (array) ( $args['terms'] ?? array() ) as $taxonomy => $items ) {
			if ( ! is_object_in_taxonomy( $post_type, (string) $taxonomy ) ) {
				$warnings[] = Warning::of( 'TAXONOMY_NOT_SUPPORTED', "Posts of type {$post_type} do not use {$taxonomy}; its terms were skipped.", "terms.{$taxonomy}" );
				continue;
			}
			$terms[ (string) $taxonomy ] = array_values( $items );
		}

		$images = new Image_Attacher( $args );
		try {
			// 1. Images: reuse or download, before any content lock or transaction.
			$images->prepare();

			// 2. The terms' lookups (read-only), then the content lock.
			$planner = new Term_Resolver();
			$names   = array();
			foreach ( $terms as $taxonomy => $items ) {
				foreach ( $planner->plan( $taxonomy, $items ) as $name ) {
					$names[ $name ] = true;
				}
			}
			$names = array_keys( $names );
			sort( $names, SORT_STRING );

			$lock = Named_Lock::acquire( 'content:' . $content_id, self::LOCK_TTL, self::CONTENT_LOCK_WAIT );
			if ( null === $lock ) {
				throw new Bridge_Error( 'CONFLICT', 'Another write of this content_id is still running; retry.', 'content_id' );
			}
			try {
				$result = $this->write_locked( $content_id, $post_type, $args, $terms, $names, $planner->settled(), $images, $warnings );
			} finally {
				$lock->release();
			}
		} finally {
			$images->release();
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
	 * @param string[]                                 $names      Term lock rows to take, sorted (Term_Resolver::plan).
	 * @param array<string,int>                        $settled    References needing no lock (Term_Resolver::settled).
	 * @param Image_Attacher                           $images     The op's images, prepared.
	 * @param array<int,array<string,string>>          $warnings   Warnings so far.
	 * @return array<string,mixed>
	 * @throws Bridge_Error On refusal, conflict or failure.
	 */
	private function write_locked( int $content_id, string $post_type, array $args, array $terms, array $names, array $settled, Image_Attacher $images, array $warnings ): array {
		$existing = $this->find_existing( $content_id, $warnings );
		$edited   = null === $existing ? array() : Local_Edits::differing( $existing );
		if ( $edited && 'refuse' === ( $args['local_edits'] ?? 'overwrite' ) ) {
			throw ( new Bridge_Error( 'LOCAL_EDITS', 'The post was edited in WordPress since IGNY8 last wrote it (' . implode( ', ', $edited ) . '); nothing was written.', 'local_edits' ) )
				->with_details( array( 'fields' => $edited ) );
		}

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
				$result = $this->attempt( $content_id, $post_type, $args, $terms, $settled, $images, $existing, $edited, $warnings );
				if ( null !== $result ) {
					return $result;
				}
				if ( $attempt >= self::MAX_ATTEMPTS ) {
					throw new Bridge_Error( 'CONFLICT', 'The database kept aborting the write (deadlock); retry.', 'content_id' );
				}
				usleep( 100000 * $attempt );
				$ignored  = array();
				$existing = $this->find_existing( $content_id, $ignored );
				$edited   = null === $existing ? array() : Local_Edits::differing( $existing );
			}
		} finally {
			foreach ( array_reverse( $term_locks ) as $term_lock ) {
				$term_lock->release();
			}
		}
	}

	/**
	 * One attempt: the writes in one transaction (Transaction_Runner), then the result.
	 *
	 * @param int                             $content_id Content id.
	 * @param string                          $post_type  Post type.
	 * @param array<string,mixed>             $args       Operation arguments.
	 * @param array<string,array<int,array>>  $terms      Term references.
	 * @param array<string,int>               $settled    References needing no lock (Term_Resolver::settled).
	 * @param Image_Attacher                  $images     The op's images, prepared.
	 * @param \WP_Post|null                   $existing   The post of this content id, if any.
	 * @param string[]                        $edited     Its fields edited in WordPress since IGNY8's last write.
	 * @param array<int,array<string,string>> $warnings   Warnings so far.
	 * @return array<string,mixed>|null The result, or null when the database aborted the transaction (retry).
	 * @throws \Throwable Anything else, after the rollback.
	 */
	private function attempt( int $content_id, string $post_type, array $args, array $terms, array $settled, Image_Attacher $images, ?\WP_Post $existing, array $edited, array $warnings ): ?array {
		$post           = (array) $args['post'];
		$attachments    = new Attachments();
		$resolver       = new Term_Resolver( $settled );
		$writer         = new Post_Writer( $resolver );
		$runner         = new Transaction_Runner( $attachments, $resolver, null === $existing ? 0 : (int) $existing->ID );
		$image_warnings = array();
		$written        = $runner->run(
			static function ( Transaction_Runner $runner ) use ( $writer, $images, $attachments, $content_id, $post_type, $args, $post, $terms, $existing, $edited, &$warnings, &$image_warnings ): array {
				// The editor's version is never lost silently: kept as a revision before IGNY8's replaces it.
				$revision = ( $edited && null !== $existing ) ? Local_Edits::keep_revision( $existing ) : null;
				// Term counts once per term, at the end of the writes: a new post's categories were counted when
				// wp_insert_post set them and again when it gave the post its status (4 queries and a cache query).
				// Counted inside the transaction still (a rollback leaves the counts as they were).
				$defer = ! wp_defer_term_counting();
				if ( $defer ) {
					wp_defer_term_counting( true );
				}
				try {
					$row = $writer->write_row( $content_id, $post_type, $post, $existing, $runner, $warnings, $terms );
					$writer->write_meta( $row['post_id'], (array) $args['meta'] );
					Seo_Table_Writer::write( $row['post_id'], (array) ( $args['seo_rows'] ?? array() ) );
					$writer->write_terms( $row['post_id'], $terms );
					$image_warnings = array();
					$row['gallery'] = $images->attach( $row['post_id'], $attachments, $image_warnings );
				} finally {
					if ( $defer ) {
						wp_defer_term_counting( false );
					}
				}
				$row['status'] = $writer->finish( $row['post_id'], $row['direct'], $post );
				// The baseline is what is stored now (kses, blocks, local image URLs): none of that is a WordPress edit.
				Local_Edits::store_written( (int) $row['post_id'] );
				$row['revision'] = $revision;
				return $row;
			}
		);
		if ( null === $written ) {
			return null;
		}
		$post_id = (int) $written['post_id'];
		$result  = $writer->result(
			$post_id,
			(bool) $written['created'],
			$images->gallery_ids( $post_id, $written['gallery'] ),
			array_merge( $warnings, $resolver->warnings(), $image_warnings, $written['status'] )
		);
		if ( $edited && null !== $existing ) {
			$result['local_edits'] = array(
				'fields'            => $edited,
				'revision_id'       => $written['revision'],
				'revisions_enabled' => wp_revisions_enabled( $existing ),
			);
		}
		return $result;
	}

	/**
	 * The post of a content id by the content-id rule (Content\Managed_Posts); a warning when other non-trashed
	 * posts carry it too.
	 *
	 * @param int                             $content_id Content id.
	 * @param array<int,array<string,string>> $warnings   Warnings (appended).
	 */
	private function find_existing( int $content_id, array &$warnings ): ?\WP_Post {
		$ids = Managed_Posts::ids_for_content_id( $content_id );
		if ( ! $ids ) {
			return null;
		}
		$others = Managed_Posts::duplicates( $ids );
		if ( $others ) {
			$warnings[] = Warning::of( 'DUPLICATE_CONTENT_ID', 'Several posts carry this content_id (' . implode( ', ', array_merge( array( $ids[0] ), $others ) ) . "); post {$ids[0]} was updated.", 'content_id' );
		}
		// The winner of the query just made (Managed_Posts::for_content_id() would run it again), read fresh.
		clean_post_cache( $ids[0] );
		$post = get_post( $ids[0] );
		return $post instanceof \WP_Post ? $post : null;
	}
}
