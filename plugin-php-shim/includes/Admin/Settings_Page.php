<?php
/**
 * Settings → IGNY8.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Settings → IGNY8, for `manage_options`. The app (build/settings.js) talks to the `/igny8/v1/settings` routes; PHP
 * prints no setting, and so never a secret.
 */
final class Settings_Page extends App_Page {

	public const SLUG = 'igny8-bridge';

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		parent::register();
		add_filter( 'plugin_action_links_' . plugin_basename( IGNY8_BRIDGE_FILE ), array( $this, 'action_links' ) );
	}

	/**
	 * {@inheritDoc}
	 */
	protected function app(): string {
		return 'settings';
	}

	/**
	 * {@inheritDoc}
	 */
	protected function screen_name(): string {
		return __( 'The IGNY8 settings screen', 'igny8-bridge' );
	}

	/**
	 * Adds Settings → IGNY8, with the failed and dead posts on the menu item like core's pending comments (only
	 * administrators see it).
	 *
	 * @return string|false
	 */
	protected function add_menu_entry() {
		$bubble = current_user_can( 'manage_options' ) ? Posts_List_Sync::bubble() : '';
		return add_options_page(
			__( 'IGNY8 Bridge', 'igny8-bridge' ),
			__( 'IGNY8', 'igny8-bridge' ) . $bubble,
			'manage_options',
			self::SLUG,
			array( $this, 'render' )
		);
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
