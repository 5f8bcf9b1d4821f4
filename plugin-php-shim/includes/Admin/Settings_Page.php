<?php
/**
 * Settings → IGNY8.
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
 * Hosts the settings screen: an options page for `manage_options` whose markup is one root element. The React
 * app (build/settings.js) renders into it and talks to the `/igny8/v1/settings` routes; PHP prints no setting,
 * and so never a secret.
 */
final class Settings_Page implements Feature {

	public const SLUG    = 'igny8-bridge';
	public const HANDLE  = 'igny8-bridge-settings';
	public const ROOT_ID = 'igny8-bridge-settings';

	/**
	 * The page's hook suffix, known once the menu is registered.
	 *
	 * @var string|false
	 */
	private $hook_suffix = false;

	/**
	 * Whether build/settings.js exists (it is made by `npm run build`).
	 *
	 * @var bool
	 */
	private bool $built = true;

	/**
	 * Adds the hooks.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( IGNY8_BRIDGE_FILE ), array( $this, 'action_links' ) );
	}

	/**
	 * Adds Settings → IGNY8.
	 */
	public function add_page(): void {
		// The failed and dead posts on the menu item, like core's pending comments (only administrators see it).
		$bubble            = current_user_can( 'manage_options' ) ? Posts_List_Sync::bubble() : '';
		$this->hook_suffix = add_options_page(
			__( 'IGNY8 Bridge', 'igny8-bridge' ),
			__( 'IGNY8', 'igny8-bridge' ) . $bubble,
			'manage_options',
			self::SLUG,
			array( $this, 'render' )
		);
	}

	/**
	 * Enqueues the app on this page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public function enqueue( $hook_suffix ): void {
		if ( ! $this->hook_suffix || $hook_suffix !== $this->hook_suffix ) {
			return;
		}
		$this->built = Asset::enqueue( 'settings', self::HANDLE, array( 'wp-components' ) );
		// The components' own styles: the settings screen is not an editor screen, so nothing else loads them.
		wp_enqueue_style( 'wp-components' );
	}

	/**
	 * The page: the root element the app renders into, and a message for browsers without JavaScript.
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$fallback = $this->built
			? '<noscript><p>' . esc_html__( 'The IGNY8 settings need JavaScript.', 'igny8-bridge' ) . '</p></noscript>'
			: '<p>' . esc_html__( 'The IGNY8 settings screen is not built: run `npm run build` in the plugin\'s repository.', 'igny8-bridge' ) . '</p>';
		// $fallback is escaped above.
		printf( '<div id="%1$s" class="wrap">%2$s</div>', esc_attr( self::ROOT_ID ), $fallback ); // phpcs:ignore
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links Existing links.
	 * @return string[]
	 */
	public function action_links( $links ): array {
		$url = admin_url( 'options-general.php?page=' . self::SLUG );
		array_unshift( $links, sprintf( '<a href="%s">%s</a>', esc_url( $url ), esc_html__( 'Settings', 'igny8-bridge' ) ) );
		return (array) $links;
	}
}
