<?php
/**
 * Sync\Outbox: one option per object, latest entry wins, oldest first, compare-and-clear; the same class for
 * deleted posts and for term changes.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sync;

use Igny8\Bridge\Contract;
use Igny8\Bridge\Sync\Outbox;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class OutboxTest extends TestCase {

	/**
	 * The two outboxes: [outbox, contract prefix key, id field].
	 */
	public function outboxes(): array {
		return array(
			'deleted posts' => array( 'deleted_posts', 'deleted_outbox_option_prefix', 'id' ),
			'term changes'  => array( 'terms', 'term_outbox_option_prefix', 'term_id' ),
		);
	}

	/**
	 * @dataProvider outboxes
	 * @testdox $_dataName outbox: one not-autoloaded option per object under the contract prefix, latest entry wins
	 */
	public function test_put_and_get( string $factory, string $prefix_key, string $id_field ): void {
		global $wpdb;
		$outbox = Outbox::$factory();
		$id     = Wp::base() + 900;
		$outbox->put( $id, array( $id_field => $id, 'seq' => '1' ) );
		$outbox->put( $id, array( $id_field => $id, 'seq' => '2' ) );
		$option = (string) Contract::meta( $prefix_key ) . $id;
		$this->assertSame( array( $id_field => $id, 'seq' => '2' ), $outbox->get( $id ) );
		$this->assertSame( '2', $outbox->seq( $id ) );
		$this->assertContains( $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $option ) ), array( 'no', 'off' ) );
		$this->assertNull( $outbox->get( $id + 1 ) );
		$this->assertSame( '', $outbox->seq( $id + 1 ) );
		delete_option( $option );
	}

	/**
	 * @dataProvider outboxes
	 * @testdox $_dataName outbox: pending() lists entries oldest first, within the limit, and skips malformed ones
	 */
	public function test_pending( string $factory, string $prefix_key, string $id_field ): void {
		$outbox = Outbox::$factory();
		$base   = Wp::base() + 910;
		foreach ( $outbox->pending( 1000 ) as $entry ) { // Entries other tests left: not ours to judge.
			$outbox->clear( (int) $entry[ $id_field ], (string) $entry['seq'] );
		}
		$outbox->put( $base + 2, array( $id_field => $base + 2, 'seq' => 'b' ) );
		$outbox->put( $base + 1, array( $id_field => $base + 1, 'seq' => 'a' ) );
		update_option( (string) Contract::meta( $prefix_key ) . ( $base + 3 ), array( 'no' => 'id' ), false );
		$this->assertSame( array( $base + 2, $base + 1 ), array_column( $outbox->pending( 10 ), $id_field ) );
		$this->assertCount( 1, $outbox->pending( 1 ) );
		foreach ( array( 1, 2, 3 ) as $i ) {
			delete_option( (string) Contract::meta( $prefix_key ) . ( $base + $i ) );
		}
	}

	/**
	 * @dataProvider outboxes
	 * @testdox $_dataName outbox: clear() removes the entry only while it still has the delivered seq
	 */
	public function test_compare_and_clear( string $factory, string $prefix_key, string $id_field ): void {
		$outbox = Outbox::$factory();
		$id     = Wp::base() + 920;
		$outbox->put( $id, array( $id_field => $id, 'seq' => 'new' ) );
		$this->assertFalse( $outbox->clear( $id, 'old' ) );
		$this->assertNotNull( $outbox->get( $id ) );
		$this->assertTrue( $outbox->clear( $id, 'new' ) );
		$this->assertNull( $outbox->get( $id ) );
		$this->assertFalse( $outbox->clear( $id, 'new' ) );
	}

	/**
	 * @testdox the two outboxes do not see each other's entries
	 */
	public function test_separate(): void {
		$id = Wp::base() + 930;
		Outbox::terms()->put( $id, array( 'term_id' => $id, 'seq' => 's' ) );
		$this->assertNull( Outbox::deleted_posts()->get( $id ) );
		$this->assertFalse( Outbox::deleted_posts()->clear( $id, 's' ) );
		$this->assertTrue( Outbox::terms()->clear( $id, 's' ) );
	}
}
