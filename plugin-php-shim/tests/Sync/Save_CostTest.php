<?php
/**
 * What an editor save of a managed post costs (issue #15): the sync meta in one or two statements
 * (Support\Post_Meta_Batch), the structure revision moved only by changes /site-metadata reports, and the plugin's
 * taxonomies recounted only when the status changes (in one statement) — with every value still right.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Sync;

use Igny8\Bridge\Registration\Structure_Revision;
use Igny8\Bridge\Support\Post_Meta_Batch;
use Igny8\Bridge\Sync\Sync_Posts;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Save_CostTest extends TestCase {

	/** @var string[] Queries seen while recording. */
	private array $queries = array();

	private function record( callable $fn ): array {
		$this->queries = array();
		$collect       = function ( $sql ) {
			$this->queries[] = (string) $sql;
			return $sql;
		};
		add_filter( 'query', $collect );
		try {
			$fn();
		} finally {
			remove_filter( 'query', $collect );
		}
		return $this->queries;
	}

	private static function db_meta( int $post_id, string $key ): array {
		global $wpdb;
		return array_map( 'strval', $wpdb->get_col( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = %s ORDER BY meta_id", $post_id, $key ) ) );
	}

	private static function db_count( int $tt_id ): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT count FROM {$wpdb->term_taxonomy} WHERE term_taxonomy_id = %d", $tt_id ) );
	}

	/**
	 * @testdox Post_Meta_Batch: new and existing keys in one INSERT and one UPDATE, unchanged keys skipped, the meta cache equal to the database
	 */
	public function test_batch_writes(): void {
		$id = (int) wp_insert_post( array( 'post_title' => 'Batch ' . Wp::run_id(), 'post_status' => 'draft' ) );
		add_post_meta( $id, '_igny8_sync_state', 'synced' );
		add_post_meta( $id, '_igny8_sync_fingerprint', 'same' );
		get_post_meta( $id ); // Loaded, as in a save.
		$changed = null;
		$queries = $this->record(
			function () use ( $id, &$changed ) {
				$changed = Post_Meta_Batch::write(
					$id,
					array(
						array( '_igny8_sync_pending' => '123' ),
						array( '_igny8_sync_state' => 'pending', '_igny8_sync_fingerprint' => 'same', '_igny8_local_edit' => '{"a":"it\'s \\\\ \"q\""}' ),
					)
				);
			}
		);
		$this->assertSame( 3, $changed );
		$this->assertCount( 2, $queries, Wp::detail( $queries ) );
		$this->assertStringStartsWith( 'INSERT', ltrim( $queries[0] ), 'the pending marker (first stage) is written first, with the new edit key' );
		$this->assertStringStartsWith( 'UPDATE', ltrim( $queries[1] ) );
		$expected = array(
			'_igny8_sync_pending'     => '123',
			'_igny8_sync_state'       => 'pending',
			'_igny8_sync_fingerprint' => 'same',
			'_igny8_local_edit'       => '{"a":"it\'s \\\\ \"q\""}',
		);
		foreach ( $expected as $key => $value ) {
			$this->assertSame( array( $value ), self::db_meta( $id, $key ), $key );
			$this->assertSame( $value, get_post_meta( $id, $key, true ), "cache of {$key}" );
		}
		// Nothing changed: no statement at all.
		$this->assertSame( array(), $this->record( fn () => Post_Meta_Batch::write( $id, array( $expected ) ) ) );
		wp_delete_post( $id, true );
	}

	/**
	 * @testdox Post_Meta_Batch: a key of a later stage never shares an earlier statement than the keys before it
	 */
	public function test_batch_order(): void {
		$id = (int) wp_insert_post( array( 'post_title' => 'Order ' . Wp::run_id(), 'post_status' => 'draft' ) );
		add_post_meta( $id, '_igny8_sync_pending', '1' );    // Stage 2: an UPDATE.
		add_post_meta( $id, '_igny8_sync_state', 'synced' ); // Stage 3: joins that UPDATE.
		get_post_meta( $id ); // Loaded, as in a save.
		$queries = $this->record(
			fn () => Post_Meta_Batch::write(
				$id,
				array(
					array( '_igny8_content_pending' => '2' ),                                  // INSERT first.
					array( '_igny8_sync_pending' => '2' ),                                     // Then the UPDATE.
					array( '_igny8_sync_state' => 'pending', '_igny8_local_edit' => '{}' ),    // UPDATE joins; the new key: a last INSERT.
				)
			)
		);
		$this->assertCount( 3, $queries, Wp::detail( $queries ) );
		$this->assertStringContainsString( '_igny8_content_pending', $queries[0] );
		$this->assertStringNotContainsString( '_igny8_local_edit', $queries[0] );
		$this->assertStringContainsString( '_igny8_sync_pending', $queries[1] );
		$this->assertStringContainsString( '_igny8_sync_state', $queries[1] );
		$this->assertStringContainsString( '_igny8_local_edit', $queries[2] );
		$this->assertSame( array( '2' ), self::db_meta( $id, '_igny8_content_pending' ) );
		$this->assertSame( array( '2' ), self::db_meta( $id, '_igny8_sync_pending' ) );
		$this->assertSame( array( 'pending' ), self::db_meta( $id, '_igny8_sync_state' ) );
		$this->assertSame( array( '{}' ), self::db_meta( $id, '_igny8_local_edit' ) );
		wp_delete_post( $id, true );
	}

	/**
	 * @testdox record_change of a managed post: marker, fingerprint and state in at most two statements; repeating the save writes nothing
	 */
	public function test_record_change(): void {
		$id = (int) wp_insert_post( array( 'post_title' => 'Record ' . Wp::run_id(), 'post_status' => 'publish' ) );
		add_post_meta( $id, '_igny8_content_id', (string) ( Wp::base() + 700 ) );
		add_post_meta( $id, '_igny8_wordpress_status', 'draft' );
		$post     = get_post( $id );
		$recorded = null;
		$writes   = array_filter( $this->record( function () use ( $post, &$recorded ) { $recorded = Sync_Posts::record_change( $post ); } ), fn ( $q ) => ! preg_match( '/^\s*SELECT/i', $q ) );
		$this->assertTrue( $recorded );
		$this->assertLessThanOrEqual( 2, count( $writes ), Wp::detail( $writes ) );
		$seq = self::db_meta( $id, '_igny8_sync_pending' );
		$this->assertCount( 1, $seq );
		$this->assertMatchesRegularExpression( '/^\d+$/', $seq[0] );
		$this->assertSame( array( Sync_Posts::fingerprint( $post ) ), self::db_meta( $id, '_igny8_sync_fingerprint' ) );
		$this->assertSame( array( 'pending' ), self::db_meta( $id, '_igny8_sync_state' ) );
		$this->assertSame( $seq[0], Sync_Posts::snapshot( $post )['seq'] );
		$again = null;
		$this->assertSame( array(), $this->record( function () use ( $post, &$again ) { $again = Sync_Posts::record_change( $post ); } ) );
		$this->assertFalse( $again );
		wp_delete_post( $id, true );
	}

	/**
	 * @testdox the structure revision moves when a post enters or leaves publish or a published post's terms change, not on an edit that keeps the status
	 */
	public function test_structure_revision(): void {
		$id   = (int) wp_insert_post( array( 'post_title' => 'Rev ' . Wp::run_id(), 'post_status' => 'draft' ) );
		// Each step a request of its own: the first bump of a request is immediate, later ones wait for shutdown.
		$rev = function (): int {
			$class = new \ReflectionClass( Structure_Revision::class );
			foreach ( array( 'bumped', 'dirty' ) as $name ) {
				$property = $class->getProperty( $name );
				$property->setAccessible( true );
				$property->setValue( null, false );
			}
			wp_cache_delete( Structure_Revision::OPTION, 'options' );
			return Structure_Revision::current();
		};
		$tag  = wp_insert_term( 'Rev tag ' . Wp::run_id(), 'post_tag' );
		$r0   = $rev();
		wp_update_post( array( 'ID' => $id, 'post_title' => 'Draft title edit' ) );
		wp_set_object_terms( $id, array( (int) $tag['term_id'] ), 'post_tag' );
		$this->assertSame( $r0, $rev(), 'a draft: neither an edit nor its terms change what /site-metadata counts' );
		wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) );
		$r1 = $rev();
		$this->assertGreaterThan( $r0, $r1, 'draft → publish' );
		wp_update_post( array( 'ID' => $id, 'post_title' => 'Published title edit', 'post_content' => 'new body' ) );
		$this->assertSame( $r1, $rev(), 'an edit that keeps the status' );
		wp_set_object_terms( $id, array(), 'post_tag' );
		$r2 = $rev();
		$this->assertGreaterThan( $r1, $r2, 'a published post loses a term' );
		wp_update_post( array( 'ID' => $id, 'post_status' => 'draft' ) );
		$this->assertGreaterThan( $r2, $rev(), 'publish → draft' );
		wp_delete_post( $id, true );
		wp_delete_term( (int) $tag['term_id'], 'post_tag' );
	}

	/**
	 * @testdox cluster counts stay right: recounted in one statement on a status change, not recounted on a save that keeps the status
	 */
	public function test_cluster_counts(): void {
		global $wpdb;
		$term = wp_insert_term( 'Count cluster ' . Wp::run_id(), 'igny8_clusters' );
		$tt   = (int) $term['term_taxonomy_id'];
		$id   = (int) wp_insert_post( array( 'post_title' => 'Count ' . Wp::run_id(), 'post_status' => 'publish' ) );
		wp_set_object_terms( $id, array( (int) $term['term_id'] ), 'igny8_clusters' );
		$this->assertSame( 1, self::db_count( $tt ) );
		$recounts = fn ( array $queries ) => array_values( array_filter( $queries, fn ( $q ) => false !== stripos( $q, "UPDATE {$wpdb->term_taxonomy}" ) || false !== stripos( $q, "UPDATE `{$wpdb->term_taxonomy}`" ) ) );
		$same     = $this->record( fn () => wp_update_post( array( 'ID' => $id, 'post_title' => 'Same status' ) ) );
		// The term's own row, not any query with its digits in it (a small id on a fresh site matched counts and other ids).
		$names_tt = fn ( string $q ) => 1 === preg_match( '/term_taxonomy_id[`\s]*(?:=\s*\'?|IN\s*\([^)]*?\b)' . $tt . '\b/i', $q );
		$this->assertSame( array(), array_filter( $recounts( $same ), $names_tt ), Wp::detail( $recounts( $same ) ) );
		$this->assertSame( 1, self::db_count( $tt ) );
		$draft = $this->record( fn () => wp_update_post( array( 'ID' => $id, 'post_status' => 'draft' ) ) );
		$this->assertSame( 0, self::db_count( $tt ) );
		$this->assertCount( 1, array_filter( $recounts( $draft ), fn ( $q ) => false !== stripos( $q, 'SET count = (' ) ), Wp::detail( $recounts( $draft ) ) );
		wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) );
		$this->assertSame( 1, self::db_count( $tt ) );
		$this->assertSame( 1, (int) get_term( (int) $term['term_id'], 'igny8_clusters' )->count, 'the term cache follows' );
		wp_delete_post( $id, true );
		$this->assertSame( 0, self::db_count( $tt ) );
		wp_delete_term( (int) $term['term_id'], 'igny8_clusters' );
	}

	/**
	 * @testdox core's recount of a post's categories and tags reads their terms from one cached lookup of every taxonomy, and the counts stay right
	 */
	public function test_core_recount_from_the_cache(): void {
		global $wpdb;
		$category = wp_insert_term( 'Recount category ' . Wp::run_id(), 'category' );
		$tag      = wp_insert_term( 'Recount tag ' . Wp::run_id(), 'post_tag' );
		$cluster  = wp_insert_term( 'Recount cluster ' . Wp::run_id(), 'igny8_clusters' );
		$id       = (int) wp_insert_post( array( 'post_title' => 'Recount ' . Wp::run_id(), 'post_status' => 'publish', 'post_category' => array( (int) $category['term_id'] ) ) );
		wp_set_object_terms( $id, array( (int) $tag['term_id'] ), 'post_tag' );
		wp_set_object_terms( $id, array( (int) $cluster['term_id'] ), 'igny8_clusters' );
		$counts = fn () => array( self::db_count( (int) $category['term_taxonomy_id'] ), self::db_count( (int) $tag['term_taxonomy_id'] ), self::db_count( (int) $cluster['term_taxonomy_id'] ) );
		$this->assertSame( array( 1, 1, 1 ), $counts() );
		// The post's term lookups (by object) during the recount (transition_post_status, around core's priority 10):
		// one for every taxonomy, none per taxonomy. (wp_update_post() reads the categories and tags before the write.)
		$in_recount = false;
		$open       = function () use ( &$in_recount ) {
			$in_recount = true;
		};
		$close      = function () use ( &$in_recount ) {
			$in_recount = false;
		};
		$recounting = function ( callable $fn ) use ( $open, $close, &$in_recount ) {
			$seen  = array();
			$watch = function ( $sql ) use ( &$seen, &$in_recount ) {
				if ( $in_recount ) {
					$seen[] = (string) $sql;
				}
				return $sql;
			};
			add_action( 'transition_post_status', $open, 8, 0 );
			add_action( 'transition_post_status', $close, 12, 0 );
			add_filter( 'query', $watch );
			try {
				$fn();
			} finally {
				remove_action( 'transition_post_status', $open, 8 );
				remove_action( 'transition_post_status', $close, 12 );
				remove_filter( 'query', $watch );
			}
			return $seen;
		};
		$lookups = fn ( array $queries ) => array_values( array_filter( $queries, fn ( $q ) => 1 === preg_match( '/tr\.object_id\s+IN\s*\(\s*' . $id . '\s*\)|tr\.object_id\s*=\s*' . $id . '\b/i', $q ) ) );
		foreach ( array( 'draft' => array( 0, 0, 0 ), 'publish' => array( 1, 1, 1 ) ) as $status => $want ) {
			$queries = $recounting( fn () => wp_update_post( array( 'ID' => $id, 'post_status' => $status ) ) );
			$this->assertSame( $want, $counts(), $status );
			$this->assertCount( 1, $lookups( $queries ), $status . ': ' . Wp::detail( $lookups( $queries ) ) );
		}
		$queries = $recounting( fn () => wp_update_post( array( 'ID' => $id, 'post_title' => 'Same status' ) ) );
		$this->assertSame( array( 1, 1, 1 ), $counts() );
		$this->assertCount( 1, $lookups( $queries ), Wp::detail( $lookups( $queries ) ) );
		$this->assertSame( 1, (int) get_term( (int) $category['term_id'], 'category' )->count, 'the term cache follows' );
		wp_delete_post( $id, true );
		$this->assertSame( array( 0, 0, 0 ), $counts() );
		wp_delete_term( (int) $category['term_id'], 'category' );
		wp_delete_term( (int) $tag['term_id'], 'post_tag' );
		wp_delete_term( (int) $cluster['term_id'], 'igny8_clusters' );
	}
}
