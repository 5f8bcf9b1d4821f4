<?php
/**
 * Operations\Image_Attacher (through upsert_post), against the fixture servers of tests/fixtures/image-server.php: sideload,
 * reuse by source URL, the SSRF rules on redirects, size/type/pixel caps, temp files, rollback of sideloaded files.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Media\Url_Guard;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Image_AttacherTest extends TestCase {

	public static function tearDownAfterClass(): void {
		Wp::stop_servers();
	}

	/**
	 * @testdox image fixture servers started on the allow-listed 127.0.0.1 port and the next one
	 */
	public function test_fixture_servers(): void {
		$this->assertTrue( Wp::start_servers(), 'fixture port ' . Wp::fixture_port() );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox image on a non-allow-listed 127.0.0.1 port: IMAGE_REFUSED warning, post still published
	 */
	public function test_non_allow_listed_port(): void {
		$r = Wp::run( Wp::op( Wp::base() + 40, array( 'featured_image' => array( 'url' => Wp::nofix() . '/img/a-' . Wp::run_id() . '.png', 'alt' => 'Alt' ) ) ) );
		$this->assertTrue( true === $r['ok'] && 'publish' === $r['post_status'] && null === $r['featured_image_id'] && Wp::has_warning( $r, 'IMAGE_REFUSED', 'featured_image' ), Wp::detail( $r ) );
	}

	/**
	 * @depends test_non_allow_listed_port
	 * @testdox allow-listed image sideloaded and set as the thumbnail
	 */
	public function test_sideload(): array {
		$a   = Wp::fix() . '/img/a-' . Wp::run_id() . '.png';
		$ri1 = Wp::run( Wp::op( Wp::base() + 40, array( 'featured_image' => array( 'url' => $a, 'alt' => 'Alt \\ "text"', 'caption' => 'Cap' ) ) ) );
		$att = (int) ( $ri1['featured_image_id'] ?? 0 );
		$this->assertTrue( true === $ri1['ok'] && $att > 0 && $att === (int) get_post_thumbnail_id( $ri1['post_id'] ) && array() === $ri1['warnings'], Wp::detail( $ri1 ) );
		return array( 'a' => $a, 'att' => $att, 'post_id' => (int) $ri1['post_id'] );
	}

	/**
	 * @depends test_sideload
	 * @testdox attachment: image/png, attached to the post, alt (slashes kept), caption, source URL meta
	 */
	public function test_attachment_fields( array $s ): void {
		$att_post = get_post( $s['att'] );
		$this->assertInstanceOf( \WP_Post::class, $att_post );
		$this->assertSame( 'image/png', $att_post->post_mime_type );
		$this->assertSame( $s['post_id'], (int) $att_post->post_parent );
		$this->assertSame( 'Alt \\ "text"', get_post_meta( $s['att'], '_wp_attachment_image_alt', true ) );
		$this->assertSame( 'Cap', $att_post->post_excerpt );
		$this->assertSame( $s['a'], get_post_meta( $s['att'], '_igny8_image_source_url', true ) );
	}

	/**
	 * @depends test_sideload
	 * @testdox attachment file exists in uploads
	 */
	public function test_attachment_file( array $s ): void {
		$this->assertFileExists( (string) get_attached_file( $s['att'] ) );
	}

	/**
	 * @depends test_sideload
	 * @testdox republish reuses the attachment (no second download, no second attachment)
	 */
	public function test_republish_reuses( array $s ): void {
		$ri2 = Wp::run( Wp::op( Wp::base() + 40, array( 'featured_image' => array( 'url' => $s['a'], 'alt' => 'Alt' ) ) ) );
		$this->assertTrue( true === $ri2['ok'] && $s['att'] === $ri2['featured_image_id'], Wp::detail( $ri2 ) );
		$this->assertSame( array( $s['att'] ), Wp::attachments_for( $s['a'] ) );
		$this->assertSame( 1, Wp::hits( Wp::fixture_port(), '/img/a-' . Wp::run_id() . '.png' ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox allow-listed host name: resolved, pinned to the checked address, fetched
	 */
	public function test_allow_listed_host_name(): void {
		$port = Wp::fixture_port();
		if ( ! Url_Guard::is_allow_listed( "localhost:{$port}" ) ) {
			$this->markTestSkipped( "add localhost:{$port} to IGNY8_IMAGE_HOST_ALLOWLIST" );
		}
		$url     = "http://localhost:{$port}/img/host-" . Wp::run_id() . '.png';
		$by_name = Url_Guard::check( $url );
		$rh      = Wp::run( Wp::op( Wp::base() + 45, array( 'featured_image' => array( 'url' => $url ) ) ) );
		$this->assertSame( '127.0.0.1', $by_name['address'] );
		$this->assertFalse( $by_name['ip_literal'] );
		$this->assertTrue( true === $rh['ok'] && $rh['featured_image_id'] > 0 && array() === $rh['warnings'], Wp::detail( $rh ) );
	}

	/**
	 * @depends test_sideload
	 * @testdox another post with the same image URL reuses the attachment
	 */
	public function test_other_post_reuses( array $s ): void {
		$ri3 = Wp::run( Wp::op( Wp::base() + 41, array( 'featured_image' => array( 'url' => $s['a'] ) ) ) );
		$this->assertTrue( true === $ri3['ok'] && $s['att'] === $ri3['featured_image_id'], Wp::detail( $ri3 ) );
		$this->assertCount( 1, Wp::attachments_for( $s['a'] ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox gallery: the PNG and the JPEG behind an allow-listed redirect are sideloaded, in order
	 */
	public function test_gallery(): array {
		$fix     = Wp::fix();
		$nofix   = Wp::nofix();
		$run     = Wp::run_id();
		$gallery = array(
			array( 'url' => "{$fix}/img/b-{$run}.png", 'alt' => 'B' ),
			array( 'url' => "{$fix}/redirect?to=" . rawurlencode( "{$fix}/img/c-{$run}.jpg" ) ),
			array( 'url' => "{$fix}/redirect?to=" . rawurlencode( "{$nofix}/img/d-{$run}.png" ) ),
			array( 'url' => "{$fix}/redirect?to=" . rawurlencode( 'http://169.254.169.254/latest/meta-data/' ) ),
			array( 'url' => "{$fix}/redirect?to=" . rawurlencode( 'file:///etc/passwd' ) ),
			array( 'url' => "{$fix}/does-not-exist-{$run}.png" ),
			array( 'url' => "{$fix}/image.svg?{$run}" ),
			array( 'url' => "{$fix}/fake.png?{$run}" ),
			array( 'url' => 'gopher://127.0.0.1:70/x' ),
		);
		$rg = Wp::run( Wp::op( Wp::base() + 42, array( 'featured_image' => array( 'url' => 'http://[::1]/x.png' ), 'gallery' => $gallery ) ) );
		$this->assertTrue( true === $rg['ok'] && 2 === count( $rg['gallery_ids'] ), Wp::detail( $rg ) );
		$this->assertSame( 'image/jpeg', get_post_mime_type( $rg['gallery_ids'][1] ) );
		return $rg;
	}

	/**
	 * @depends test_gallery
	 * @testdox gallery ids stored as JSON in _igny8_gallery_images
	 */
	public function test_gallery_meta( array $rg ): void {
		$this->assertSame( wp_json_encode( $rg['gallery_ids'] ), get_post_meta( $rg['post_id'], '_igny8_gallery_images', true ) );
	}

	/**
	 * @depends test_gallery
	 * @testdox gallery: [::1], redirects to a non-allow-listed port / metadata IP / file://, 404, SVG, HTML-as-PNG and gopher:// are warnings with their field
	 */
	public function test_gallery_warnings( array $rg ): void {
		$expect = array(
			'featured_image' => 'IMAGE_REFUSED',
			'gallery.2'      => 'IMAGE_REFUSED',
			'gallery.3'      => 'IMAGE_REFUSED',
			'gallery.4'      => 'IMAGE_REFUSED',
			'gallery.5'      => 'IMAGE_FAILED',
			'gallery.6'      => 'IMAGE_REFUSED',
			'gallery.7'      => 'IMAGE_REFUSED',
			'gallery.8'      => 'IMAGE_REFUSED',
		);
		$this->assertSame( $expect, Wp::warning_codes( $rg ) );
	}

	/**
	 * @depends test_gallery
	 * @testdox gallery [] stores an empty list
	 */
	public function test_empty_gallery( array $rg ): void {
		$rg2 = Wp::run( Wp::op( Wp::base() + 42, array( 'gallery' => array() ) ) );
		$this->assertTrue( $rg2['ok'], Wp::detail( $rg2 ) );
		$this->assertSame( '[]', get_post_meta( $rg['post_id'], '_igny8_gallery_images', true ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox over 10 MB (streamed and with Content-Length), over 40 megapixels and a redirect loop are refused
	 */
	public function test_caps(): void {
		$fix = Wp::fix();
		$run = Wp::run_id();
		$rl  = Wp::run( Wp::op( Wp::base() + 43, array( 'gallery' => array( array( 'url' => "{$fix}/big.png?{$run}" ), array( 'url' => "{$fix}/big-length.png?{$run}" ), array( 'url' => "{$fix}/huge.png?{$run}" ), array( 'url' => "{$fix}/loop?{$run}" ) ) ) ) );
		$this->assertTrue( true === $rl['ok'] && array() === $rl['gallery_ids'], Wp::detail( $rl ) );
		$this->assertSame( array( 'gallery.0' => 'IMAGE_REFUSED', 'gallery.1' => 'IMAGE_REFUSED', 'gallery.2' => 'IMAGE_REFUSED', 'gallery.3' => 'IMAGE_REFUSED' ), Wp::warning_codes( $rl ) );
	}

	/**
	 * @depends test_caps
	 * @testdox no temp files of refused downloads left behind
	 */
	public function test_no_temp_files(): void {
		$this->assertSame( array(), glob( get_temp_dir() . 'igny8-image*' ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox rollback after a sideload: the files existed during the attempt
	 */
	public function test_rollback_after_a_sideload(): array {
		$run     = Wp::run_id();
		$pattern = wp_get_upload_dir()['path'] . '/rb-' . $run . '*';
		$before  = count( glob( $pattern ) ?: array() );
		$during  = -1;
		$thrower = static function ( $meta_id, $object_id, $key ) use ( $pattern, &$during ) {
			if ( '_igny8_gallery_images' === $key ) {
				$during = count( glob( $pattern ) ?: array() );
				throw new \RuntimeException( 'simulated failure after the sideload' );
			}
		};
		add_action( 'added_post_meta', $thrower, 10, 3 );
		try {
			$rx = Wp::run( Wp::op( Wp::base() + 44, array( 'gallery' => array( array( 'url' => Wp::fix() . "/img/rb-{$run}.png" ) ) ) ) );
		} finally {
			remove_action( 'added_post_meta', $thrower, 10 );
		}
		$this->assertGreaterThan( $before, $during );
		return array( 'rx' => $rx, 'before' => $before, 'pattern' => $pattern );
	}

	/**
	 * @depends test_rollback_after_a_sideload
	 * @testdox rollback after a sideload: no post, no attachment row, no files in uploads
	 */
	public function test_rollback_after_a_sideload_leaves_nothing( array $s ): void {
		$this->assertFalse( $s['rx']['ok'], Wp::detail( $s['rx'] ) );
		$this->assertSame( array(), Wp::posts_for( Wp::base() + 44 ) );
		$this->assertSame( array(), Wp::attachments_for( Wp::fix() . '/img/rb-' . Wp::run_id() . '.png' ) );
		$this->assertSame( $s['before'], count( glob( $s['pattern'] ) ?: array() ) );
	}
}
