<?php
/**
 * The post-row writer of `upsert_post`: the post row, its meta, its terms and its final status.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Bridge_Error;
use Igny8\Bridge\Contract;
use Igny8\Bridge\Install\Integration_User;
use Igny8\Bridge\Registration\Settings;
use Igny8\Bridge\Support\Post_Meta_Batch;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Writes inside the transaction of a Transaction_Runner. Inside a real transaction a new post is inserted with its
 * final status but without the after-insert hooks (as core's REST controller does); finish() fires
 * wp_after_insert_post last, so plugins see a complete post. Without a working transaction it is inserted as a
 * draft marked `_igny8_incomplete` and gets its final status in finish(). An existing post entering a public
 * status gets it in finish(), too. Every value passed to a core writer is wp_slash()ed (they unslash).
 */
final class Post_Writer {

	/**
	 * Statuses applied only after everything else is written when a post enters them.
	 */
	private const FINAL_STATUSES = array( 'publish', 'future', 'private' );

	private Term_Resolver $resolver;

	/**
	 * Whether write_row() set the categories already (write_terms() then skips them).
	 *
	 * @var bool
	 */
	private bool $categories_set = false;

	/**
	 * A writer for one attempt.
	 *
	 * @param Term_Resolver $resolver Term resolver of the attempt.
	 */
	public function __construct( Term_Resolver $resolver ) {
		$this->resolver = $resolver;
	}

	/**
	 * The post row: inserted (new content id) or updated (the post found for it).
	 *
	 * @param int                             $content_id Content id.
	 * @param string                          $post_type  Post type.
	 * @param array<string,mixed>             $post       The op's post fields.
	 * @param \WP_Post|null                   $existing   The post of this content id, if any.
	 * @param Transaction_Runner              $runner     The running attempt (told about a created post).
	 * @param array<int,array<string,string>> $warnings   Warnings (appended).
	 * @param array<string,array<int,array>>  $terms      Term references of the taxonomies to write: categories
	 *                                                    named here are set with the row (a new post of type
	 *                                                    `post` never gets the default category to lose again).
	 * @return array{post_id:int,created:bool,direct:bool} direct: inserted with its final status already.
	 * @throws Bridge_Error OPERATION_FAILED.
	 */
	public function write_row( int $content_id, string $post_type, array $post, ?\WP_Post $existing, Transaction_Runner $runner, array &$warnings, array $terms = array() ): array {
		$wanted = (string) $post['post_status'];
		$author = $this->author( $post, $post_type, $existing, $warnings );
		$fields = self::post_fields( $post );
		if ( ! empty( $terms['category'] ) && is_object_in_taxonomy( $post_type, 'category' ) ) {
			$categories = $this->resolver->resolve( 'category', $terms['category'] );
			sort( $categories, SORT_NUMERIC );
			if ( $categories ) {
				$fields['post_category'] = $categories;
				$this->categories_set    = true;
			}
		}

		// The post row. Inside a real transaction a new post takes its final status at once, the way core's REST
		// controller creates posts: inserted without the after-insert hooks, then meta, terms and images, then
		// wp_after_insert_post fired by us, so plugins reacting to it see the complete post (and nobody can see
		// it before COMMIT). Without a transaction the post starts as a draft marked incomplete, so a crash can
		// only leave an unpublished draft, which the retry finds by its content id and completes.
		$direct = false;
		if ( null === $existing ) {
			$created = true;
			$direct  = $runner->is_transactional() && 'trash' !== $wanted;
			$insert  = $fields + array(
				'post_type'   => $post_type,
				'post_status' => $direct ? $wanted : 'draft',
				'post_author' => (int) $author,
			);
			$post_id = wp_insert_post( wp_slash( $insert ), true, ! $direct );
			if ( is_wp_error( $post_id ) || ! $post_id ) {
				throw new Bridge_Error( 'OPERATION_FAILED', 'WordPress did not create the post: ' . ( is_wp_error( $post_id ) ? $post_id->get_error_message() : 'unknown error' ) );
			}
			$post_id = (int) $post_id;
			$runner->created( $post_id );
			// A post created just now has no meta rows yet: add, not update (which reloads the meta cache and looks
			// for the row first: two queries more).
			add_post_meta( $post_id, (string) Contract::meta( 'match_key' ), (string) $content_id );
			if ( ! $direct ) {
				add_post_meta( $post_id, (string) Contract::meta( 'incomplete_marker_key' ), '1' );
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
		return array(
			'post_id' => $post_id,
			'created' => $created,
			'direct'  => $direct,
		);
	}

	/**
	 * Meta (checked by Upsert_Post_Args): null deletes the key.
	 *
	 * @param int                 $post_id Post id.
	 * @param array<string,mixed> $meta    The op's meta.
	 */
	public function write_meta( int $post_id, array $meta ): void {
		$own    = array();
		$others = array();
		foreach ( $meta as $key => $value ) {
			$key   = (string) $key;
			$value = Upsert_Post_Args::meta_value( $key, $value );
			if ( null === $value ) {
				delete_post_meta( $post_id, $key );
			} elseif ( 0 === strpos( $key, '_igny8_' ) ) {
				$own[ $key ] = $value;
			} else {
				$others[ $key ] = $value;
			}
		}
		// The plugin's own keys in one or two statements (Support\Post_Meta_Batch) instead of three queries a key:
		// a publish writes a dozen of them, inside the transaction and the content id's lock.
		if ( $own ) {
			Post_Meta_Batch::write( $post_id, array( $own ) );
		}
		// Other plugins' keys (SEO) through core, so their hooks run: a key without a row is one INSERT (add), not
		// a cache reload, a SELECT and an INSERT (update).
		$existing = $others ? get_post_meta( $post_id ) : array();
		foreach ( $others as $key => $value ) {
			if ( is_array( $existing ) && ! isset( $existing[ $key ] ) ) {
				add_post_meta( $post_id, $key, wp_slash( $value ) );
			} else {
				update_post_meta( $post_id, $key, wp_slash( $value ) );
			}
		}
	}

	/**
	 * Terms: ids only. A taxonomy sent as [] loses all its terms (category then gets the default one).
	 *
	 * @param int                            $post_id Post id.
	 * @param array<string,array<int,array>> $terms   Term references of the taxonomies to write.
	 * @throws Bridge_Error OPERATION_FAILED.
	 */
	public function write_terms( int $post_id, array $terms ): void {
		foreach ( $terms as $taxonomy => $items ) {
			if ( 'category' === $taxonomy && $this->categories_set ) {
				continue;
			}
			$ids = $this->resolver->resolve( $taxonomy, $items );
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
	}

	/**
	 * The final status, last: wp_after_insert_post for a post inserted with it, else the status itself.
	 *
	 * @param int                 $post_id Post id.
	 * @param bool                $direct  What write_row() said.
	 * @param array<string,mixed> $post    The op's post fields.
	 * @return array<int,array<string,string>> Warnings.
	 * @throws Bridge_Error OPERATION_FAILED.
	 */
	public function finish( int $post_id, bool $direct, array $post ): array {
		if ( $direct ) {
			wp_after_insert_post( $post_id, false, null );
			return array();
		}
		$warnings = $this->apply_status( $post_id, (string) $post['post_status'], $post );
		delete_post_meta( $post_id, (string) Contract::meta( 'incomplete_marker_key' ) );
		return $warnings;
	}

	/**
	 * The op's result, after COMMIT.
	 *
	 * @param int                             $post_id     Post id.
	 * @param bool                            $created     Whether this op created it.
	 * @param int[]                           $gallery_ids Gallery attachment ids.
	 * @param array<int,array<string,string>> $warnings    Every warning of the op.
	 * @return array<string,mixed>
	 */
	public function result( int $post_id, bool $created, array $gallery_ids, array $warnings ): array {
		clean_post_cache( $post_id );
		$thumbnail = (int) get_post_thumbnail_id( $post_id );
		return array(
			'post_id'           => $post_id,
			'created'           => $created,
			'post_type'         => (string) get_post_type( $post_id ),
			'post_status'       => (string) get_post_status( $post_id ),
			'permalink'         => (string) get_permalink( $post_id ),
			'term_ids'          => self::term_ids( $post_id ),
			'featured_image_id' => $thumbnail > 0 ? $thumbnail : null,
			'gallery_ids'       => $gallery_ids,
			'warnings'          => array_values( $warnings ),
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
					$warnings[] = Warning::of( 'TRASH_BLOCKED', 'WordPress (or a plugin) did not move the post to the trash.', 'post.post_status' );
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
				$warnings[] = Warning::of( 'TRASH_DISABLED', 'The trash is disabled on this site (EMPTY_TRASH_DAYS): the status was set without trash records.', 'post.post_status' );
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
			$warnings[] = Warning::of( 'AUTHOR_NOT_FOUND', 'No user with this email can write this post type; the default author was used.', 'post.author_email' );
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
			'post_content' => Html_Cleaner::clean( (string) $post['post_content'] ),
		);
		if ( isset( $post['post_excerpt'] ) ) {
			$fields['post_excerpt'] = Html_Cleaner::clean( (string) $post['post_excerpt'] );
		}
		if ( isset( $post['post_date_gmt'] ) ) {
			$fields['post_date_gmt'] = (string) $post['post_date_gmt'];
			$fields['post_date']     = get_date_from_gmt( (string) $post['post_date_gmt'] );
			$fields['edit_date']     = true;
		}
		return $fields;
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
		// Every taxonomy of the post in one term query (the object term cache, ordered by name as
		// wp_get_object_terms() orders them), not two queries per taxonomy.
		update_object_term_cache( array( $post_id ), $type );
		foreach ( Contract::writable_taxonomies() as $taxonomy ) {
			$ids[ $taxonomy ] = array();
			if ( ! taxonomy_exists( $taxonomy ) || ! is_object_in_taxonomy( $type, $taxonomy ) ) {
				continue;
			}
			$cached = get_object_term_cache( $post_id, $taxonomy );
			$found  = is_array( $cached )
				? wp_list_pluck( $cached, 'term_id' )
				: wp_get_object_terms(
					$post_id,
					$taxonomy,
					array(
						'fields'                 => 'ids',
						'update_term_meta_cache' => false,
					)
				);
			if ( is_array( $found ) ) {
				$ids[ $taxonomy ] = array_values( array_map( 'intval', $found ) );
			}
		}
		return $ids;
	}
}
