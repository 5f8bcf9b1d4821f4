<?php
/**
 * One upsert_post in its own WordPress process, for the concurrency and crash tests (tests/Harness/Wp.php spawn()).
 * Reads the op (JSON) from the environment variable IGNY8_TEST_OP and prints the executor's result as JSON.
 * IGNY8_TEST_START (unix time, float) makes every worker wait for the same moment after bootstrapping, so they
 * really race. IGNY8_TEST_FATAL makes the process die in the middle of the write (right after the new post got its
 * `_igny8_content_id` match key of a new post): `1` with a PHP fatal error (cli.php disables WordPress's fatal error handler, so the
 * shutdown functions and the `shutdown` action run), `wp-handler` the way WordPress's fatal error handler dies
 * (it applies `wp_php_error_message`, then exits inside a shutdown function that runs before every other one:
 * simulated with SIGKILL), `kill` with SIGKILL and nothing else (kill -9).
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
$igny8_fatal = (string) getenv( 'IGNY8_TEST_FATAL' );
if ( '' !== $igny8_fatal ) {
	add_action(
		'added_post_meta',
		static function ( $meta_id, $post_id, $key ) use ( $igny8_fatal ) {
			if ( '_igny8_content_id' !== $key ) {
				return;
			}
			if ( 'wp-handler' === $igny8_fatal ) {
				apply_filters( 'wp_php_error_message', 'There has been a critical error on this website.', array( 'type' => E_ERROR ) );
				posix_kill( getmypid(), SIGKILL );
			}
			if ( 'kill' === $igny8_fatal ) {
				posix_kill( getmypid(), SIGKILL );
			}
			trigger_error( 'IGNY8 test: simulated fatal error in the middle of upsert_post', E_USER_ERROR );
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
