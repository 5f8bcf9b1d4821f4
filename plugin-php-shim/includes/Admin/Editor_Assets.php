<?php
/**
 * Loads the IGNY8 sidebar in the block editor.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Feature;
use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Enqueues build/sidebar.js (dependencies and version from the generated sidebar.asset.php) and its styles on
 * the post editor screens of the post types IGNY8 may manage, and nowhere else: not in the site editor, not in
 * the widgets screen.
 */
final class Editor_Assets implements Feature {

	public const HANDLE = 'igny8-bridge-sidebar';

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'enqueue_block_editor_assets', array( $this, 'enqueue' ) );
	}

	/**
	 * Enqueues the sidebar bundle on post editor screens. Its styles only style the sidebar (outside the
	 * editor canvas), so they load in the admin document, not in the 6.5+ canvas iframe.
	 */
	public function enqueue(): void {
		$screen = function_exists( 'get_current_screen' ) ? get_current_screen() : null;
		if ( ! $screen || 'post' !== $screen->base || ! in_array( $screen->post_type, Settings::allowed_post_types(), true ) ) {
			return;
		}
		// Without a build (`npm run build`) the editor simply has no IGNY8 panel.
		Asset::enqueue( 'sidebar', self::HANDLE );
	}
}
