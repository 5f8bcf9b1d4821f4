<?php
/**
 * Operations\Transaction: BEGIN/COMMIT/ROLLBACK and the guard that blocks statements after the database aborted
 * the transaction (a deadlock: MySQL has already rolled everything back, later statements would autocommit).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Operations\Transaction;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class TransactionTest extends TestCase {

	/**
	 * @testdox transaction guard: after a deadlock error the next statement is blocked and commit refused
	 */
	public function test_guard_after_a_deadlock(): int {
		global $wpdb;
		$run = Wp::run_id();
		$tx  = new Transaction();
		$tx->begin();
		$gid              = (int) wp_insert_post( array( 'post_title' => "tx guard {$run}", 'post_status' => 'draft', 'post_type' => 'post' ) );
		$wpdb->last_error = 'Deadlock found when trying to get lock; try restarting transaction';
		$blocked_query    = $wpdb->query( $wpdb->prepare( "UPDATE {$wpdb->posts} SET post_title = %s WHERE ID = %d", "changed {$run}", $gid ) );
		$commit_refused   = false;
		try {
			$tx->commit();
		} catch ( \RuntimeException $e ) {
			$commit_refused = true;
		}
		$aborted = $tx->aborted();
		$tx->rollback();
		clean_post_cache( $gid );
		$this->assertFalse( $blocked_query );
		$this->assertNotNull( $aborted );
		$this->assertTrue( $commit_refused );
		return $gid;
	}

	/**
	 * @depends test_guard_after_a_deadlock
	 * @testdox transaction: rollback removes the row inserted in the transaction
	 */
	public function test_rollback_removes_the_row( int $gid ): void {
		global $wpdb;
		$this->assertGreaterThan( 0, $gid );
		$this->assertNull( $wpdb->get_var( $wpdb->prepare( "SELECT ID FROM {$wpdb->posts} WHERE ID = %d", $gid ) ) );
	}

	/**
	 * @depends test_guard_after_a_deadlock
	 * @testdox transaction guard: removed after rollback (queries run again)
	 */
	public function test_guard_removed_after_rollback(): void {
		global $wpdb;
		$this->assertSame( 1, (int) $wpdb->get_var( 'SELECT 1' ) );
	}
}
