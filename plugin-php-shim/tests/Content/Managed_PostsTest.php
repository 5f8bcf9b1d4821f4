<?php
/**
 * Content\Managed_Posts: the one rule for "a managed post" and "the post of a content id", and that publish
 * (upsert_post), find_posts and the rule name the same post when two posts share one content id.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Content;

use Igny8\Bridge\Content\Managed_Posts;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Managed_PostsTest extends TestCase {

	/**
	 * A post written straight to the database (no plugin logic), with meta.
	 */
	private static function post( string $status, array $meta, string $type = 'post' ): int {
		$id = (int) wp_insert_post( array( 'post_title' => 'Rule ' . Wp::run_id(), 'post_status' => $status, 'post_type' => $type ) );
		foreach ( $meta as $key => $value ) {
			add_post_meta( $id, $key, (string) $value );
		}
		return $id;
	}

	/**
	 * @testdox two posts share a content id: the oldest wins, the other is a duplicate
	 */
	public function test_oldest_wins(): void {
		$cid    = Wp::base() + 600;
		$oldest = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		$newer  = self::post( 'draft', array( '_igny8_content_id' => $cid ) );
		$this->assertSame( array( $oldest, $newer ), Managed_Posts::ids_for_content_id( $cid ) );
		$this->assertSame( $oldest, Managed_Posts::for_content_id( $cid )->ID );
		$this->assertSame( array( $newer ), Managed_Posts::duplicates( Managed_Posts::ids_for_content_id( $cid ) ) );
	}

	/**
	 * @testdox a trashed oldest post loses to a newer non-trashed one; when all are trashed the oldest trashed wins
	 */
	public function test_trash_loses(): void {
		$cid     = Wp::base() + 601;
		$trashed = self::post( 'trash', array( '_igny8_content_id' => $cid ) );
		$newer   = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		$this->assertSame( $newer, Managed_Posts::for_content_id( $cid )->ID );
		$this->assertSame( array(), Managed_Posts::duplicates( Managed_Posts::ids_for_content_id( $cid ) ), 'a trashed copy is no duplicate' );
		wp_trash_post( $newer );
		$this->assertSame( $trashed, Managed_Posts::for_content_id( $cid )->ID );
	}

	/**
	 * @testdox only allowed post types count (an attachment or a disallowed type carrying the id is ignored)
	 */
	public function test_allowed_types_only(): void {
		$cid = Wp::base() + 602;
		self::post( 'inherit', array( '_igny8_content_id' => $cid ), 'attachment' );
		$this->assertNotContains( 'igny8_test_type', Managed_Posts::post_types() );
		self::post( 'publish', array( '_igny8_content_id' => $cid ), 'igny8_test_type' );
		$this->assertNull( Managed_Posts::for_content_id( $cid ) );
		$page = self::post( 'publish', array( '_igny8_content_id' => $cid ), 'page' );
		$this->assertSame( $page, Managed_Posts::for_content_id( $cid )->ID );
	}

	/**
	 * @testdox managed: an allowed post type carrying the content id or the task id; nothing else
	 */
	public function test_is_managed(): void {
		$by_content = get_post( self::post( 'publish', array( '_igny8_content_id' => Wp::base() + 603 ) ) );
		$by_task    = get_post( self::post( 'publish', array( '_igny8_task_id' => Wp::base() + 604 ) ) );
		$plain      = get_post( self::post( 'publish', array() ) );
		$other_type = get_post( self::post( 'publish', array( '_igny8_content_id' => Wp::base() + 605 ), 'igny8_test_type' ) );
		$this->assertTrue( Managed_Posts::is_managed( $by_content ) );
		$this->assertTrue( Managed_Posts::is_managed( $by_task ) );
		$this->assertFalse( Managed_Posts::is_managed( $plain ) );
		$this->assertFalse( Managed_Posts::is_managed( $other_type ) );
	}

	/**
	 * @testdox publish, find_posts and the rule name the same post of a shared content id; publish warns DUPLICATE_CONTENT_ID
	 */
	public function test_publish_and_find_posts_agree(): void {
		$cid    = Wp::base() + 606;
		$trash  = self::post( 'trash', array( '_igny8_content_id' => $cid ) );
		$oldest = self::post( 'draft', array( '_igny8_content_id' => $cid ) );
		$newer  = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		$r      = Wp::run( Wp::op( $cid ) );
		$this->assertTrue( $r['ok'], Wp::detail( $r ) );
		$this->assertSame( $oldest, $r['post_id'], 'publish writes to the oldest non-trashed post' );
		$this->assertTrue( Wp::has_warning( $r, 'DUPLICATE_CONTENT_ID', 'content_id' ), Wp::detail( $r ) );
		$this->assertSame( $oldest, Managed_Posts::for_content_id( $cid )->ID );
		$found = Wp::run( array( 'op' => 'find_posts', 'meta_key' => '_igny8_content_id', 'meta_value' => (string) $cid ) );
		$this->assertSame( array( $trash, $oldest, $newer ), array_column( $found['posts'], 'id' ), 'find_posts lists every managed post of the id, oldest first' );
		$picked = array_values( array_filter( $found['posts'], static function ( $p ) { return 'trash' !== $p['status']; } ) )[0]['id'];
		$this->assertSame( $r['post_id'], $picked, 'the rule applied to find_posts names the post publish wrote to' );
	}

	/**
	 * @testdox publish with one post per content id gives no duplicate warning (a trashed copy does not count)
	 */
	public function test_no_warning_without_duplicates(): void {
		$cid = Wp::base() + 607;
		self::post( 'trash', array( '_igny8_content_id' => $cid ) );
		$post = self::post( 'publish', array( '_igny8_content_id' => $cid ) );
		$r    = Wp::run( Wp::op( $cid ) );
		$this->assertSame( $post, $r['post_id'] );
		$this->assertFalse( Wp::has_warning( $r, 'DUPLICATE_CONTENT_ID' ), Wp::detail( $r ) );
	}

	public static function setUpBeforeClass(): void {
		register_post_type( 'igny8_test_type', array( 'public' => true ) );
	}

	public static function tearDownAfterClass(): void {
		unregister_post_type( 'igny8_test_type' );
	}
}
