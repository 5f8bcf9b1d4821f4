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

// The instance's port-dependent constants (WP_HOME...), also loaded by wp-config.php (require_once).
require_once dirname( $igny8_site ) . '/igny8-env.php';
$igny8_home = parse_url( WP_HOME );
$igny8_host = $igny8_home['host'] . ( isset( $igny8_home['port'] ) ? ':' . $igny8_home['port'] : '' );

$_SERVER['HTTP_HOST']       = $igny8_host;
$_SERVER['SERVER_NAME']     = $igny8_home['host'];
$_SERVER['SERVER_PORT']     = isset( $igny8_home['port'] ) ? (string) $igny8_home['port'] : '80';
$_SERVER['REQUEST_URI']     = '/';
$_SERVER['REQUEST_METHOD']  = 'GET';
$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
unset( $_SERVER['HTTPS'] );

// A PHP fatal must say why on stderr (WP_DEBUG_DISPLAY is false: WordPress only logs it to debug.log).
define( 'WP_DISABLE_FATAL_ERROR_HANDLER', true );
register_shutdown_function(
	function () {
		$e = error_get_last();
		if ( $e && in_array( $e['type'], array( E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR, E_USER_ERROR, E_RECOVERABLE_ERROR ), true ) ) {
			fwrite( STDERR, "PHP fatal error: {$e['message']} in {$e['file']}:{$e['line']}\n" );
		}
	}
);

// wp_die() (database connection errors included) must fail the command instead of printing HTML and exiting 0.
function igny8_cli_die_handler( $message, $title = '', $args = array() ) {
	if ( function_exists( 'is_wp_error' ) && is_wp_error( $message ) ) {
		$message = implode( '; ', $message->get_error_messages() );
	}
	$text = trim( html_entity_decode( strip_tags( (string) $message ), ENT_QUOTES ) );
	$text = preg_replace( '/\s+/', ' ', '' === $text ? (string) $title : $text );
	fwrite( STDERR, 'wp_die: ' . ( '' === $text ? '(no message)' : $text ) . "\n" );
	if ( is_array( $args ) && isset( $args['exit'] ) && ! $args['exit'] ) {
		return;
	}
	exit( 1 );
}
function igny8_cli_die_handler_name() {
	return 'igny8_cli_die_handler';
}
foreach ( array( 'wp_die_handler', 'wp_die_ajax_handler', 'wp_die_json_handler', 'wp_die_jsonp_handler', 'wp_die_xmlrpc_handler', 'wp_die_xml_handler' ) as $igny8_filter ) {
	// Pre-initialised hooks: WordPress picks them up when plugin.php loads, before the database connects.
	$GLOBALS['wp_filter'][ $igny8_filter ][ PHP_INT_MAX ][] = array(
		'function'      => 'igny8_cli_die_handler_name',
		'accepted_args' => 1,
	);
}

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
