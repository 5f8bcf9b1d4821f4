<?php
/**
 * Plugin wiring.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Loads the contract and registers every feature's hooks. Called once on `plugins_loaded`.
 */
final class Plugin {

	/**
	 * Whether load() already ran.
	 *
	 * @var bool
	 */
	private static bool $loaded = false;

	/**
	 * Registers all features.
	 *
	 * @throws \RuntimeException When the contract cannot be read.
	 */
	public static function load(): void {
		if ( self::$loaded ) {
			return;
		}
		self::$loaded = true;

		Contract::get();
		Install\Activator::maybe_upgrade();

		$features = array(
			new Registration\Meta(),
			new Registration\Taxonomies(),
			new Registration\Settings(),
			new Registration\Structure_Revision(),
			new Install\Integration_User(),
			new Rest\Proxy_Controller(),
			new Rest\Internal_Controller(),
			new Rest\Namespace_Errors(),
			new Rest\Core_Meta_Query(),
			new Sync\Change_Recorder(),
			new Sync\Term_Recorder(),
			new Admin\Editor_Assets(),
			new Admin\Settings_Page(),
			new Admin\Activity_Page(),
			new Admin\Sidecar_Pairing(),
			new Admin\Posts_List_Column(),
			new Admin\Posts_List_Sync(),
			new Admin\Authorization_Check(),
			new Health\Site_Health(),
		);
		foreach ( $features as $feature ) {
			$feature->register();
		}
		if ( defined( 'WP_CLI' ) && WP_CLI ) {
			Cli\Command::register_command();
		}

		/**
		 * Fires once the IGNY8 Bridge registered its hooks.
		 */
		do_action( 'igny8_bridge_loaded' );
	}
}
