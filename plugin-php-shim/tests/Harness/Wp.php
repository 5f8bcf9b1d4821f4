<?php
/**
 * Helpers of the tests that run inside the real WordPress: ops, database probes, the image fixture servers and
 * worker processes (a separate WordPress bootstrap each, for crash and concurrency tests).
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test harness.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests\Harness;

use Igny8\Bridge\Media\Attachments;
use Igny8\Bridge\Media\Image_Error;
use Igny8\Bridge\Media\Url_Guard;
use Igny8\Bridge\Operations\Executor;

final class Wp {

	/** @var string|null Random per test run: term names and image URLs are new on every run. */
	private static $run = null;

	/** @var int|null Content id base of this run. */
	private static $base = null;

	/** @var string[]|null Lock rows present before the tests (a killed process may have left some). */
	private static $locks_before = null;

	/** @var resource[] Fixture servers (php -S). */
	private static $servers = array();

	/** Random suffix of this run. */
	public static function run_id(): string {
		if ( null === self::$run ) {
			self::$run = substr( md5( uniqid( '', true ) ), 0, 6 );
		}
		return self::$run;
	}

	/** Content ids of this run are base() + a small offset (new on every run, so the site can be reused). */
	public static function base(): int {
		if ( null === self::$base ) {
			self::$base = random_int( 1000, 9999 ) * 10000;
		}
		return self::$base;
	}

	/** JSON for assertion messages. */
	public static function detail( $value ): string {
		return is_string( $value ) ? $value : (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES );
	}

	/** Runs one op in this process. */
	public static function run( array $op ): array {
		return Executor::for_context( 'proxy' )->run( array( $op ) )[0];
	}

	/** A complete upsert_post op with overrides merged in (one level deep for post/meta). */
	public static function op( int $content_id, array $over = array() ): array {
		$op = array(
			'op'         => 'upsert_post',
			'content_id' => $content_id,
			'post_type'  => 'post',
			'post'       => array(
				'post_title'   => "Post {$content_id}",
				'post_content' => '<p>Body</p>',
				'post_status'  => 'publish',
			),
			'meta'       => array( '_igny8_content_id' => $content_id ),
		);
		foreach ( $over as $key => $value ) {
			if ( in_array( $key, array( 'post', 'meta' ), true ) && is_array( $value ) ) {
				$op[ $key ] = array_merge( $op[ $key ], $value );
			} else {
				$op[ $key ] = $value;
			}
		}
		return $op;
	}

	/** Post ids carrying a content id (every status, straight from the database). */
	public static function posts_for( int $content_id ): array {
		global $wpdb;
		return array_map(
			'intval',
			$wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = '_igny8_content_id' AND meta_value = %s ORDER BY post_id", (string) $content_id ) )
		);
	}

	/** Attachment ids with this source URL (database). */
	public static function attachments_for( string $url ): array {
		global $wpdb;
		return array_map(
			'intval',
			$wpdb->get_col( $wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s AND meta_value = %s", Attachments::source_meta_key(), $url ) )
		);
	}

	/** Terms of a taxonomy with this exact name (database). */
	public static function terms_named( string $taxonomy, string $name ): array {
		global $wpdb;
		return array_map(
			'intval',
			$wpdb->get_col( $wpdb->prepare( "SELECT t.term_id FROM {$wpdb->terms} t INNER JOIN {$wpdb->term_taxonomy} tt ON tt.term_id = t.term_id WHERE tt.taxonomy = %s AND t.name = %s", $taxonomy, $name ) )
		);
	}

	/** Lock rows present now that were not there when the tests started (the first call takes the snapshot). */
	public static function locks(): array {
		global $wpdb;
		$names = $wpdb->get_col( "SELECT name FROM {$wpdb->prefix}igny8_locks" );
		if ( null === self::$locks_before ) {
			self::$locks_before = $names;
		}
		return array_values( array_diff( $names, self::$locks_before ) );
	}

	/** Whether a result carries a warning with this code (and field, when given). */
	public static function has_warning( array $result, string $code, ?string $field = null ): bool {
		foreach ( $result['warnings'] ?? array() as $warning ) {
			if ( $warning['code'] === $code && ( null === $field || $warning['field'] === $field ) ) {
				return true;
			}
		}
		return false;
	}

	/** Warnings of a result as field => code, sorted by field. */
	public static function warning_codes( array $result ): array {
		$got = array();
		foreach ( $result['warnings'] ?? array() as $warning ) {
			$got[ $warning['field'] ] = $warning['code'];
		}
		ksort( $got );
		return $got;
	}

	/** Whether an op is refused with OPERATION_REFUSED (and this field, when given). */
	public static function refused( array $result, ?string $field = null ): bool {
		return false === $result['ok'] && 'OPERATION_REFUSED' === ( $result['error']['code'] ?? '' )
			&& ( null === $field || ( $result['error']['field'] ?? null ) === $field );
	}

	/** Url_Guard's verdict: 'ok', 'IMAGE_REFUSED' or 'IMAGE_FAILED'. */
	public static function guard( string $url ): string {
		try {
			Url_Guard::check( $url );
			return 'ok';
		} catch ( Image_Error $error ) {
			return $error->warning_code();
		}
	}

	/** The fixture port: the first 127.0.0.1:PORT entry of IGNY8_IMAGE_HOST_ALLOWLIST (0: none). */
	public static function fixture_port(): int {
		$allow = defined( 'IGNY8_IMAGE_HOST_ALLOWLIST' ) ? (string) IGNY8_IMAGE_HOST_ALLOWLIST : '';
		return preg_match( '/(?:^|,)\s*127\.0\.0\.1:(\d+)\s*(?:,|$)/', $allow, $m ) ? (int) $m[1] : 0;
	}

	/** Base URL of the allow-listed fixture server. */
	public static function fix(): string {
		return 'http://127.0.0.1:' . self::fixture_port();
	}

	/** Base URL of the same fixtures on a port that is not allow-listed. */
	public static function nofix(): string {
		return 'http://127.0.0.1:' . ( self::fixture_port() + 1 );
	}

	/** Starts the fixture servers (allow-listed port and the next one) unless running; false if they do not answer. */
	public static function start_servers(): bool {
		$port = self::fixture_port();
		if ( $port <= 0 ) {
			return false;
		}
		if ( self::$servers ) {
			return true;
		}
		return self::start_server( $port ) && self::start_server( $port + 1 );
	}

	/** Starts the image fixture server on a port and waits for it. */
	private static function start_server( int $port ): bool {
		$proc = self::start_php_server( $port, dirname( __DIR__ ) . '/fixtures/image-server.php' );
		if ( null === $proc ) {
			return false;
		}
		self::$servers[] = $proc;
		return true;
	}

	/**
	 * Starts `php -S 127.0.0.1:PORT ROUTER` (4 workers) and waits until it accepts connections.
	 *
	 * @return resource|null The process, or null if it did not come up (then it is stopped).
	 */
	public static function start_php_server( int $port, string $router ) {
		$log  = get_temp_dir() . "igny8-fixture-{$port}.log";
		$proc = proc_open(
			array( PHP_BINARY, '-S', "127.0.0.1:{$port}", '-t', dirname( $router ), $router ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'file', $log, 'a' ), 2 => array( 'file', $log, 'a' ) ),
			$pipes,
			null,
			array( 'PHP_CLI_SERVER_WORKERS' => '4' ) + getenv()
		);
		if ( ! is_resource( $proc ) ) {
			return null;
		}
		for ( $i = 0; $i < 100; $i++ ) {
			$socket = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.2 );
			if ( $socket ) {
				fclose( $socket );
				return $proc;
			}
			usleep( 50000 );
		}
		self::stop_php_server( $proc );
		return null;
	}

	/** How many times the fixture server on a port answered a GET of this path (from its request log). */
	public static function hits( int $port, string $path ): int {
		$log = (string) @file_get_contents( rtrim( sys_get_temp_dir(), '/' ) . "/igny8-fixture-hits-{$port}.log" );
		return substr_count( "\n" . $log, "\n{$path}\n" );
	}

	/** Stops the image fixture servers. */
	public static function stop_servers(): void {
		foreach ( self::$servers as $proc ) {
			self::stop_php_server( $proc );
		}
		self::$servers = array();
	}

	/**
	 * Stops a `php -S` process, its workers included.
	 *
	 * @param resource|null $proc Process from start_php_server().
	 */
	public static function stop_php_server( $proc ): void {
		if ( ! is_resource( $proc ) ) {
			return;
		}
		$status = proc_get_status( $proc );
		if ( $status['running'] ) {
			// php -S with workers: the master's children are its workers; TERM them by parent pid.
			foreach ( glob( '/proc/[0-9]*/stat' ) ?: array() as $stat ) {
				$line = @file_get_contents( $stat );
				if ( is_string( $line ) && preg_match( '/\) \S+ (\d+) /', $line, $m ) && (int) $m[1] === (int) $status['pid'] ) {
					@posix_kill( (int) basename( dirname( $stat ) ), 15 );
				}
			}
			proc_terminate( $proc, 15 );
		}
		proc_close( $proc );
	}

	/** Starts one worker process (a separate WordPress bootstrap) running an op (tests/worker.php). */
	public static function spawn( array $op, array $env = array() ): array {
		$cli  = dirname( __DIR__, 3 ) . '/scripts/wp/cli.php';
		$code = 'require ' . var_export( dirname( __DIR__ ) . '/worker.php', true ) . ';';
		$proc = proc_open(
			array( PHP_BINARY, '-d', 'memory_limit=256M', $cli, rtrim( ABSPATH, '/' ), 'eval', $code ),
			array( 0 => array( 'file', '/dev/null', 'r' ), 1 => array( 'pipe', 'w' ), 2 => array( 'pipe', 'w' ) ),
			$pipes,
			null,
			array( 'IGNY8_TEST_OP' => wp_json_encode( $op ) ) + $env + getenv()
		);
		return array( $proc, $pipes );
	}

	/** Waits for workers; returns [exit code, decoded result|null, stderr] each. */
	public static function wait( array $workers ): array {
		$out = array();
		foreach ( $workers as list( $proc, $pipes ) ) {
			$stdout = stream_get_contents( $pipes[1] );
			$stderr = stream_get_contents( $pipes[2] );
			fclose( $pipes[1] );
			fclose( $pipes[2] );
			$code  = proc_close( $proc );
			$out[] = array( $code, json_decode( trim( (string) $stdout ), true ), trim( (string) $stderr ) );
		}
		return $out;
	}

	/** Runs one op in a worker process; returns [exit code, decoded result|null, stderr]. */
	public static function run_in_worker( array $op, array $env = array() ): array {
		return self::wait( array( self::spawn( $op, $env ) ) )[0];
	}

	/**
	 * Runs ops in parallel worker processes (all bootstrap first, then start at the same moment).
	 *
	 * @return array{0: array, 1: array, 2: array} Results, the successful ones, a count of outcomes.
	 */
	public static function parallel( array $ops ): array {
		$workers = array();
		$start   = sprintf( '%.3f', microtime( true ) + 1.0 + 0.15 * count( $ops ) );
		foreach ( $ops as $op ) {
			$workers[] = self::spawn( $op, array( 'IGNY8_TEST_START' => $start ) );
		}
		$results = self::wait( $workers );
		$codes   = array_count_values(
			array_map(
				static function ( $r ) {
					return is_array( $r[1] ) ? ( $r[1]['ok'] ? 'ok' : $r[1]['error']['code'] ) : 'exit ' . $r[0] . ' ' . $r[2];
				},
				$results
			)
		);
		$oks     = array_values(
			array_filter(
				$results,
				static function ( $r ) {
					return is_array( $r[1] ) && true === $r[1]['ok'];
				}
			)
		);
		return array( $results, $oks, $codes );
	}
}
