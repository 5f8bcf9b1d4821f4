<?php
/**
 * Operations\Import_Images (issue #13 §2, body images) against the fixture servers of tests/fixtures/image-server.php:
 * one entry per distinct URL in order, unattached sideload with alt, caption and source URL, reuse by source URL
 * with no second download, the featured image's SSRF rules and type sniffing as warnings (never errors, no status or
 * errno in them), the per-request cap, lock rows released; and the time budget of Image_Fetcher as the op uses it.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Image_Fetcher;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Import_ImagesTest extends TestCase {

	public static function tearDownAfterClass(): void {
		Wp::stop_servers();
	}

	/** One import_images op, run as the proxy runs it. */
	private static function import( array $images ): array {
		return Wp::run( array( 'op' => 'import_images', 'images' => $images ) );
	}

	/** The result entries by URL. */
	private static function by_url( array $result ): array {
		$out = array();
		foreach ( $result['images'] ?? array() as $entry ) {
			$out[ $entry['url'] ] = $entry;
		}
		return $out;
	}

	/** The fixture URLs of this run. */
	private static function urls(): array {
		$fix = Wp::fix();
		$run = Wp::run_id();
		return array(
			'png'      => "{$fix}/img/body-a-{$run}.png",
			'jpeg'     => "{$fix}/redirect?to=" . rawurlencode( "{$fix}/img/body-b-{$run}.jpg" ),
			'missing'  => "{$fix}/body-missing-{$run}.png",
			'elsewhere' => Wp::nofix() . "/img/body-c-{$run}.png",
			'svg'      => "{$fix}/image.svg?body-{$run}",
			'metadata' => 'http://169.254.169.254/latest/meta-data/',
		);
	}

	/**
	 * @testdox image fixture servers started on the allow-listed 127.0.0.1 port and the next one
	 */
	public function test_fixture_servers(): void {
		$this->assertTrue( Wp::start_servers(), 'fixture port ' . Wp::fixture_port() );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox one entry per distinct URL, in order: a repeated URL is imported once
	 */
	public function test_import(): array {
		$u = self::urls();
		$r = self::import(
			array(
				array( 'url' => $u['png'], 'alt' => 'Body alt \\ "quoted"', 'caption' => 'Body caption' ),
				array( 'url' => $u['jpeg'] ),
				array( 'url' => $u['png'], 'alt' => 'Second alt' ),
				array( 'url' => $u['missing'] ),
				array( 'url' => $u['elsewhere'] ),
				array( 'url' => $u['svg'] ),
				array( 'url' => $u['metadata'] ),
			)
		);
		$this->assertTrue( $r['ok'], Wp::detail( $r ) );
		$this->assertSame( array( $u['png'], $u['jpeg'], $u['missing'], $u['elsewhere'], $u['svg'], $u['metadata'] ), array_column( $r['images'], 'url' ), Wp::detail( $r ) );
		$this->assertSame( 1, Wp::hits( Wp::fixture_port(), '/img/body-a-' . Wp::run_id() . '.png' ) );
		return $r;
	}

	/**
	 * @depends test_import
	 * @testdox the PNG and the JPEG behind an allow-listed redirect become new attachments with their local URL
	 */
	public function test_imported_entries( array $r ): void {
		$u = self::urls();
		$e = self::by_url( $r );
		foreach ( array( 'png', 'jpeg' ) as $kind ) {
			$entry = $e[ $u[ $kind ] ];
			$this->assertGreaterThan( 0, $entry['attachment_id'] ?? 0, Wp::detail( $entry ) );
			$this->assertFalse( $entry['reused'] );
			$this->assertSame( wp_get_attachment_url( $entry['attachment_id'] ), $entry['src'] );
			$this->assertStringStartsWith( wp_get_upload_dir()['baseurl'] . '/', $entry['src'] );
			$this->assertFileExists( (string) get_attached_file( $entry['attachment_id'] ) );
		}
		$this->assertSame( 'image/png', get_post_mime_type( $e[ $u['png'] ]['attachment_id'] ) );
		$this->assertSame( 'image/jpeg', get_post_mime_type( $e[ $u['jpeg'] ]['attachment_id'] ) );
	}

	/**
	 * @depends test_import
	 * @testdox attachment: unattached (imported before the post exists), alt of the first mention (slashes kept), caption, source URL meta
	 */
	public function test_attachment_fields( array $r ): void {
		$u   = self::urls();
		$id  = self::by_url( $r )[ $u['png'] ]['attachment_id'];
		$att = get_post( $id );
		$this->assertInstanceOf( \WP_Post::class, $att );
		$this->assertSame( 0, (int) $att->post_parent );
		$this->assertSame( 'Body alt \\ "quoted"', get_post_meta( $id, '_wp_attachment_image_alt', true ) );
		$this->assertSame( 'Body caption', $att->post_excerpt );
		$this->assertSame( $u['png'], get_post_meta( $id, '_igny8_image_source_url', true ) );
		$this->assertSame( array( $id ), Wp::attachments_for( $u['png'] ) );
	}

	/**
	 * @depends test_import
	 * @testdox 404, a non-allow-listed port, SVG and the metadata IP are warnings (IMAGE_FAILED / IMAGE_REFUSED) with no status, errno or port in them
	 */
	public function test_warnings( array $r ): void {
		$u      = self::urls();
		$e      = self::by_url( $r );
		$expect = array(
			'missing'   => 'IMAGE_FAILED',
			'elsewhere' => 'IMAGE_REFUSED',
			'svg'       => 'IMAGE_REFUSED',
			'metadata'  => 'IMAGE_REFUSED',
		);
		foreach ( $expect as $kind => $code ) {
			$entry = $e[ $u[ $kind ] ];
			$this->assertArrayNotHasKey( 'attachment_id', $entry, Wp::detail( $entry ) );
			$this->assertSame( $code, $entry['warning']['code'] ?? null, Wp::detail( $entry ) );
			$this->assertDoesNotMatchRegularExpression( '/\b404\b|errno|curl|' . ( Wp::fixture_port() + 1 ) . '/i', $entry['warning']['message'] );
		}
		$this->assertSame( array(), Wp::attachments_for( $u['missing'] ) );
		$this->assertSame( array(), Wp::attachments_for( $u['elsewhere'] ) );
		$this->assertSame( 0, Wp::hits( Wp::fixture_port() + 1, '/img/body-c-' . Wp::run_id() . '.png' ), 'a refused host is never contacted' );
	}

	/**
	 * @depends test_import
	 * @testdox a second import of the same URLs reuses the attachments: reused, same ids, no second download, alt and caption unchanged
	 */
	public function test_reuse( array $r ): void {
		$u      = self::urls();
		$first  = self::by_url( $r );
		$again  = self::import( array( array( 'url' => $u['jpeg'] ), array( 'url' => $u['png'], 'alt' => 'Other alt', 'caption' => 'Other caption' ) ) );
		$this->assertTrue( $again['ok'], Wp::detail( $again ) );
		$second = self::by_url( $again );
		foreach ( array( 'png', 'jpeg' ) as $kind ) {
			$this->assertSame( $first[ $u[ $kind ] ]['attachment_id'], $second[ $u[ $kind ] ]['attachment_id'] ?? null, Wp::detail( $again ) );
			$this->assertTrue( $second[ $u[ $kind ] ]['reused'] );
			$this->assertSame( $first[ $u[ $kind ] ]['src'], $second[ $u[ $kind ] ]['src'] );
		}
		$this->assertSame( 1, Wp::hits( Wp::fixture_port(), '/img/body-a-' . Wp::run_id() . '.png' ) );
		$this->assertSame( 1, Wp::hits( Wp::fixture_port(), '/img/body-b-' . Wp::run_id() . '.jpg' ) );
		$this->assertSame( array( $first[ $u['png'] ]['attachment_id'] ), Wp::attachments_for( $u['png'] ) );
		$this->assertSame( 'Body alt \\ "quoted"', get_post_meta( $first[ $u['png'] ]['attachment_id'], '_wp_attachment_image_alt', true ) );
	}

	/**
	 * @depends test_import
	 * @testdox a failed URL is tried again on the next import (a warning is not remembered)
	 */
	public function test_failed_url_tried_again( array $r ): void {
		$u     = self::urls();
		$path  = '/body-missing-' . Wp::run_id() . '.png';
		$before = Wp::hits( Wp::fixture_port(), $path );
		$again = self::import( array( array( 'url' => $u['missing'] ) ) );
		$this->assertSame( 'IMAGE_FAILED', $again['images'][0]['warning']['code'] ?? null, Wp::detail( $again ) );
		$this->assertSame( $before + 1, Wp::hits( Wp::fixture_port(), $path ) );
	}

	/**
	 * @depends test_import
	 * @testdox no lock rows and no temp files left behind
	 */
	public function test_nothing_left_behind(): void {
		$this->assertSame( array(), Wp::locks() );
		$this->assertSame( array(), glob( get_temp_dir() . 'igny8-image*' ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox more than the contract's max_body_images_per_request images in one op: refused, nothing fetched
	 */
	public function test_cap(): void {
		$cap    = Contract::limit( 'max_body_images_per_request' );
		$run    = Wp::run_id();
		$images = array();
		for ( $i = 0; $i <= $cap; $i++ ) {
			$images[] = array( 'url' => Wp::fix() . "/img/cap-{$i}-{$run}.png" );
		}
		$this->assertGreaterThan( 0, $cap );
		$r = self::import( $images );
		$this->assertTrue( Wp::refused( $r ), Wp::detail( $r ) );
		$this->assertSame( 0, Wp::hits( Wp::fixture_port(), "/img/cap-0-{$run}.png" ) );
		$this->assertSame( array(), Wp::attachments_for( Wp::fix() . "/img/cap-0-{$run}.png" ) );

		$at_cap = self::import( array_slice( $images, 0, $cap ) );
		$this->assertTrue( $at_cap['ok'], Wp::detail( $at_cap ) );
		$this->assertCount( $cap, array_filter( array_column( $at_cap['images'], 'attachment_id' ) ), Wp::detail( $at_cap ) );
	}

	/**
	 * @depends test_fixture_servers
	 * @testdox time budget (one per op, as import_images builds its fetcher): a slow image uses it up, the next fetch is not even started
	 */
	public function test_time_budget(): void {
		$run     = Wp::run_id();
		$fetcher = new Image_Fetcher( 2.5 );
		$codes   = array();
		$started = microtime( true );
		foreach ( array( "/slow/budget-a-{$run}.png?s=4", "/img/budget-b-{$run}.png" ) as $path ) {
			try {
				$file = $fetcher->fetch( Wp::fix() . $path );
				wp_delete_file( $file['path'] );
				$codes[] = 'ok';
			} catch ( Image_Error $error ) {
				$codes[] = $error->warning_code() . ': ' . $error->getMessage();
			}
		}
		$elapsed = microtime( true ) - $started;
		$this->assertSame( 'IMAGE_FAILED: The image could not be fetched.', $codes[0] );
		$this->assertStringStartsWith( 'IMAGE_FAILED: The time budget', $codes[1] );
		$this->assertLessThan( 3.5, $elapsed, 'the slow fetch is cut at the budget' );
		$this->assertSame( 0, Wp::hits( Wp::fixture_port(), "/img/budget-b-{$run}.png" ), 'no fetch starts after the budget' );
	}
}
