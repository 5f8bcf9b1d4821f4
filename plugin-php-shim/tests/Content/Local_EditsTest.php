<?php
/**
 * Content\Local_Edits (issue #13 §4) in a real WordPress: every IGNY8 write (upsert_post) stores the SHA-256 of
 * title, content and excerpt as finally stored; a later WordPress save (wp_update_post as an editor, through the
 * real wp_after_insert_post hook) that changes them marks the post "edited in WordPress" with time, user and the
 * fields; an unchanged save, a repeated save and IGNY8's own rewrites (kses, the body-image URL rewrite) are not
 * edits; the next IGNY8 write clears the mark.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Content;

use Igny8\Bridge\Content\Local_Edits;
use Igny8\Bridge\Sync\Sync_Posts;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Local_EditsTest extends TestCase {

	/** @var int The editor who saves in WordPress (an administrator of the test site). */
	private static $editor = 0;

	public static function setUpBeforeClass(): void {
		$ids = get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) );
		self::$editor = (int) ( $ids[0] ?? 0 );
	}

	public static function tearDownAfterClass(): void {
		wp_set_current_user( 0 );
		Wp::stop_servers();
	}

	/** An IGNY8 write of a content id (upsert_post through the proxy executor). */
	private static function igny8_write( int $content_id, array $post ): array {
		$r = Wp::run( Wp::op( $content_id, array( 'post' => $post ) ) );
		clean_post_cache( (int) ( $r['post_id'] ?? 0 ) );
		return $r;
	}

	/** A save in WordPress by the editor (the real hooks run, outside Sync_Guard). */
	private static function wordpress_save( int $post_id, array $fields ): void {
		wp_set_current_user( self::$editor );
		try {
			$saved = wp_update_post( wp_slash( array( 'ID' => $post_id ) + $fields ), true );
			if ( is_wp_error( $saved ) ) {
				throw new \RuntimeException( $saved->get_error_message() );
			}
		} finally {
			wp_set_current_user( 0 );
		}
		clean_post_cache( $post_id );
	}

	/** The decoded JSON meta of a contract local_edits key, or null. */
	private static function json_meta( int $post_id, string $name ): ?array {
		$raw = (string) get_post_meta( $post_id, Local_Edits::key( $name ), true );
		return '' === $raw ? null : json_decode( $raw, true );
	}

	/** The expected hashes of the post as WordPress stores it now. */
	private static function stored_hashes( int $post_id ): array {
		$post = get_post( $post_id );
		return array(
			'post_title'   => hash( 'sha256', $post->post_title ),
			'post_content' => hash( 'sha256', $post->post_content ),
			'post_excerpt' => hash( 'sha256', $post->post_excerpt ),
		);
	}

	/**
	 * @testdox the test site has an administrator to save as
	 */
	public function test_editor(): void {
		$this->assertGreaterThan( 0, self::$editor );
	}

	/**
	 * @depends test_editor
	 * @testdox an IGNY8 write stores the SHA-256 of title, content and excerpt as stored (after kses), and no edit mark
	 */
	public function test_write_stores_hashes(): int {
		$r = self::igny8_write(
			Wp::base() + 300,
			array(
				'post_title'   => 'IGNY8 title',
				'post_content' => '<p>IGNY8 body<script>alert(1)</script></p>',
				'post_excerpt' => 'IGNY8 excerpt',
			)
		);
		$this->assertTrue( $r['ok'], Wp::detail( $r ) );
		$post_id = (int) $r['post_id'];
		$stored  = get_post( $post_id );
		$this->assertStringNotContainsString( '<script>', $stored->post_content, 'kses ran' );
		$this->assertSame( self::stored_hashes( $post_id ), self::json_meta( $post_id, 'written_hash_key' ) );
		$this->assertNull( self::json_meta( $post_id, 'edit_key' ) );
		$this->assertSame( array(), Local_Edits::differing( $stored ) );
		return $post_id;
	}

	/**
	 * @depends test_write_stores_hashes
	 * @testdox a WordPress save of the stored fields unchanged (kses' output included) is not an edit
	 */
	public function test_unchanged_save_is_not_an_edit( int $post_id ): void {
		$stored = get_post( $post_id );
		self::wordpress_save( $post_id, array( 'post_title' => $stored->post_title, 'post_content' => $stored->post_content, 'post_excerpt' => $stored->post_excerpt ) );
		$this->assertNull( self::json_meta( $post_id, 'edit_key' ) );
		$this->assertSame( '', Local_Edits::pending_seq( $post_id ) );
	}

	/**
	 * @depends test_write_stores_hashes
	 * @testdox a WordPress save that changes the title marks the post edited: GMT time, the editor's id and name, the field; the content waits for IGNY8 under the marker's seq
	 */
	public function test_save_marks_edit( int $post_id ): array {
		$before = time();
		self::wordpress_save( $post_id, array( 'post_title' => 'Title edited in WordPress' ) );
		$edit = self::json_meta( $post_id, 'edit_key' );
		$this->assertIsArray( $edit );
		$this->assertSame( array( 'post_title' ), $edit['fields'] );
		$this->assertSame( self::$editor, $edit['user_id'] );
		$this->assertSame( get_userdata( self::$editor )->display_name, $edit['user_name'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/', $edit['at'] );
		$at = strtotime( $edit['at'] . ' UTC' );
		$this->assertGreaterThanOrEqual( $before - 1, $at );
		$this->assertLessThanOrEqual( time() + 1, $at );
		$this->assertSame( array( 'post_title' ), Local_Edits::differing( get_post( $post_id ) ) );
		$marker = (string) get_post_meta( $post_id, Sync_Posts::marker_key(), true );
		$this->assertNotSame( '', $marker );
		$this->assertSame( $marker, Local_Edits::pending_seq( $post_id ) );
		return array( 'post_id' => $post_id, 'edit' => $edit );
	}

	/**
	 * @depends test_save_marks_edit
	 * @testdox saving the same edited version again keeps the first mark (same time, same hash)
	 */
	public function test_repeated_save_keeps_mark( array $s ): array {
		self::wordpress_save( $s['post_id'], array( 'post_title' => 'Title edited in WordPress' ) );
		$this->assertSame( $s['edit'], self::json_meta( $s['post_id'], 'edit_key' ) );
		return $s;
	}

	/**
	 * @depends test_repeated_save_keeps_mark
	 * @testdox a further save that also changes content and excerpt names all three fields
	 */
	public function test_more_fields( array $s ): array {
		self::wordpress_save( $s['post_id'], array( 'post_content' => '<p>Body edited in WordPress</p>', 'post_excerpt' => 'Excerpt edited' ) );
		$edit = self::json_meta( $s['post_id'], 'edit_key' );
		$this->assertSame( array( 'post_title', 'post_content', 'post_excerpt' ), $edit['fields'] );
		$this->assertNotSame( $s['edit']['hash'], $edit['hash'] );
		return $s;
	}

	/**
	 * @depends test_more_fields
	 * @testdox the next IGNY8 write clears the mark and the waiting content, and stores the new baseline
	 */
	public function test_next_write_clears( array $s ): array {
		$r = self::igny8_write( Wp::base() + 300, array( 'post_title' => 'IGNY8 title 2', 'post_content' => '<p>IGNY8 body 2</p>', 'post_excerpt' => 'IGNY8 excerpt 2' ) );
		$this->assertTrue( $r['ok'], Wp::detail( $r ) );
		$this->assertSame( $s['post_id'], (int) $r['post_id'] );
		$this->assertSame( array( 'post_title', 'post_content', 'post_excerpt' ), $r['local_edits']['fields'] ?? null, Wp::detail( $r ) );
		$this->assertNull( self::json_meta( $s['post_id'], 'edit_key' ) );
		$this->assertSame( '', Local_Edits::pending_seq( $s['post_id'] ) );
		$this->assertSame( self::stored_hashes( $s['post_id'] ), self::json_meta( $s['post_id'], 'written_hash_key' ) );
		return $s;
	}

	/**
	 * @depends test_next_write_clears
	 * @testdox an edit reverted to IGNY8's version removes the mark
	 */
	public function test_revert_removes_mark( array $s ): void {
		self::wordpress_save( $s['post_id'], array( 'post_excerpt' => 'Changed for a moment' ) );
		$this->assertSame( array( 'post_excerpt' ), self::json_meta( $s['post_id'], 'edit_key' )['fields'] ?? null );
		self::wordpress_save( $s['post_id'], array( 'post_excerpt' => 'IGNY8 excerpt 2' ) );
		$this->assertNull( self::json_meta( $s['post_id'], 'edit_key' ) );
		$this->assertSame( array(), Local_Edits::differing( get_post( $s['post_id'] ) ) );
	}

	/**
	 * @depends test_editor
	 * @testdox the body-image URL rewrite is not an edit: content pointing at the imported attachment (local URL, wp-image-N) is the baseline, and saving it unchanged marks nothing
	 */
	public function test_image_rewrite_is_not_an_edit(): void {
		if ( ! Wp::start_servers() ) {
			$this->markTestSkipped( 'image fixture port ' . Wp::fixture_port() );
		}
		$remote = Wp::fix() . '/img/edit-' . Wp::run_id() . '.png';
		$import = Wp::run( array( 'op' => 'import_images', 'images' => array( array( 'url' => $remote, 'alt' => 'Alt' ) ) ) );
		$image  = $import['images'][0] ?? array();
		$this->assertGreaterThan( 0, $image['attachment_id'] ?? 0, Wp::detail( $import ) );
		// What the sidecar writes after the rewrite: the block with the attachment id, the local URL and class.
		$content = '<!-- wp:image {"id":' . $image['attachment_id'] . '} --><figure class="wp-block-image"><img src="' . esc_url( $image['src'] ) . '" alt="Alt" class="wp-image-' . $image['attachment_id'] . '"/></figure><!-- /wp:image -->';
		$r       = self::igny8_write( Wp::base() + 301, array( 'post_content' => $content ) );
		$this->assertTrue( $r['ok'], Wp::detail( $r ) );
		$post_id = (int) $r['post_id'];
		$stored  = get_post( $post_id );
		$this->assertStringNotContainsString( $remote, $stored->post_content );
		$this->assertSame( array(), Local_Edits::differing( $stored ) );
		self::wordpress_save( $post_id, array( 'post_content' => $stored->post_content ) );
		$this->assertNull( self::json_meta( $post_id, 'edit_key' ) );
		$this->assertSame( '', Local_Edits::pending_seq( $post_id ) );
		// And a republish with the same image (reused) writes the same content: still no edit, no overwrite report.
		$again = Wp::run( array( 'op' => 'import_images', 'images' => array( array( 'url' => $remote ) ) ) );
		$this->assertTrue( $again['images'][0]['reused'] ?? false, Wp::detail( $again ) );
		$r2 = self::igny8_write( Wp::base() + 301, array( 'post_content' => $content ) );
		$this->assertArrayNotHasKey( 'local_edits', $r2, Wp::detail( $r2 ) );
	}
}
