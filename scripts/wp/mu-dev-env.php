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
add_filter( 'pre_site_transient_update_core', '__return_null' );
add_filter( 'pre_site_transient_update_plugins', '__return_null' );
add_filter( 'pre_site_transient_update_themes', '__return_null' );
add_filter( 'should_load_remote_block_patterns', '__return_false' );
add_filter( 'automatic_updater_disabled', '__return_true' );

// The machine is offline: no Gravatar images (each one is a failed request and a console error in the browser).
add_filter( 'pre_option_show_avatars', '__return_zero' );
