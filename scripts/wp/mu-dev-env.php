<?php
/**
 * Plugin Name: IGNY8 dev environment (offline)
 * Description: Installed by scripts/wp-runtime.sh. No update checks against wordpress.org, no mail, application passwords over http.
 */

// Application passwords over plain http (WP_ENVIRONMENT_TYPE=local already allows it; be explicit).
add_filter( 'wp_is_application_passwords_available', '__return_true' );

// Never send mail (there is no MTA); report success so flows that mail do not fail.
add_filter( 'pre_wp_mail', '__return_true' );

// No update checks and no remote pattern directory (WP_HTTP_BLOCK_EXTERNAL makes any other call fail fast).
foreach ( array( 'wp_version_check', 'wp_update_plugins', 'wp_update_themes' ) as $igny8_hook ) {
	remove_action( $igny8_hook, $igny8_hook );
}
unset( $igny8_hook );
remove_action( 'admin_init', '_maybe_update_core' );
remove_action( 'admin_init', '_maybe_update_plugins' );
remove_action( 'admin_init', '_maybe_update_themes' );
remove_action( 'init', 'wp_schedule_update_checks' );
// The admin screens that check for updates on load (Plugins, Themes, Updates) would call wordpress.org and log a PHP warning.
foreach ( array( 'load-plugins.php', 'load-update.php', 'load-update-core.php', 'load-themes.php' ) as $igny8_hook ) {
	remove_action( $igny8_hook, 'wp_update_plugins' );
	remove_action( $igny8_hook, 'wp_update_themes' );
}
unset( $igny8_hook );
add_filter( 'pre_site_transient_update_core', '__return_null' );
add_filter( 'pre_site_transient_update_plugins', '__return_null' );
add_filter( 'pre_site_transient_update_themes', '__return_null' );
add_filter( 'should_load_remote_block_patterns', '__return_false' );
add_filter( 'automatic_updater_disabled', '__return_true' );

// The machine is offline: no Gravatar images (each one is a failed request and a console error in the browser).
add_filter( 'pre_option_show_avatars', '__return_zero' );

// No plugin directory either: Plugins → Add New lists nothing, instead of PHP warnings about failed wordpress.org calls.
add_filter(
	'plugins_api',
	static function ( $result, $action ) {
		if ( 'query_plugins' === $action ) {
			return (object) array( 'info' => array( 'page' => 1, 'pages' => 0, 'results' => 0 ), 'plugins' => array() );
		}
		return 'hot_tags' === $action ? new WP_Error( 'plugins_api_offline', 'The plugin directory is not reachable from this machine.' ) : $result;
	},
	10,
	2
);

// The update checks that are called directly (e.g. after a plugin upload) get "no updates" from api.wordpress.org
// at once, anything else asked there a quiet WP_Error: a failed update check would log a PHP warning that has
// nothing to do with the plugin.
add_filter(
	'pre_http_request',
	static function ( $preempt, $args, $url ) {
		$parts = wp_parse_url( (string) $url );
		if ( false !== $preempt || 'api.wordpress.org' !== ( $parts['host'] ?? '' ) ) {
			return $preempt;
		}
		if ( ! preg_match( '#/(plugins|themes)/update-check/|/core/version-check/#', (string) ( $parts['path'] ?? '' ) ) ) {
			return new WP_Error( 'igny8_offline', 'This machine is offline.' );
		}
		return array( 'headers' => array(), 'body' => '{"plugins":[],"themes":[],"no_update":[],"translations":[]}', 'response' => array( 'code' => 200, 'message' => 'OK' ), 'cookies' => array(), 'filename' => null );
	},
	10,
	3
);
