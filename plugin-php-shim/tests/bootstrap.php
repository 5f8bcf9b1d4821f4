<?php
/**
 * PHPUnit bootstrap: loads the WordPress instance of scripts/wp-runtime.sh (IGNY8_WP_SITE, set by
 * `bash scripts/wp-runtime.sh phpunit`) the way scripts/wp/cli.php does, plus the test harness autoloader.
 * PHPUnit includes this file from inside a method, so the globals WordPress's config and core set at file scope
 * are declared global first (as WordPress's own test bootstrap does).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test bootstrap.

global $wpdb, $table_prefix, $wp_version, $wp_db_version, $wp_rewrite, $wp, $wp_query, $wp_the_query, $wp_filter,
	$wp_actions, $wp_current_filter, $wp_object_cache, $wp_roles, $wp_locale, $wp_post_types, $wp_taxonomies,
	$wp_post_statuses, $wp_theme_directories, $shortcode_tags, $current_user, $pagenow, $wp_plugin_paths;

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

function igny8_cli_fail( $message, $code = 1 ) {
	fwrite( STDERR, rtrim( (string) $message ) . "\n" );
	exit( $code );
}

$igny8_site = rtrim( (string) getenv( 'IGNY8_WP_SITE' ), '/' );
if ( '' === $igny8_site || ! is_file( $igny8_site . '/wp-config.php' ) ) {
	igny8_cli_fail( "IGNY8_WP_SITE names no WordPress site ('{$igny8_site}'): run the tests with `bash scripts/wp-runtime.sh phpunit`" );
}
require dirname( __DIR__, 2 ) . '/scripts/wp/cli-env.php';
require $igny8_site . '/wp-load.php';

spl_autoload_register(
	static function ( string $class ): void {
		$prefix = 'Igny8\\Bridge\\Tests\\';
		if ( 0 === strpos( $class, $prefix ) ) {
			$file = __DIR__ . '/' . str_replace( '\\', '/', substr( $class, strlen( $prefix ) ) ) . '.php';
			if ( is_file( $file ) ) {
				require $file;
			}
		}
	}
);
Igny8\Bridge\Tests\Harness\Wp::locks(); // Remembers the lock rows present before the tests.
