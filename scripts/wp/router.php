<?php
/**
 * Router for `php -S` (scripts/wp-runtime.sh start): real files are served as they are, everything else
 * (pretty permalinks, /wp-json/...) goes to WordPress's index.php. Dot-files such as the SQLite database
 * (wp-content/database/.ht.sqlite) are never served.
 */
$igny8_path = urldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
// Refuse dot-files and dot-segments that reach something on disk; a virtual path (e.g. a REST route with a
// hostile id) still goes to WordPress, which answers it the way it would behind nginx or Apache.
if ( preg_match( '#/\.#', $igny8_path ) && file_exists( $_SERVER['DOCUMENT_ROOT'] . $igny8_path ) ) {
	http_response_code( 403 );
	header( 'Content-Type: text/plain' );
	echo "Forbidden\n";
	return true;
}
$igny8_file = $_SERVER['DOCUMENT_ROOT'] . $igny8_path;
if ( is_file( $igny8_file ) ) {
	return false;
}
if ( is_dir( $igny8_file ) && is_file( rtrim( $igny8_file, '/' ) . '/index.php' ) ) {
	if ( substr( $igny8_path, -1 ) !== '/' ) {
		$igny8_query = (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_QUERY );
		header( 'Location: ' . $igny8_path . '/' . ( '' === $igny8_query ? '' : '?' . $igny8_query ), true, 301 );
		return true;
	}
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
unset( $igny8_path, $igny8_file );
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
