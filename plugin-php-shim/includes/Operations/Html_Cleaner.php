<?php
/**
 * The HTML cleaner of published post content and excerpts.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * HTML without script and style elements (their text included: kses would keep it), then wp_kses_post.
 */
final class Html_Cleaner {

	/**
	 * Cleans HTML.
	 *
	 * @param string $html HTML.
	 */
	public static function clean( string $html ): string {
		// Restart after every removal: removing an element can join two fragments into a new opening tag.
		while ( preg_match( '/<(script|style)(?=[\s>\/]|$)/i', $html, $match, PREG_OFFSET_CAPTURE ) ) {
			$start = (int) $match[0][1];
			$tag   = strtolower( $match[1][0] );
			$close = stripos( $html, '</' . $tag, $start + 1 );
			if ( false === $close ) {
				$html = substr( $html, 0, $start );
				break;
			}
			$end  = strpos( $html, '>', $close );
			$html = substr( $html, 0, $start ) . ( false === $end ? '' : substr( $html, $end + 1 ) );
		}
		return wp_kses_post( $html );
	}
}
