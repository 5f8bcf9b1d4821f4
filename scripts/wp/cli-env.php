<?php
/**
 * What every php-cli entry into an instance's WordPress sets up before wp-load.php (scripts/wp/cli.php and the
 * PHPUnit bootstrap plugin-php-shim/tests/bootstrap.php): the request globals of the instance's URL, fatal errors
 * reported on stderr, wp_die() failing the process. Needs $igny8_site (the site dir) and igny8_cli_fail().
 *
 * @package Igny8\Bridge
 */

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
