<?php
/**
 * Tools → IGNY8 Activity: the host page of the activity log screen.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

use Igny8\Bridge\Feature;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Adds Tools → IGNY8 Activity for administrators and prints the root the activity app (build/activity.js) renders
 * into. The log lives in the sidecar; the app reads it through the proxied `GET /igny8/v1/activity` route (one
 * WordPress bootstrap per page), so PHP prints no row and knows no field of it.
 */
final class Activity_Page implements Feature {

	public const SLUG    = 'igny8-activity';
	public const HANDLE  = 'igny8-bridge-activity';
	public const ROOT_ID = 'igny8-bridge-activity';

	/**
	 * The page's hook suffix once added.
	 *
	 * @var string|false
	 */
	private $hook_suffix = false;

	/**
	 * Whether build/activity.js exists (it is made by `npm run build`).
	 *
	 * @var bool
	 */
	private bool $built = true;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * Adds the page under Tools.
	 */
	public function add_page(): void {
		$this->hook_suffix = add_management_page(
			__( 'IGNY8 Activity', 'igny8-bridge' ),
			__( 'IGNY8 Activity', 'igny8-bridge' ),
			'manage_options',
			self::SLUG,
			array( $this, 'render' )
		);
	}

	/**
	 * Loads the app on this page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public function enqueue( $hook_suffix ): void {
		if ( ! $this->hook_suffix || $hook_suffix !== $this->hook_suffix ) {
			return;
		}
		$this->built = Asset::enqueue( 'activity', self::HANDLE, array( 'wp-components' ) );
		wp_enqueue_style( 'wp-components' );
	}

	/**
	 * Prints the root element.
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$fallback = $this->built
			? '<noscript><p>' . esc_html__( 'The IGNY8 activity log needs JavaScript.', 'igny8-bridge' ) . '</p></noscript>'
			: '<p>' . esc_html__( 'The IGNY8 activity screen is not built: run `npm run build` in the plugin\'s repository.', 'igny8-bridge' ) . '</p>';
		// $fallback is escaped above.
		printf( '<div id="%1$s" class="wrap">%2$s</div>', esc_attr( self::ROOT_ID ), $fallback ); // phpcs:ignore
	}
}
