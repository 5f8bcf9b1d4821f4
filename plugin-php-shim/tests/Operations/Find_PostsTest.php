<?php
/**
 * Operations\Find_Posts: the lookups' read. The post rows come in one query (not WP_Query's id query and then the
 * rows), then the meta in one; what it returns is what WordPress's own query finds.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Content\Post_Reader;
use Igny8\Bridge\Operations\Find_Posts;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Find_PostsTest extends TestCase {

	/** A post written straight to the database (no plugin logic), with meta. */
	private static function post( string $status, array $meta, string $type = 'post' ): int {
		$id = (int) wp_insert_post( array( 'post_title' => 'Find ' . Wp::run_id(), 'post_status' => $status, 'post_type' => $type ) );
		foreach ( $meta as $key => $value ) {
			add_post_meta( $id, $key, (string) $value );
		}
		return $id;
	}

	/**
	 * The queries $fn runs, with the posts' caches emptied first (a lookup starts with nothing cached).
	 *
	 * @param int[] $ids Posts to uncache.
	 */
	private static function queries( array $ids, callable $fn, &$result ): array {
		foreach ( $ids as $id ) {
			clean_post_cache( $id );
		}
		$queries = array();
		$collect = static function ( $sql ) use ( &$queries ) {
			$queries[] = preg_replace( '/\s+/', ' ', trim( (string) $sql ) );
			return $sql;
		};
		add_filter( 'query', $collect );
		try {
			$result = $fn();
		} finally {
			remove_filter( 'query', $collect );
		}
		return $queries;
	}

	/**
	 * @testdox a lookup reads the post rows in one query and their meta in one, and finds every status oldest first
	 */
	public function test_rows_in_one_query(): void {
		Managed_Posts::post_types(); // The settings read (one query of its own at a lookup's start) is not counted.
		$cid   = Wp::base() + 900;
		$trash = self::post( 'trash', array( '_igny8_content_id' => $cid, '_igny8_task_id' => $cid + 1 ) );
		$draft = self::post( 'draft', array( '_igny8_content_id' => $cid ) );
		$page  = self::post( 'publish', array( '_igny8_content_id' => $cid ), 'page' );
		self::post( 'publish', array( '_igny8_content_id' => $cid + 1 ) );
		$ids     = array( $trash, $draft, $page );
		$op      = array( 'op' => 'find_posts', 'meta_key' => '_igny8_content_id', 'meta_value' => (string) $cid, 'limit' => 10, 'terms' => false );
		$queries = self::queries( $ids, static function () use ( $op ) {
			return Wp::run( $op );
		}, $found );
		$this->assertSame( $ids, array_column( $found['posts'], 'id' ), Wp::detail( $found ) );
		if ( ! Find_Posts::one_rows_query() ) {
			$this->assertCount( 3, $queries, 'MySQL / MariaDB: WordPress reads ids, rows, meta: ' . Wp::detail( $queries ) );
			return;
		}
		$this->assertCount( 2, $queries, 'rows, then meta: ' . Wp::detail( $queries ) );
		$this->assertMatchesRegularExpression( '/^SELECT\s+\S*posts\.\* FROM \S*posts INNER JOIN \S*postmeta .*_igny8_content_id.* LIMIT 0, 10$/', $queries[0] );
		$this->assertStringContainsString( 'postmeta WHERE post_id IN (' . implode( ',', $ids ) . ')', $queries[1] );
		foreach ( $found['posts'] as $read ) {
			$post = get_post( $read['id'] );
			$this->assertSame( array( $post->post_type, $post->post_status, $post->post_title ), array( $read['post_type'], $read['status'], $read['title'] ) );
		}
		$this->assertSame( $cid + 1, $found['posts'][0]['meta']->_igny8_task_id, 'the meta comes from the one meta query' );
		$this->assertEquals( (object) array(), $found['posts'][0]['terms'] );

		// WordPress's own query with the same arguments (its two-query path): the same posts, read the same.
		$plain = static function () use ( $cid ) {
			$posts = get_posts(
				array(
					'post_type'              => Managed_Posts::post_types(),
					'post_status'            => Managed_Posts::all_statuses(),
					'meta_query'             => array( array( 'key' => '_igny8_content_id', 'value' => (string) $cid, 'compare' => '=' ) ),
					'posts_per_page'         => 10,
					'orderby'                => 'ID',
					'order'                  => 'ASC',
					'no_found_rows'          => true,
					'ignore_sticky_posts'    => true,
					'suppress_filters'       => true,
					'update_post_term_cache' => false,
				)
			);
			return array_map( static function ( $post ) { return Post_Reader::read( $post, true, false ); }, $posts );
		};
		$this->assertCount( 3, self::queries( $ids, $plain, $expected ), 'WordPress alone reads the ids, then the rows, then the meta' );
		$this->assertEquals( $expected, $found['posts'] );
	}

	/**
	 * @testdox the limit and the order are WordPress's: limit 1 is the oldest post of the id
	 */
	public function test_limit(): void {
		$cid    = Wp::base() + 910;
		$oldest = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		self::post( 'draft', array( '_igny8_content_id' => $cid ) );
		$found = Wp::run( array( 'op' => 'find_posts', 'meta_key' => '_igny8_content_id', 'meta_value' => (string) $cid, 'limit' => 1 ) );
		$this->assertSame( array( $oldest ), array_column( $found['posts'], 'id' ) );
	}

	/**
	 * @testdox a result another posts_pre_query filter gives is left as it is; other queries are never touched
	 */
	public function test_other_filters_and_queries(): void {
		$cid  = Wp::base() + 920;
		$post = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		$none = static function () {
			return array();
		};
		add_filter( 'posts_pre_query', $none, 10 );
		try {
			$found = Wp::run( array( 'op' => 'find_posts', 'meta_key' => '_igny8_content_id', 'meta_value' => (string) $cid ) );
		} finally {
			remove_filter( 'posts_pre_query', $none, 10 );
		}
		$this->assertSame( array(), $found['posts'] );
		$this->assertFalse( has_filter( 'posts_pre_query', array( Find_Posts::class, 'rows_in_one_query' ) ), 'nothing left hooked after a lookup' );
		$this->assertSame( array( $post ), wp_list_pluck( get_posts( array( 'meta_key' => '_igny8_content_id', 'meta_value' => (string) $cid ) ), 'ID' ) );
	}
}
