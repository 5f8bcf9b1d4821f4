<?php
/**
 * Registration\Taxonomies on a page view: post_class() builds no classes from the IGNY8 taxonomies' terms (core does
 * a get_the_terms() and a sanitize_html_class() per term per post for each public taxonomy), while the taxonomies
 * stay public, attached to posts and readable as before.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Registration;

use Igny8\Bridge\Tests\Harness\Wp;
use PHPUnit\Framework\TestCase;

final class TaxonomiesTest extends TestCase {

	/**
	 * @testdox post_class() has the category's and the tag's classes, none from igny8_clusters / igny8_sectors; the terms are still the post's
	 */
	public function test_no_term_classes(): void {
		$run     = Wp::run_id();
		$id      = (int) wp_insert_post( array( 'post_title' => 'Classes ' . $run, 'post_status' => 'publish' ) );
		$cluster = wp_insert_term( 'Post class cluster ' . $run, 'igny8_clusters' );
		$sector  = wp_insert_term( 'Post class sector ' . $run, 'igny8_sectors' );
		$this->assertIsArray( $cluster );
		$this->assertIsArray( $sector );
		wp_set_object_terms( $id, array( (int) $cluster['term_id'] ), 'igny8_clusters' );
		wp_set_object_terms( $id, array( (int) $sector['term_id'] ), 'igny8_sectors' );
		wp_set_object_terms( $id, array( 'classes-' . $run ), 'post_tag' );

		$classes = get_post_class( '', $id );
		$this->assertContains( 'tag-classes-' . strtolower( $run ), $classes );
		$this->assertContains( 'category-uncategorized', $classes );
		$this->assertSame( array(), preg_grep( '/^igny8_(clusters|sectors)-/', $classes ), 'no class from an IGNY8 term' );

		foreach ( array( 'igny8_clusters' => $cluster, 'igny8_sectors' => $sector ) as $taxonomy => $term ) {
			$this->assertTrue( get_taxonomy( $taxonomy )->public, "$taxonomy stays public (site metadata, the structure revision)" );
			$this->assertTrue( is_object_in_taxonomy( 'post', $taxonomy ) );
			$this->assertSame( array( (int) $term['term_id'] ), wp_list_pluck( (array) get_the_terms( $id, $taxonomy ), 'term_id' ) );
		}
		// A filter that hands a list (not core's name => name map) is answered in kind.
		$this->assertSame( array( 'category' ), array_values( apply_filters( 'post_class_taxonomies', array( 'category', 'igny8_clusters' ), $id, array(), array() ) ) );
	}
}
