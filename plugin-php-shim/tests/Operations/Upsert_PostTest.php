<?php
/**
 * Operations\Upsert_Post against the real WordPress: create, update, slashing, kses, terms by id and name, renames,
 * trash, schedule, bounds, rollback, deadlock retry, a PHP fatal / kill -9 midway (worker processes).
 * Images: Image_AttacherTest. Parallel processes: Upsert_Post_ConcurrencyTest. HTML: Html_CleanerTest.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Install\Integration_User;
use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class Upsert_PostTest extends TestCase {

	private const TRICKY = 'Back\\slash "quoted" \'single\' \\" end\\';

	/** @var array<int,array{0:int,1:bool}> igny8_bridge_post_upserted calls. */
	private static $fired = array();

	/** @var callable */
	private static $listener;

	public static function setUpBeforeClass(): void {
		self::$listener = static function ( $post_id, $created ): void {
			self::$fired[] = array( (int) $post_id, (bool) $created );
		};
		add_action( 'igny8_bridge_post_upserted', self::$listener, 10, 2 );
	}

	public static function tearDownAfterClass(): void {
		remove_action( 'igny8_bridge_post_upserted', self::$listener, 10 );
	}

	// ---------------------------------------------------------------------------------------------- create

	/**
	 * @testdox create: ok, created=true, publish
	 */
	public function test_create(): array {
		$run   = Wp::run_id();
		$base  = Wp::base();
		$s     = array(
			'c1'      => $base + 1,
			'cat'     => "Guides {$run}",
			'tag1'    => "Tag one {$run}",
			'tag2'    => "Tag two {$run}",
			'cluster' => $base + 45,
			'sector'  => $base + 12,
			'json'    => wp_json_encode( array( 'a\\b', 'c"d', "it's" ) ),
		);
		$tricky = self::TRICKY;
		$r1     = Wp::run(
			Wp::op(
				$s['c1'],
				array(
					'post'  => array(
						'post_title'   => "Hello {$tricky}",
						'post_content' => '<p>Body with <em>em</em> and a \\ backslash</p><script>document.cookie</script><style>body{display:none}</style><img src="x" onerror="alert(1)">',
						'post_excerpt' => 'Excerpt \\ "x"',
						'post_status'  => 'publish',
						'author_email' => 'admin@example.com',
					),
					'meta'  => array(
						'_igny8_task_id'            => 7,
						'_yoast_wpseo_title'        => "SEO {$tricky}",
						'_igny8_secondary_keywords' => $s['json'],
						'_igny8_cluster_id'         => $s['cluster'],
						'_igny8_sector_id'          => (string) $s['sector'],
						'_igny8_meta_description'   => '<b>bold</b> desc',
					),
					'terms' => array(
						'category'       => array( array( 'name' => $s['cat'] ) ),
						'post_tag'       => array( array( 'name' => $s['tag1'] ), array( 'name' => $s['tag2'] ) ),
						'igny8_clusters' => array( array( 'name' => "Cluster {$s['cluster']}", 'igny8_id' => $s['cluster'], 'placeholder' => true ) ),
						'igny8_sectors'  => array( array( 'name' => "Health {$run}", 'igny8_id' => $s['sector'] ) ),
					),
				)
			)
		);
		$s['r1']  = $r1;
		$s['id1'] = (int) ( $r1['post_id'] ?? 0 );
		$this->assertTrue( true === $r1['ok'] && true === $r1['created'] && 'publish' === $r1['post_status'] && 'post' === $r1['post_type'] && $s['id1'] > 0, Wp::detail( $r1 ) );
		clean_post_cache( $s['id1'] );
		return $s;
	}

	/**
	 * @depends test_create
	 * @testdox create: result shape (permalink, four term_ids lists, featured_image_id null, gallery_ids [], warnings [])
	 */
	public function test_create_result_shape( array $s ): void {
		$r1 = $s['r1'];
		$this->assertTrue(
			isset( $r1['permalink'] ) && str_starts_with( (string) $r1['permalink'], home_url() ) && array( 'category', 'post_tag', 'igny8_clusters', 'igny8_sectors' ) === array_keys( $r1['term_ids'] ?? array() )
			&& null === $r1['featured_image_id'] && array() === $r1['gallery_ids'] && array() === $r1['warnings'],
			Wp::detail( $r1 )
		);
	}

	/**
	 * @depends test_create
	 * @testdox create: title keeps backslashes and quotes (wp_slash)
	 */
	public function test_create_title_keeps_backslashes_and_quotes( array $s ): void {
		$this->assertSame( 'Hello ' . self::TRICKY, get_post( $s['id1'] )->post_title );
	}

	/**
	 * @depends test_create
	 * @testdox create: JSON meta with backslash and quotes stored byte for byte and still decodes
	 */
	public function test_create_json_meta_byte_for_byte( array $s ): void {
		$stored = get_post_meta( $s['id1'], '_igny8_secondary_keywords', true );
		$this->assertSame( $s['json'], $stored );
		$this->assertSame( array( 'a\\b', 'c"d', "it's" ), json_decode( $stored, true ) );
	}

	/**
	 * @depends test_create
	 * @testdox create: string meta keeps backslashes and quotes, tags stripped (sanitize_text_field)
	 */
	public function test_create_string_meta_sanitized( array $s ): void {
		$this->assertSame( 'SEO ' . self::TRICKY, get_post_meta( $s['id1'], '_yoast_wpseo_title', true ) );
		$this->assertSame( 'bold desc', get_post_meta( $s['id1'], '_igny8_meta_description', true ) );
	}

	/**
	 * @depends test_create
	 * @testdox create: integer meta stored as integers
	 */
	public function test_create_integer_meta( array $s ): void {
		$this->assertSame( '7', get_post_meta( $s['id1'], '_igny8_task_id', true ) );
		$this->assertSame( (string) $s['sector'], get_post_meta( $s['id1'], '_igny8_sector_id', true ) );
		$this->assertSame( (string) $s['c1'], get_post_meta( $s['id1'], '_igny8_content_id', true ) );
	}

	/**
	 * @depends test_create
	 * @testdox create: no <script>/<style> nor their text, no event handler; backslash in content kept
	 */
	public function test_create_content_cleaned( array $s ): void {
		$content = get_post( $s['id1'] )->post_content;
		foreach ( array( 'script', 'cookie', 'display:none', 'onerror' ) as $banned ) {
			$this->assertStringNotContainsStringIgnoringCase( $banned, $content );
		}
		$this->assertStringContainsString( 'a \\ backslash', $content );
	}

	/**
	 * @depends test_create
	 * @testdox create: excerpt kept with backslash
	 */
	public function test_create_excerpt( array $s ): void {
		$this->assertSame( 'Excerpt \\ "x"', get_post( $s['id1'] )->post_excerpt );
	}

	/**
	 * @depends test_create
	 * @testdox create: author = the user with author_email who can edit posts
	 */
	public function test_create_author_by_email( array $s ): void {
		$this->assertSame( 1, (int) get_post( $s['id1'] )->post_author );
	}

	/**
	 * @depends test_create
	 * @testdox create: _igny8_incomplete removed
	 */
	public function test_create_incomplete_marker_removed( array $s ): void {
		$this->assertSame( '', get_post_meta( $s['id1'], '_igny8_incomplete', true ) );
	}

	/**
	 * @depends test_create
	 * @testdox create: category created by name and assigned by id (not Uncategorized)
	 */
	public function test_create_category_by_name( array $s ): array {
		$cat_ids = Wp::terms_named( 'category', $s['cat'] );
		$this->assertCount( 1, $cat_ids );
		$this->assertSame( $cat_ids, $s['r1']['term_ids']['category'] );
		$this->assertSame( array( $s['cat'] ), wp_get_post_terms( $s['id1'], 'category', array( 'fields' => 'names' ) ) );
		return $cat_ids;
	}

	/**
	 * @depends test_create
	 * @testdox create: both tags assigned
	 */
	public function test_create_tags( array $s ): void {
		$this->assertCount( 2, $s['r1']['term_ids']['post_tag'] );
	}

	/**
	 * @depends test_create
	 * @testdox create: placeholder cluster term created with its IGNY8 id in term meta
	 */
	public function test_create_placeholder_cluster( array $s ): \WP_Term {
		$term = get_term( $s['r1']['term_ids']['igny8_clusters'][0] ?? 0, 'igny8_clusters' );
		$this->assertInstanceOf( \WP_Term::class, $term );
		$this->assertSame( "Cluster {$s['cluster']}", $term->name );
		$this->assertSame( (string) $s['cluster'], get_term_meta( $term->term_id, '_igny8_cluster_id', true ) );
		return $term;
	}

	/**
	 * @depends test_create
	 * @testdox create: sector term created with its IGNY8 id
	 */
	public function test_create_sector( array $s ): int {
		$sector_id = (int) ( $s['r1']['term_ids']['igny8_sectors'][0] ?? 0 );
		$this->assertSame( (string) $s['sector'], get_term_meta( $sector_id, '_igny8_sector_id', true ) );
		return $sector_id;
	}

	/**
	 * @depends test_create
	 * @testdox create: igny8_bridge_post_upserted fired with (id, true)
	 */
	public function test_create_fires_the_action( array $s ): void {
		$this->assertSame( array( $s['id1'], true ), end( self::$fired ) );
	}

	/**
	 * @depends test_create
	 * @testdox create: no lock rows left
	 */
	public function test_create_leaves_no_locks(): void {
		$this->assertSame( array(), Wp::locks() );
	}

	// ---------------------------------------------------------------------------------------------- update

	/**
	 * @depends test_create
	 * @depends test_create_category_by_name
	 * @depends test_create_placeholder_cluster
	 * @depends test_create_sector
	 * @testdox update: same post, created=false
	 */
	public function test_update( array $s, array $cat_ids, \WP_Term $cluster_term, int $sector_id ): array {
		$r2 = Wp::run(
			Wp::op(
				$s['c1'],
				array(
					'post'  => array( 'post_title' => 'Hello again' ),
					'meta'  => array( '_igny8_task_id' => null, '_yoast_wpseo_title' => 'SEO 2' ),
					'terms' => array(
						'post_tag'       => array( array( 'name' => $s['tag1'] ) ),
						'igny8_clusters' => array( array( 'name' => 'Real cluster ' . Wp::run_id(), 'igny8_id' => $s['cluster'] ) ),
					),
				)
			)
		);
		clean_post_cache( $s['id1'] );
		$this->assertTrue( true === $r2['ok'] && $s['id1'] === $r2['post_id'] && false === $r2['created'], Wp::detail( $r2 ) );
		return $s + array(
			'r2'           => $r2,
			'cat_ids'      => $cat_ids,
			'cluster_term' => $cluster_term,
			'sector_id'    => $sector_id,
		);
	}

	/**
	 * @depends test_update
	 * @testdox update: title changed
	 */
	public function test_update_title( array $s ): void {
		$this->assertSame( 'Hello again', get_post( $s['id1'] )->post_title );
	}

	/**
	 * @depends test_update
	 * @testdox update: stale tag removed, the other kept
	 */
	public function test_update_tags( array $s ): void {
		$this->assertSame( array( $s['tag1'] ), wp_get_post_terms( $s['id1'], 'post_tag', array( 'fields' => 'names' ) ) );
	}

	/**
	 * @depends test_update
	 * @testdox update: absent taxonomies untouched (category, sector)
	 */
	public function test_update_absent_taxonomies_untouched( array $s ): void {
		$this->assertSame( $s['cat_ids'], $s['r2']['term_ids']['category'] );
		$this->assertSame( array( $s['sector_id'] ), $s['r2']['term_ids']['igny8_sectors'] );
	}

	/**
	 * @depends test_update
	 * @testdox update: null meta deleted, other meta updated, untouched meta kept
	 */
	public function test_update_meta( array $s ): void {
		$this->assertSame( '', get_post_meta( $s['id1'], '_igny8_task_id', true ) );
		$this->assertSame( 'SEO 2', get_post_meta( $s['id1'], '_yoast_wpseo_title', true ) );
		$this->assertSame( $s['json'], get_post_meta( $s['id1'], '_igny8_secondary_keywords', true ) );
	}

	/**
	 * @depends test_update
	 * @testdox update: cluster found by IGNY8 id and renamed (same term id, id meta kept)
	 */
	public function test_update_cluster_renamed( array $s ): void {
		$term_id = $s['cluster_term']->term_id;
		$renamed = get_term( $term_id, 'igny8_clusters' );
		$this->assertSame( array( $term_id ), $s['r2']['term_ids']['igny8_clusters'] );
		$this->assertSame( 'Real cluster ' . Wp::run_id(), $renamed->name );
		$this->assertSame( (string) $s['cluster'], get_term_meta( $renamed->term_id, '_igny8_cluster_id', true ) );
	}

	/**
	 * @depends test_update
	 * @testdox update: author kept when no author_email
	 */
	public function test_update_author_kept( array $s ): void {
		$this->assertSame( 1, (int) get_post( $s['id1'] )->post_author );
	}

	/**
	 * @depends test_update
	 * @testdox update: one post for the content id
	 */
	public function test_update_one_post( array $s ): void {
		$this->assertSame( array( $s['id1'] ), Wp::posts_for( $s['c1'] ) );
	}

	/**
	 * @depends test_update
	 * @testdox update: igny8_bridge_post_upserted fired with (id, false)
	 */
	public function test_update_fires_the_action( array $s ): void {
		$this->assertSame( array( $s['id1'], false ), end( self::$fired ) );
	}

	/**
	 * @depends test_update
	 * @testdox placeholder name does not rename the term found by id
	 */
	public function test_placeholder_name_does_not_rename( array $s ): void {
		$r3      = Wp::run( Wp::op( $s['c1'], array( 'terms' => array( 'igny8_clusters' => array( array( 'name' => "Cluster {$s['cluster']}", 'igny8_id' => $s['cluster'], 'placeholder' => true ) ) ) ) ) );
		$term_id = $s['cluster_term']->term_id;
		$this->assertTrue( true === $r3['ok'] && array( $term_id ) === $r3['term_ids']['igny8_clusters'], Wp::detail( $r3 ) );
		$this->assertSame( 'Real cluster ' . Wp::run_id(), get_term( $term_id, 'igny8_clusters' )->name );
	}

	// ------------------------------------------------------------------------- terms by name, pages, author

	/**
	 * @testdox igny8 term without id meta found by name and given the id
	 */
	public function test_term_without_id_adopts_the_id(): int {
		$run   = Wp::run_id();
		$base  = Wp::base();
		$adopt = wp_insert_term( "Adopt me {$run}", 'igny8_sectors' );
		$r4    = Wp::run( Wp::op( $base + 2, array( 'terms' => array( 'igny8_sectors' => array( array( 'name' => "Adopt me {$run}", 'igny8_id' => $base + 99 ) ) ) ) ) );
		$this->assertTrue( true === $r4['ok'] && array( (int) $adopt['term_id'] ) === $r4['term_ids']['igny8_sectors'], Wp::detail( $r4 ) );
		$this->assertSame( (string) ( $base + 99 ), get_term_meta( (int) $adopt['term_id'], '_igny8_sector_id', true ) );
		return (int) $adopt['term_id'];
	}

	/**
	 * @depends test_term_without_id_adopts_the_id
	 * @testdox same name, other IGNY8 id: a separate term with its own id
	 */
	public function test_same_name_other_id_is_a_sibling( int $adopted ): void {
		$base    = Wp::base();
		$r5      = Wp::run( Wp::op( $base + 3, array( 'terms' => array( 'igny8_sectors' => array( array( 'name' => 'Adopt me ' . Wp::run_id(), 'igny8_id' => $base + 98 ) ) ) ) ) );
		$sibling = (int) ( $r5['term_ids']['igny8_sectors'][0] ?? 0 );
		$this->assertTrue( true === $r5['ok'] && $sibling > 0 && $sibling !== $adopted, Wp::detail( $r5 ) );
		$this->assertSame( (string) ( $base + 98 ), get_term_meta( $sibling, '_igny8_sector_id', true ) );
	}

	/**
	 * @depends test_create
	 * @depends test_create_category_by_name
	 * @testdox category name in another case reuses the term (no duplicate)
	 */
	public function test_category_name_in_another_case( array $s, array $cat_ids ): void {
		$r6 = Wp::run( Wp::op( Wp::base() + 4, array( 'terms' => array( 'category' => array( array( 'name' => strtoupper( $s['cat'] ) ), array( 'name' => $s['cat'] ) ) ) ) ) );
		$this->assertTrue( true === $r6['ok'] && $cat_ids === $r6['term_ids']['category'], Wp::detail( $r6 ) );
		$this->assertCount( 1, Wp::terms_named( 'category', $s['cat'] ) );
	}

	/**
	 * @testdox category [] → the default category; a name with & is reused on republish
	 */
	public function test_empty_category_and_ampersand_name(): void {
		$c   = Wp::base() + 5;
		$tag = 'Cats & Dogs ' . Wp::run_id();
		$r7  = Wp::run( Wp::op( $c, array( 'terms' => array( 'category' => array(), 'post_tag' => array( array( 'name' => $tag ) ) ) ) ) );
		$r7b = Wp::run( Wp::op( $c, array( 'terms' => array( 'post_tag' => array( array( 'name' => $tag ) ) ) ) ) );
		$this->assertTrue( true === $r7['ok'] && array( (int) get_option( 'default_category' ) ) === $r7['term_ids']['category'], Wp::detail( $r7 ) );
		$this->assertSame( $r7['term_ids']['post_tag'], $r7b['term_ids']['post_tag'] );
		$this->assertCount( 1, $r7b['term_ids']['post_tag'] );
	}

	/**
	 * @testdox page: terms of a taxonomy pages do not use are skipped with a warning; clusters assigned
	 */
	public function test_page_skips_unused_taxonomies(): void {
		$r8 = Wp::run( Wp::op( Wp::base() + 6, array( 'post_type' => 'page', 'terms' => array( 'post_tag' => array( array( 'name' => 'x' ) ), 'igny8_clusters' => array( array( 'name' => 'Page cluster ' . Wp::run_id() ) ) ) ) ) );
		$this->assertTrue( true === $r8['ok'] && 'page' === $r8['post_type'] && Wp::has_warning( $r8, 'TAXONOMY_NOT_SUPPORTED', 'terms.post_tag' ) && 1 === count( $r8['term_ids']['igny8_clusters'] ), Wp::detail( $r8 ) );
	}

	/**
	 * The queries inside the write transaction made from Term_Resolver::find() (a term lookup by name or IGNY8 id).
	 *
	 * @param array $op upsert_post op.
	 * @return array{0:array,1:int} The result and the count.
	 */
	private static function lookups_in_transaction( array $op ): array {
		$open    = false;
		$lookups = 0;
		$phase   = static function ( string $what ) use ( &$open ): void {
			$open = 'begin' === $what;
		};
		$count   = static function ( $sql ) use ( &$open, &$lookups ) {
			if ( $open ) {
				foreach ( debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS ) as $frame ) {
					if ( 'Igny8\\Bridge\\Operations\\Term_Resolver' === ( $frame['class'] ?? '' ) && 'find' === $frame['function'] ) {
						++$lookups;
						break;
					}
				}
			}
			return $sql;
		};
		add_action( 'igny8_bridge_transaction', $phase );
		add_filter( 'query', $count );
		try {
			$result = Wp::run( $op );
		} finally {
			remove_filter( 'query', $count );
			remove_action( 'igny8_bridge_transaction', $phase );
		}
		return array( $result, $lookups );
	}

	/**
	 * @testdox terms that exist and need no change are looked up once, before the transaction, not again inside it
	 */
	public function test_settled_terms_not_looked_up_again(): void {
		$run   = Wp::run_id();
		$terms = array(
			'category'      => array( array( 'name' => "Settled cat {$run}" ) ),
			'post_tag'      => array( array( 'name' => "Settled tag {$run}" ), array( 'name' => "Settled tag two {$run}" ) ),
			'igny8_sectors' => array( array( 'name' => "Settled sector {$run}", 'igny8_id' => Wp::base() + 1401 ) ),
		);
		list( $first, $creating ) = self::lookups_in_transaction( Wp::op( Wp::base() + 140, array( 'terms' => $terms ) ) );
		list( $second, $settled ) = self::lookups_in_transaction( Wp::op( Wp::base() + 141, array( 'terms' => $terms ) ) );
		$this->assertTrue( true === $first['ok'] && true === $second['ok'], Wp::detail( array( $first, $second ) ) );
		$this->assertGreaterThan( 0, $creating, 'new terms are looked up again under their locks' );
		$this->assertSame( 0, $settled );
		$this->assertSame( $first['term_ids'], $second['term_ids'] );
		$this->assertCount( 2, $second['term_ids']['post_tag'] );
	}

	/** A term's stored count, straight from the database. */
	private static function stored_count( string $taxonomy, string $name ): int {
		global $wpdb;
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT tt.count FROM {$wpdb->term_taxonomy} tt INNER JOIN {$wpdb->terms} t ON t.term_id = tt.term_id WHERE tt.taxonomy = %s AND t.name = %s", $taxonomy, $name ) );
	}

	/**
	 * @testdox term counts: each term counted once per publish (not twice for a new post's categories), right after publish and unpublish
	 */
	public function test_term_counts_once(): void {
		global $wpdb;
		$run   = Wp::run_id();
		$terms = array(
			'category'       => array( array( 'name' => "Counted cat {$run}" ) ),
			'post_tag'       => array( array( 'name' => "Counted tag {$run}" ) ),
			'igny8_clusters' => array( array( 'name' => "Counted cluster {$run}", 'igny8_id' => Wp::base() + 1402 ) ),
		);
		$counts = static function () use ( $run ): array {
			return array( self::stored_count( 'category', "Counted cat {$run}" ), self::stored_count( 'post_tag', "Counted tag {$run}" ), self::stored_count( 'igny8_clusters', "Counted cluster {$run}" ) );
		};
		$r1 = Wp::run( Wp::op( Wp::base() + 144, array( 'terms' => $terms ) ) );
		$this->assertTrue( true === $r1['ok'], Wp::detail( $r1 ) );
		$this->assertSame( array( 1, 1, 1 ), $counts() );

		$recounts = 0;
		$watch    = static function ( $sql ) use ( &$recounts, $wpdb ) {
			if ( is_string( $sql ) && 0 === strpos( ltrim( $sql ), "SELECT COUNT(*) FROM {$wpdb->term_relationships}, {$wpdb->posts}" ) ) {
				++$recounts;
			}
			return $sql;
		};
		add_filter( 'query', $watch );
		try {
			$r2 = Wp::run( Wp::op( Wp::base() + 145, array( 'terms' => $terms ) ) );
		} finally {
			remove_filter( 'query', $watch );
		}
		$this->assertTrue( true === $r2['ok'], Wp::detail( $r2 ) );
		$this->assertSame( array( 2, 2, 2 ), $counts() );
		$this->assertSame( 2, $recounts, 'core counts the category and the tag once each' );

		$r3 = Wp::run( Wp::op( Wp::base() + 145, array( 'post' => array( 'post_status' => 'draft' ), 'terms' => $terms ) ) );
		$this->assertTrue( true === $r3['ok'] && false === $r3['created'], Wp::detail( $r3 ) );
		$this->assertSame( array( 1, 1, 1 ), $counts() );
	}

	/**
	 * @testdox a settled term deleted before the transaction: the post is written without it, no term named by its id
	 */
	public function test_settled_term_deleted_meanwhile(): void {
		$tag  = 'Vanishing tag ' . Wp::run_id();
		$keep = 'Kept tag ' . Wp::run_id();
		$made = Wp::run( Wp::op( Wp::base() + 142, array( 'terms' => array( 'post_tag' => array( array( 'name' => $tag ), array( 'name' => $keep ) ) ) ) ) );
		$this->assertTrue( true === $made['ok'], Wp::detail( $made ) );
		$gone   = (int) get_term_by( 'name', $tag, 'post_tag' )->term_id;
		$delete = static function ( string $what ) use ( $gone ): void {
			if ( 'begin' === $what ) {
				wp_delete_term( $gone, 'post_tag' );
			}
		};
		add_action( 'igny8_bridge_transaction', $delete );
		try {
			$r = Wp::run( Wp::op( Wp::base() + 143, array( 'terms' => array( 'post_tag' => array( array( 'name' => $tag ), array( 'name' => $keep ) ) ) ) ) );
		} finally {
			remove_action( 'igny8_bridge_transaction', $delete );
		}
		$this->assertTrue( true === $r['ok'], Wp::detail( $r ) );
		$this->assertSame( array( $keep ), wp_get_post_terms( (int) $r['post_id'], 'post_tag', array( 'fields' => 'names' ) ) );
		$this->assertCount( 0, Wp::terms_named( 'post_tag', (string) $gone ) );
	}

	/**
	 * @testdox unknown author_email → fallback author with a warning
	 */
	public function test_unknown_author_email(): void {
		$r9 = Wp::run( Wp::op( Wp::base() + 7, array( 'post' => array( 'author_email' => 'nobody@example.com' ) ) ) );
		$this->assertTrue( true === $r9['ok'] && Wp::has_warning( $r9, 'AUTHOR_NOT_FOUND' ), Wp::detail( $r9 ) );
		$this->assertSame( Integration_User::id(), (int) get_post( $r9['post_id'] )->post_author );
	}

	// ------------------------------------------------------------------------------------- trash / untrash

	/**
	 * @depends test_update
	 * @testdox trash: same post, status trash, via wp_trash_post (trash meta recorded)
	 */
	public function test_trash( array $s ): array {
		$rt = Wp::run( Wp::op( $s['c1'], array( 'post' => array( 'post_status' => 'trash' ) ) ) );
		$this->assertTrue( true === $rt['ok'] && $s['id1'] === $rt['post_id'] && 'trash' === $rt['post_status'], Wp::detail( $rt ) );
		$this->assertSame( 'publish', get_post_meta( $s['id1'], '_wp_trash_meta_status', true ) );
		return $s;
	}

	/**
	 * @depends test_trash
	 * @testdox untrash: a trashed post is found (not duplicated) and published again
	 */
	public function test_untrash( array $s ): array {
		$ru = Wp::run( Wp::op( $s['c1'], array( 'post' => array( 'post_status' => 'publish', 'post_title' => 'Back from trash' ) ) ) );
		clean_post_cache( $s['id1'] );
		$this->assertTrue( true === $ru['ok'] && $s['id1'] === $ru['post_id'] && false === $ru['created'] && 'publish' === $ru['post_status'], Wp::detail( $ru ) );
		$this->assertSame( array( $s['id1'] ), Wp::posts_for( $s['c1'] ) );
		$this->assertSame( '', get_post_meta( $s['id1'], '_wp_trash_meta_status', true ) );
		return $s;
	}

	/**
	 * @depends test_untrash
	 * @testdox untrash: the __trashed slug suffix is gone
	 */
	public function test_untrash_slug( array $s ): void {
		$this->assertStringNotContainsString( '__trashed', get_post( $s['id1'] )->post_name );
	}

	/**
	 * @testdox a new post can be created straight into the trash
	 */
	public function test_create_into_the_trash(): void {
		$r = Wp::run( Wp::op( Wp::base() + 8, array( 'post' => array( 'post_status' => 'trash' ) ) ) );
		$this->assertTrue( true === $r['ok'] && true === $r['created'] && 'trash' === $r['post_status'], Wp::detail( $r ) );
	}

	/**
	 * @depends test_untrash
	 * @testdox publish → draft
	 */
	public function test_publish_to_draft( array $s ): void {
		$rd = Wp::run( Wp::op( $s['c1'], array( 'post' => array( 'post_status' => 'draft' ) ) ) );
		$this->assertTrue( true === $rd['ok'] && 'draft' === $rd['post_status'] && $s['id1'] === $rd['post_id'], Wp::detail( $rd ) );
	}

	// -------------------------------------------------------------------------------------------- schedule

	/**
	 * @testdox future: scheduled with the given GMT date and the site-time date
	 */
	public function test_future(): void {
		$when = gmdate( 'Y-m-d H:i:s', time() + 3 * DAY_IN_SECONDS );
		$rf   = Wp::run( Wp::op( Wp::base() + 9, array( 'post' => array( 'post_status' => 'future', 'post_date_gmt' => $when ) ) ) );
		clean_post_cache( (int) ( $rf['post_id'] ?? 0 ) );
		$pf = get_post( (int) ( $rf['post_id'] ?? 0 ) );
		$this->assertTrue( true === $rf['ok'] && 'future' === $rf['post_status'], Wp::detail( $rf ) );
		$this->assertSame( $when, $pf->post_date_gmt );
		$this->assertSame( get_date_from_gmt( $when ), $pf->post_date );
	}

	/**
	 * @testdox publish with a past date keeps the date (edit_date)
	 */
	public function test_publish_with_a_past_date(): void {
		$past = gmdate( 'Y-m-d H:i:s', time() - 30 * DAY_IN_SECONDS );
		$rp   = Wp::run( Wp::op( Wp::base() + 10, array( 'post' => array( 'post_status' => 'publish', 'post_date_gmt' => $past ) ) ) );
		$this->assertTrue( true === $rp['ok'] && 'publish' === $rp['post_status'], Wp::detail( $rp ) );
		$this->assertSame( $past, get_post( $rp['post_id'] )->post_date_gmt );
	}

	/**
	 * @testdox draft with a date keeps the date (edit_date)
	 */
	public function test_draft_with_a_date(): void {
		$when = gmdate( 'Y-m-d H:i:s', time() + 3 * DAY_IN_SECONDS );
		$rdd  = Wp::run( Wp::op( Wp::base() + 11, array( 'post' => array( 'post_status' => 'draft', 'post_date_gmt' => $when ) ) ) );
		$this->assertTrue( true === $rdd['ok'] && 'draft' === $rdd['post_status'], Wp::detail( $rdd ) );
		$this->assertSame( $when, get_post( $rdd['post_id'] )->post_date_gmt );
	}

	// ---------------------------------------------------------------------------------------------- bounds

	/**
	 * Refused ops: [op, the field the error names].
	 */
	public function bounds(): array {
		$cb  = Wp::base() + 20;
		$fix = Wp::fix();
		return array(
			'meta key _wp_page_template'          => array( Wp::op( $cb, array( 'meta' => array( '_wp_page_template' => 'x.php' ) ) ), 'meta._wp_page_template' ),
			'attachment meta key'                 => array( Wp::op( $cb, array( 'meta' => array( '_igny8_image_source_url' => 'http://x' ) ) ), 'meta._igny8_image_source_url' ),
			'meta value not scalar'               => array( Wp::op( $cb, array( 'meta' => array( '_igny8_meta_title' => array( 'x' ) ) ) ), 'meta._igny8_meta_title' ),
			'invalid JSON meta'                   => array( Wp::op( $cb, array( 'meta' => array( '_igny8_keyword_ids' => '[1,2' ) ) ), 'meta._igny8_keyword_ids' ),
			'integer meta not an integer'         => array( Wp::op( $cb, array( 'meta' => array( '_igny8_task_id' => 'abc' ) ) ), 'meta._igny8_task_id' ),
			'taxonomy nav_menu'                   => array( Wp::op( $cb, array( 'terms' => array( 'nav_menu' => array( array( 'name' => 'x' ) ) ) ) ), 'terms.nav_menu' ),
			'post_type attachment'                => array( Wp::op( $cb, array( 'post_type' => 'attachment' ) ), 'post_type' ),
			'post_type product (not allowed)'     => array( Wp::op( $cb, array( 'post_type' => 'product' ) ), 'post_type' ),
			'status inherit'                      => array( Wp::op( $cb, array( 'post' => array( 'post_status' => 'inherit' ) ) ), 'post.post_status' ),
			'status auto-draft'                   => array( Wp::op( $cb, array( 'post' => array( 'post_status' => 'auto-draft' ) ) ), 'post.post_status' ),
			'post.meta_input passthrough'         => array( Wp::op( $cb, array( 'post' => array( 'meta_input' => array( '_wp_page_template' => 'x' ) ) ) ), 'post.meta_input' ),
			'post.ID passthrough'                 => array( Wp::op( $cb, array( 'post' => array( 'ID' => 1 ) ) ), 'post.ID' ),
			'import_id argument'                  => array( Wp::op( $cb, array( 'import_id' => 5 ) ), 'import_id' ),
			'tax_input argument'                  => array( Wp::op( $cb, array( 'tax_input' => array() ) ), 'tax_input' ),
			'content_id ≠ meta._igny8_content_id' => array( Wp::op( $cb, array( 'meta' => array( '_igny8_content_id' => $cb + 1 ) ) ), 'meta._igny8_content_id' ),
			'meta._igny8_content_id missing'      => array( array_merge( Wp::op( $cb ), array( 'meta' => array() ) ), 'meta._igny8_content_id' ),
			'content_id 0'                        => array( Wp::op( 0 ), 'content_id' ),
			'term name empty'                     => array( Wp::op( $cb, array( 'terms' => array( 'category' => array( array( 'name' => '  ' ) ) ) ) ), 'terms.category.0.name' ),
			'term name over 200 characters'       => array( Wp::op( $cb, array( 'terms' => array( 'post_tag' => array( array( 'name' => str_repeat( 'x', 201 ) ) ) ) ) ), 'terms.post_tag.0.name' ),
			'igny8_id on category'                => array( Wp::op( $cb, array( 'terms' => array( 'category' => array( array( 'name' => 'x', 'igny8_id' => 3 ) ) ) ) ), 'terms.category.0.igny8_id' ),
			'11 images'                           => array( Wp::op( $cb, array( 'featured_image' => array( 'url' => "{$fix}/img/a.png" ), 'gallery' => array_fill( 0, 10, array( 'url' => "{$fix}/img/b.png" ) ) ) ), 'gallery' ),
			'future without a date'               => array( Wp::op( $cb, array( 'post' => array( 'post_status' => 'future' ) ) ), 'post.post_date_gmt' ),
			'date in another format'              => array( Wp::op( $cb, array( 'post' => array( 'post_date_gmt' => '2026-07-01T08:00:00Z' ) ) ), 'post.post_date_gmt' ),
			'impossible date'                     => array( Wp::op( $cb, array( 'post' => array( 'post_date_gmt' => '2026-02-30 08:00:00' ) ) ), 'post.post_date_gmt' ),
			'empty title'                         => array( Wp::op( $cb, array( 'post' => array( 'post_title' => ' ' ) ) ), 'post.post_title' ),
			'image field not allowed'             => array( Wp::op( $cb, array( 'featured_image' => array( 'url' => "{$fix}/img/a.png", 'path' => '/etc/passwd' ) ) ), 'featured_image.path' ),
		);
	}

	/**
	 * @dataProvider bounds
	 * @testdox refused: $_dataName
	 */
	public function test_refused( array $op, string $field ): void {
		$result = Wp::run( $op );
		$this->assertTrue( Wp::refused( $result, $field ), Wp::detail( $result ) );
	}

	/**
	 * @depends test_refused
	 * @testdox refused ops wrote nothing
	 */
	public function test_refused_ops_wrote_nothing(): void {
		$this->assertSame( array(), Wp::posts_for( Wp::base() + 20 ) );
		$this->assertSame( array(), Wp::posts_for( 0 ) );
	}

	// -------------------------------------------------------------------------------------------- rollback

	/**
	 * @testdox rollback: the op fails with OPERATION_FAILED
	 */
	public function test_rollback(): array {
		$s       = array(
			'cr'   => Wp::base() + 30,
			'boom' => 'Rollback category ' . Wp::run_id(),
			'fine' => 'Fine tag ' . Wp::run_id(),
		);
		$thrower = static function () {
			throw new \RuntimeException( 'simulated failure in a term hook' );
		};
		add_action( 'created_term', $thrower );
		try {
			$rr = Wp::run( Wp::op( $s['cr'], array( 'terms' => array( 'post_tag' => array( array( 'name' => $s['fine'] ) ), 'category' => array( array( 'name' => $s['boom'] ) ) ) ) ) );
		} finally {
			remove_action( 'created_term', $thrower );
		}
		$this->assertTrue( false === $rr['ok'] && 'OPERATION_FAILED' === $rr['error']['code'], Wp::detail( $rr ) );
		return $s;
	}

	/**
	 * @depends test_rollback
	 * @testdox rollback: no post, no term left behind
	 */
	public function test_rollback_leaves_nothing( array $s ): void {
		$this->assertSame( array(), Wp::posts_for( $s['cr'] ) );
		$this->assertSame( array(), Wp::terms_named( 'category', $s['boom'] ) );
		$this->assertSame( array(), Wp::terms_named( 'post_tag', $s['fine'] ) );
	}

	/**
	 * @depends test_rollback
	 * @testdox rollback: caches do not remember the rolled-back term
	 */
	public function test_rollback_caches( array $s ): void {
		$this->assertFalse( get_term_by( 'name', $s['boom'], 'category' ) );
	}

	/**
	 * @depends test_rollback
	 * @testdox rollback: no lock rows left
	 */
	public function test_rollback_leaves_no_locks(): void {
		$this->assertSame( array(), Wp::locks() );
	}

	/**
	 * @depends test_rollback
	 * @testdox rollback: the retry creates exactly one post and one term
	 */
	public function test_rollback_retry( array $s ): void {
		$rr2 = Wp::run( Wp::op( $s['cr'], array( 'terms' => array( 'category' => array( array( 'name' => $s['boom'] ) ) ) ) ) );
		$this->assertTrue( true === $rr2['ok'] && true === $rr2['created'], Wp::detail( $rr2 ) );
		$this->assertCount( 1, Wp::posts_for( $s['cr'] ) );
		$this->assertCount( 1, Wp::terms_named( 'category', $s['boom'] ) );
	}

	/**
	 * @testdox rollback of an update: the post keeps its previous title
	 */
	public function test_rollback_of_an_update(): void {
		$cu       = Wp::base() + 31;
		$ru1      = Wp::run( Wp::op( $cu, array( 'post' => array( 'post_title' => 'Before failure' ) ) ) );
		// The plugin's own keys are written by Support\Post_Meta_Batch (no meta actions): fail the statement itself.
		$thrower2 = static function ( $sql ) {
			if ( is_string( $sql ) && false !== strpos( $sql, '_igny8_meta_title' ) && ! preg_match( '/^\s*SELECT/i', $sql ) ) {
				throw new \RuntimeException( 'simulated failure while writing meta' );
			}
			return $sql;
		};
		add_filter( 'query', $thrower2 );
		try {
			$ru2 = Wp::run( Wp::op( $cu, array( 'post' => array( 'post_title' => 'After failure' ), 'meta' => array( '_igny8_meta_title' => 'x' ) ) ) );
		} finally {
			remove_filter( 'query', $thrower2 );
		}
		clean_post_cache( (int) $ru1['post_id'] );
		$this->assertFalse( $ru2['ok'], Wp::detail( $ru2 ) );
		$this->assertSame( 'Before failure', get_post( (int) $ru1['post_id'] )->post_title );
	}

	/**
	 * @testdox deadlock in the first attempt: upsert_post retries and succeeds with one post and one term
	 */
	public function test_deadlock_retry(): void {
		$cdl       = Wp::base() + 33;
		$tag       = 'Deadlock tag ' . Wp::run_id();
		$deadlocks = 0;
		$deadlock  = static function ( $meta_id, $object_id, $key ) use ( &$deadlocks ) {
			global $wpdb;
			if ( '_igny8_content_id' === $key && 0 === $deadlocks++ ) {
				$wpdb->last_error = 'Deadlock found when trying to get lock; try restarting transaction';
			}
		};
		add_action( 'added_post_meta', $deadlock, 10, 3 );
		try {
			$rdl = Wp::run( Wp::op( $cdl, array( 'terms' => array( 'post_tag' => array( array( 'name' => $tag ) ) ) ) ) );
		} finally {
			remove_action( 'added_post_meta', $deadlock, 10 );
		}
		$this->assertTrue( true === $rdl['ok'] && true === $rdl['created'], Wp::detail( $rdl ) );
		$this->assertSame( 2, $deadlocks );
		$this->assertSame( array( $rdl['post_id'] ), Wp::posts_for( $cdl ) );
		$this->assertCount( 1, Wp::terms_named( 'post_tag', $tag ) );
	}

	// ----------------------------------------------------------------------------------------------- fatal

	/**
	 * @testdox fatal midway: the worker died with a PHP fatal error
	 */
	public function test_fatal_midway(): int {
		$cf    = Wp::base() + 32;
		$fatal = Wp::run_in_worker( Wp::op( $cf ), array( 'IGNY8_TEST_FATAL' => '1' ) );
		$this->assertSame( 255, $fatal[0], Wp::detail( $fatal ) );
		$this->assertStringContainsString( 'simulated fatal', $fatal[2] );
		return $cf;
	}

	/**
	 * @depends test_fatal_midway
	 * @testdox fatal midway: no post (shutdown handler rolled back / deleted it), no lock rows
	 */
	public function test_fatal_midway_leaves_nothing( int $cf ): void {
		$this->assertSame( array(), Wp::posts_for( $cf ) );
		$this->assertSame( array(), Wp::locks() );
	}

	/**
	 * @depends test_fatal_midway
	 * @testdox fatal midway: the retry succeeds at once (no stale lock)
	 */
	public function test_fatal_midway_retry( int $cf ): void {
		$t0  = microtime( true );
		$rf2 = Wp::run( Wp::op( $cf ) );
		$this->assertTrue( true === $rf2['ok'] && true === $rf2['created'], Wp::detail( $rf2 ) );
		$this->assertLessThan( 3, microtime( true ) - $t0 );
	}

	/**
	 * @testdox fatal under WordPress's fatal error handler (dies before shutdown actions): no post, no lock rows
	 */
	public function test_fatal_under_the_wordpress_handler(): void {
		$cw    = Wp::base() + 34;
		$fatal = Wp::run_in_worker( Wp::op( $cw ), array( 'IGNY8_TEST_FATAL' => 'wp-handler' ) );
		$this->assertNotSame( 0, $fatal[0], Wp::detail( $fatal ) );
		$this->assertNull( $fatal[1] );
		$this->assertSame( array(), Wp::posts_for( $cw ) );
		$this->assertSame( array(), Wp::locks() );
	}

	/**
	 * @testdox kill -9 midway: the database discarded the uncommitted post; only the lock row stays (until it expires)
	 */
	public function test_kill_midway(): int {
		$ck    = Wp::base() + 35;
		$fatal = Wp::run_in_worker( Wp::op( $ck ), array( 'IGNY8_TEST_FATAL' => 'kill' ) );
		$posts = Wp::posts_for( $ck );
		$locks = Wp::locks();
		global $wpdb;
		$wpdb->delete( $wpdb->prefix . 'igny8_locks', array( 'name' => "content:{$ck}" ) ); // As if it had expired.
		$this->assertSame( array(), $posts, Wp::detail( $fatal ) );
		$this->assertSame( array( "content:{$ck}" ), $locks );
		return $ck;
	}

	/**
	 * @depends test_kill_midway
	 * @testdox kill -9 midway: once the lock row is gone the retry creates the post
	 */
	public function test_kill_midway_retry( int $ck ): void {
		$rk = Wp::run( Wp::op( $ck ) );
		$this->assertTrue( true === $rk['ok'] && true === $rk['created'], Wp::detail( $rk ) );
		$this->assertSame( array( $rk['post_id'] ), Wp::posts_for( $ck ) );
	}
}
