<?php
/**
 * Plugin Name:       IGNY8 Bridge
 * Description:       Connects this site to IGNY8. A thin shim: authenticates IGNY8, forwards each call to the local IGNY8 sidecar and runs the bounded WordPress operations it asks for.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.0
 * Author:            IGNY8
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       igny8-bridge
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'IGNY8_BRIDGE_VERSION', '0.1.0' );
define( 'IGNY8_BRIDGE_FILE', __FILE__ );
define( 'IGNY8_BRIDGE_DIR', __DIR__ . '/' );
define( 'IGNY8_BRIDGE_MIN_PHP', '8.0' );
define( 'IGNY8_BRIDGE_MIN_WP', '6.1' );

/**
 * Returns the reasons this environment cannot run the plugin (empty when it can).
 *
 * @return string[]
 */
function igny8_bridge_unmet_requirements(): array {
	$unmet = array();
	if ( version_compare( PHP_VERSION, IGNY8_BRIDGE_MIN_PHP, '<' ) ) {
		$unmet[] = sprintf( 'PHP %s or newer is required (this site runs %s).', IGNY8_BRIDGE_MIN_PHP, PHP_VERSION );
	}
	if ( version_compare( (string) get_bloginfo( 'version' ), IGNY8_BRIDGE_MIN_WP, '<' ) ) {
		$unmet[] = sprintf( 'WordPress %s or newer is required.', IGNY8_BRIDGE_MIN_WP );
	}
	foreach ( array( 'curl', 'json', 'hash' ) as $extension ) {
		if ( ! extension_loaded( $extension ) ) {
			$unmet[] = sprintf( 'The PHP extension "%s" is required.', $extension );
		}
	}
	return $unmet;
}

/**
 * Shows an admin notice (to administrators only).
 *
 * @param string $message Plain-text message.
 */
function igny8_bridge_admin_notice( string $message ): void {
	add_action(
		'admin_notices',
		static function () use ( $message ): void {
			if ( current_user_can( 'activate_plugins' ) ) {
				printf( '<div class="notice notice-error"><p><strong>IGNY8 Bridge:</strong> %s</p></div>', esc_html( $message ) );
			}
		}
	);
}

$igny8_bridge_unmet = igny8_bridge_unmet_requirements();
if ( $igny8_bridge_unmet ) {
	igny8_bridge_admin_notice( implode( ' ', $igny8_bridge_unmet ) );
	return;
}
unset( $igny8_bridge_unmet );

require_once IGNY8_BRIDGE_DIR . 'includes/Autoloader.php';
Igny8\Bridge\Autoloader::register();

// As early as a plugin can: keep PHP notices and stray output out of this plugin's JSON replies.
Igny8\Bridge\Rest\Output_Guard::begin_if_ours();

// On every load, not only when activate_plugin() includes the file: on a network, activating the plugin on another
// site (switch_to_blog) finds the file already included.
register_activation_hook( __FILE__, array( Igny8\Bridge\Install\Activator::class, 'activate' ) );
// deactivate_plugins() fires `deactivate_plugin` just before the plugin's own deactivation hook; registering that
// hook from there spares every request its plugin_basename().
add_action(
	'deactivate_plugin',
	static function ( $plugin ): void {
		if ( plugin_basename( __FILE__ ) === $plugin ) {
			register_deactivation_hook( __FILE__, array( Igny8\Bridge\Install\Activator::class, 'deactivate' ) );
		}
	}
);

add_action(
	'plugins_loaded',
	static function (): void {
		try {
			Igny8\Bridge\Plugin::load();
		} catch ( Throwable $error ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- the site owner needs the cause.
			error_log( 'IGNY8 Bridge failed to load: ' . $error->getMessage() );
			igny8_bridge_admin_notice( 'The plugin failed to load; see the PHP error log.' );
		}
	}
);
