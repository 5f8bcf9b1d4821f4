<?php
/**
 * Operations\Upsert_Post under concurrency: parallel worker processes (a WordPress bootstrap each). Each lock is
 * tested on its own (a shared image or term lock would serialise the whole write and hide a missing content lock),
 * then everything together.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Upsert_Post_ConcurrencyTest extends TestCase {

	public static function setUpBeforeClass(): void {
		Wp::start_servers();
	}

	public static function tearDownAfterClass(): void {
		Wp::stop_servers();
	}

	/**
	 * @testdox 20 parallel processes, same content_id, nothing shared else: exactly one post
	 */
	public function test_content_lock(): array {
		$cc = Wp::base() + 50;
		list( , $oks, $codes ) = Wp::parallel( array_fill( 0, 20, Wp::op( $cc ) ) );
		$this->assertCount( 1, Wp::posts_for( $cc ), Wp::detail( $codes ) );
		return array( $oks, $codes );
	}

	/**
	 * @depends test_content_lock
	 * @testdox 20 parallel processes, same content_id, nothing shared else: every success names that post, exactly one says created
	 */
	public function test_content_lock_one_created( array $r ): void {
		$this->assert_one_post_named( $r[0], $r[1] );
	}

	/**
	 * @depends test_content_lock
	 * @testdox 20 parallel processes, same content_id, nothing shared else: all 20 succeed (none waits past the lock timeout)
	 */
	public function test_content_lock_all_succeed( array $r ): void {
		$this->assertCount( 20, $r[0], Wp::detail( $r[1] ) );
	}

	/**
	 * @testdox 10 parallel processes sharing new terms: all ok, one tag, one category, one sector term
	 */
	public function test_term_locks(): void {
		$run = Wp::run_id();
		$ops = array();
		for ( $i = 0; $i < 10; $i++ ) {
			$ops[] = Wp::op(
				Wp::base() + 60 + $i,
				array(
					'terms' => array(
						'post_tag'      => array( array( 'name' => "Shared new tag {$run}" ) ),
						'category'      => array( array( 'name' => "Shared new category {$run}" ) ),
						'igny8_sectors' => array( array( 'name' => "Sector {$run}", 'igny8_id' => Wp::base() + 888 ) ),
					),
				)
			);
		}
		list( , $oks, $codes ) = Wp::parallel( $ops );
		$this->assertCount( 10, $oks, Wp::detail( $codes ) );
		$this->assertCount( 1, Wp::terms_named( 'post_tag', "Shared new tag {$run}" ) );
		$this->assertCount( 1, Wp::terms_named( 'category', "Shared new category {$run}" ) );
		$this->assertCount( 1, Wp::terms_named( 'igny8_sectors', "Sector {$run}" ) );
	}

	/**
	 * @testdox 10 parallel processes sharing a new image URL: all ok, one attachment, used by all
	 */
	public function test_image_lock(): void {
		$img = Wp::fix() . '/img/conc-' . Wp::run_id() . '.png';
		$ops = array();
		for ( $i = 0; $i < 10; $i++ ) {
			$ops[] = Wp::op( Wp::base() + 70 + $i, array( 'featured_image' => array( 'url' => $img ) ) );
		}
		list( , $oks, $codes ) = Wp::parallel( $ops );
		$thumbs = array_unique( array_map( static function ( $r ) { return $r[1]['featured_image_id']; }, $oks ) );
		$this->assertCount( 10, $oks, Wp::detail( $codes ) );
		$this->assertCount( 1, Wp::attachments_for( $img ) );
		$this->assertCount( 1, $thumbs, Wp::detail( $thumbs ) );
	}

	/**
	 * @depends test_image_lock
	 * @testdox 10 parallel processes sharing a new image URL: downloaded once
	 */
	public function test_image_lock_downloads_once(): void {
		$this->assertSame( 1, Wp::hits( Wp::fixture_port(), '/img/conc-' . Wp::run_id() . '.png' ) );
	}

	/**
	 * @testdox 20 parallel processes, same content_id, terms and images: exactly one post
	 */
	public function test_everything_at_once(): array {
		$cd  = Wp::base() + 80;
		$fix = Wp::fix();
		$run = Wp::run_id();
		list( , $oks, $codes ) = Wp::parallel(
			array_fill(
				0,
				20,
				Wp::op(
					$cd,
					array(
						'terms'          => array(
							'category'       => array( array( 'name' => "Concurrent category {$run}" ) ),
							'igny8_clusters' => array( array( 'name' => "Conc cluster {$run}", 'igny8_id' => Wp::base() + 777 ) ),
						),
						'featured_image' => array( 'url' => "{$fix}/img/conc-all-{$run}.png" ),
						'gallery'        => array( array( 'url' => "{$fix}/img/conc-all-{$run}.png" ), array( 'url' => "{$fix}/img/conc-g-{$run}.png" ) ),
					)
				)
			)
		);
		$this->assertCount( 1, Wp::posts_for( $cd ), Wp::detail( $codes ) );
		return array( $oks, $codes );
	}

	/**
	 * @depends test_everything_at_once
	 * @testdox 20 parallel processes, same content_id, terms and images: every success names that post, exactly one says created
	 */
	public function test_everything_at_once_one_created( array $r ): void {
		$this->assert_one_post_named( $r[0], $r[1] );
	}

	/**
	 * @depends test_everything_at_once
	 * @testdox 20 parallel processes, same content_id, terms and images: all 20 succeed (none waits past the lock timeout)
	 */
	public function test_everything_at_once_all_succeed( array $r ): void {
		$this->assertCount( 20, $r[0], Wp::detail( $r[1] ) );
	}

	/**
	 * @depends test_everything_at_once
	 * @testdox 20 parallel processes: one category term, one cluster term
	 */
	public function test_everything_at_once_one_term_each(): void {
		$run = Wp::run_id();
		$this->assertCount( 1, Wp::terms_named( 'category', "Concurrent category {$run}" ) );
		$this->assertCount( 1, Wp::terms_named( 'igny8_clusters', "Conc cluster {$run}" ) );
	}

	/**
	 * @depends test_everything_at_once
	 * @testdox 20 parallel processes: one attachment per image URL (featured = first gallery image)
	 */
	public function test_everything_at_once_one_attachment_each(): void {
		$fix = Wp::fix();
		$run = Wp::run_id();
		$this->assertCount( 1, Wp::attachments_for( "{$fix}/img/conc-all-{$run}.png" ) );
		$this->assertCount( 1, Wp::attachments_for( "{$fix}/img/conc-g-{$run}.png" ) );
	}

	/**
	 * @testdox no lock rows left at the end
	 */
	public function test_no_locks_left(): void {
		$this->assertSame( array(), Wp::locks() );
	}

	/**
	 * Every success names the same post, exactly one says created.
	 */
	private function assert_one_post_named( array $oks, array $codes ): void {
		$post_ids = array_unique( array_map( static function ( $r ) { return $r[1]['post_id']; }, $oks ) );
		$created  = array_filter( $oks, static function ( $r ) { return true === $r[1]['created']; } );
		$this->assertCount( 1, $post_ids, Wp::detail( $codes ) );
		$this->assertCount( 1, $created, Wp::detail( $codes ) );
	}
}
