<?php
/**
 * One upsert_post in its own WordPress process, for the concurrency and crash tests of tests/upsert-post.php.
 * Reads the op (JSON) from the environment variable IGNY8_TEST_OP and prints the executor's result as JSON.
 * IGNY8_TEST_START (unix time, float) makes every worker wait for the same moment after bootstrapping, so they
 * really race. IGNY8_TEST_FATAL=1 makes the process die with a PHP fatal error in the middle of the write (right after the
 * new post got its `_igny8_incomplete` marker).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test helper, run inside WordPress via scripts/wp/cli.php eval.

if ( ! defined( 'ABSPATH' ) ) {
	exit( 2 );
}

$igny8_op = json_decode( (string) getenv( 'IGNY8_TEST_OP' ), true );
if ( ! is_array( $igny8_op ) ) {
	fwrite( STDERR, "IGNY8_TEST_OP is not a JSON object\n" );
	exit( 2 );
}
if ( '1' === getenv( 'IGNY8_TEST_FATAL' ) ) {
	add_action(
		'added_post_meta',
		static function ( $meta_id, $post_id, $key ) {
			if ( '_igny8_incomplete' === $key ) {
				trigger_error( 'IGNY8 test: simulated fatal error in the middle of upsert_post', E_USER_ERROR );
			}
		},
		10,
		3
	);
}
$igny8_start = (float) getenv( 'IGNY8_TEST_START' );
while ( $igny8_start > microtime( true ) ) {
	usleep( 1000 );
}
echo wp_json_encode( Igny8\Bridge\Operations\Executor::for_context( 'proxy' )->run( array( $igny8_op ) )[0] ), "\n";
