<?php
/**
 * Operations\Html_Cleaner: script and style removed with their text, then wp_kses_post.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Operations;

use Igny8\Bridge\Operations\Html_Cleaner;
use PHPUnit\Framework\TestCase;

final class Html_CleanerTest extends TestCase {

	/**
	 * @testdox clean_html removes script/style with their text, also when nested to rebuild a tag
	 */
	public function test_removes_script_and_style(): void {
		$this->assertSame( '<p>a</p><p>b</p>', Html_Cleaner::clean( '<p>a</p><script>alert(1)</script><STYLE type="x">p{}</STYLE><scr<script>x</script>ipt>alert(2)</script><p>b</p>' ) );
	}

	/**
	 * @testdox clean_html drops an unclosed script to the end
	 */
	public function test_drops_an_unclosed_script(): void {
		$this->assertSame( '<p>a</p>', Html_Cleaner::clean( '<p>a</p><script>alert(1)' ) );
	}
}
