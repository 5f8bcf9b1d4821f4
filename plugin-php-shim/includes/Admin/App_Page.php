<?php
/**
 * An admin screen whose markup is one root element that a React app of build/ renders into.
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
 * The shared half of Settings → IGNY8 and Tools → IGNY8 Activity: the page is added for `manage_options`, its
 * bundle (`build/<app>.js`, handle and root id `igny8-bridge-<app>`) loads on that page only, and the page prints
 * the root and a message for browsers without JavaScript (or for a checkout where `npm run build` has not run).
 * The apps read everything through the proxied `/igny8/v1` routes, so PHP prints no setting, no row and no secret.
 */
abstract class App_Page implements Feature {

	/**
	 * The page's hook suffix, known once the menu is registered.
	 *
	 * @var string|false
	 */
	private $hook_suffix = false;

	/**
	 * Whether the bundle exists (it is made by `npm run build`).
	 *
	 * @var bool
	 */
	private bool $built = true;

	/**
	 * The bundle's entry name in build/ (`settings`, `activity`).
	 */
	abstract protected function app(): string;

	/**
	 * Adds the menu entry (with `render` as its callback) and returns its hook suffix.
	 *
	 * @return string|false
	 */
	abstract protected function add_menu_entry();

	/**
	 * The screen's name in the "needs JavaScript" and "is not built" messages, translated (e.g. "The IGNY8 settings
	 * screen").
	 */
	abstract protected function screen_name(): string;

	/**
	 * {@inheritDoc}
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * Adds the page.
	 */
	public function add_page(): void {
		$this->hook_suffix = $this->add_menu_entry();
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
		$this->built = Asset::enqueue( $this->app(), $this->handle(), array( 'wp-components' ) );
		// The components' own styles: these are not editor screens, so nothing else loads them.
		wp_enqueue_style( 'wp-components' );
	}

	/**
	 * The page: the root element the app renders into.
	 */
	public function render(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$fallback = $this->built
			/* translators: %s: the screen, e.g. "The IGNY8 settings screen". */
			? '<noscript><p>' . esc_html( sprintf( __( '%s needs JavaScript.', 'igny8-bridge' ), $this->screen_name() ) ) . '</p></noscript>'
			/* translators: %s: the screen, e.g. "The IGNY8 settings screen". */
			: '<p>' . esc_html( sprintf( __( '%s is not built: run `npm run build` in the plugin\'s repository.', 'igny8-bridge' ), $this->screen_name() ) ) . '</p>';
		// $fallback is escaped above.
		printf( '<div id="%1$s" class="wrap">%2$s</div>', esc_attr( $this->handle() ), $fallback ); // phpcs:ignore
	}

	/**
	 * The script and style handle, which is also the root element's id.
	 */
	private function handle(): string {
		return 'igny8-bridge-' . $this->app();
	}
}
