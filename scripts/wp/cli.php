<?php
/**
 * php-cli entry point into an instance's WordPress, used by scripts/wp-runtime.sh:
 *
 *   php cli.php SITE_DIR install                 non-interactive wp_install() (admin / password), pretty permalinks
 *   php cli.php SITE_DIR activate DIR [DIR...]   activates the plugin in wp-content/plugins/DIR (igny8-bridge: igny8-bridge.php)
 *   php cli.php SITE_DIR eval 'PHP CODE'         runs code inside WordPress ('-' reads the code from stdin)
 *
 * Exit status: 0 on success, 1 on an exception / wp_die() / failed activation, 255 on a PHP fatal error.
 * Diagnostics go to stderr; stdout carries only what the code prints.
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

function igny8_cli_fail( $message, $code = 1 ) {
	fwrite( STDERR, rtrim( (string) $message ) . "\n" );
	exit( $code );
}

$igny8_site = isset( $argv[1] ) ? rtrim( $argv[1], '/' ) : '';
$igny8_mode = isset( $argv[2] ) ? $argv[2] : '';
$igny8_args = array_slice( $argv, 3 );
if ( '' === $igny8_site || ! is_file( $igny8_site . '/wp-config.php' ) ) {
	igny8_cli_fail( "wp-runtime: no WordPress site at '$igny8_site' (run setup first)" );
}
if ( ! in_array( $igny8_mode, array( 'install', 'activate', 'eval' ), true ) ) {
	igny8_cli_fail( "wp-runtime: unknown mode '$igny8_mode'" );
}

require __DIR__ . '/cli-env.php';

if ( 'install' === $igny8_mode ) {
	define( 'WP_INSTALLING', true );
}

require $igny8_site . '/wp-load.php';

switch ( $igny8_mode ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		// wp_install() probes pretty permalinks over HTTP; no server runs yet, and nothing may leave the machine.
		add_filter(
			'pre_http_request',
			function () {
				return new WP_Error( 'http_request_failed', 'HTTP is disabled during the install' );
			}
		);
		if ( is_blog_installed() ) {
			igny8_cli_fail( 'wp-runtime: WordPress is already installed in ' . $igny8_site );
		}
		$result = wp_install( 'IGNY8 Bridge dev', 'admin', 'admin@example.com', true, '', wp_slash( 'password' ) );
		if ( empty( $result['user_id'] ) ) {
			igny8_cli_fail( 'wp-runtime: wp_install() did not create the admin user' );
		}
		global $wp_rewrite;
		$wp_rewrite->set_permalink_structure( '/%postname%/' );
		flush_rewrite_rules( false );
		$engine = defined( 'DB_ENGINE' ) ? DB_ENGINE : 'mysql';
		if ( 'mysql' === $engine ) {
			global $wpdb;
			$engine = 'mariadb ' . $wpdb->get_var( 'SELECT VERSION()' );
		}
		echo 'WordPress ' . get_bloginfo( 'version' ) . ' installed (PHP ' . PHP_VERSION . ', ' . $engine . ")\n";
		break;

	case 'activate':
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		wp_set_current_user( 1 );
		foreach ( $igny8_args as $dir ) {
			$file = '';
			if ( is_file( WP_PLUGIN_DIR . "/$dir/$dir.php" ) ) {
				$file = "$dir/$dir.php";
			} else {
				$found = array_keys( get_plugins( "/$dir" ) );
				if ( 1 === count( $found ) ) {
					$file = $dir . '/' . $found[0];
				} elseif ( count( $found ) > 1 ) {
					igny8_cli_fail( "wp-runtime: cannot tell the main file of plugin '$dir' (" . implode( ', ', $found ) . "); name it $dir.php" );
				}
			}
			if ( '' === $file ) {
				igny8_cli_fail( "wp-runtime: plugin '$dir' has no PHP file with a 'Plugin Name:' header in " . WP_PLUGIN_DIR . "/$dir" );
			}
			$result = activate_plugin( $file );
			if ( is_wp_error( $result ) ) {
				$data = $result->get_error_data();
				igny8_cli_fail(
					"wp-runtime: activating $file failed: " . $result->get_error_code() . ': ' . $result->get_error_message() .
					( is_string( $data ) && '' !== trim( $data ) ? "\n--- plugin output ---\n" . trim( $data ) : '' )
				);
			}
			wp_cache_delete( 'alloptions', 'options' );
			if ( ! in_array( $file, (array) get_option( 'active_plugins', array() ), true ) ) {
				igny8_cli_fail( "wp-runtime: $file is not active after activate_plugin()" );
			}
			echo "Activated plugin $file\n";
		}
		break;

	case 'eval':
		$code = isset( $igny8_args[0] ) ? $igny8_args[0] : '';
		if ( '-' === $code ) {
			$code = stream_get_contents( STDIN );
		}
		$code = preg_replace( '/^\s*<\?php\s/', '', $code );
		unset( $igny8_site, $igny8_mode, $igny8_args, $igny8_home, $igny8_host, $igny8_filter );
		try {
			eval( $code );
		} catch ( Throwable $e ) {
			fwrite( STDERR, get_class( $e ) . ': ' . $e->getMessage() . ' in ' . $e->getFile() . ':' . $e->getLine() . "\n" . $e->getTraceAsString() . "\n" );
			exit( 1 );
		}
		break;
}
