<?php
/**
 * The contract file compiled to PHP, so OPcache serves it from shared memory.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Support;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Every request reads the contract (the REST namespace, the taxonomies to register), and json_decode of the 36 KB
 * file took about 1 ms of CPU, page views included. The decoded array is written once as a PHP file returning
 * the array (var_export: scalars and arrays only) under wp-content/cache/igny8-bridge/; OPcache keeps that file's
 * array in shared memory, so an include costs microseconds. The JSON stays the only source: the compiled file's
 * name carries the JSON file's path, size, modification time and inode, so an edited or updated contract is read
 * and compiled again (under a new name: nothing stale can be served, whatever opcache.validate_timestamps says),
 * and the older copies are deleted. Without OPcache for this SAPI there is nothing to gain and nothing is written.
 */
final class Compiled_Contract {

	/**
	 * The compiled copy's path for this contract file, or null when none is used (no OPcache).
	 *
	 * @param string              $json_path The contract file.
	 * @param array<string,mixed> $stat      Its stat().
	 */
	public static function file( string $json_path, array $stat ): ?string {
		if ( ! self::opcache_enabled() ) {
			return null;
		}
		$key = md5( $json_path . '|' . $stat['size'] . '|' . $stat['mtime'] . '|' . $stat['ino'] . '|' . IGNY8_BRIDGE_VERSION );
		return self::dir() . '/contract-' . $key . '.php';
	}

	/**
	 * The compiled contract, or null when there is none (or it is unreadable).
	 *
	 * @param string $file Compiled copy's path.
	 * @return array<string,mixed>|null
	 */
	public static function read( string $file ): ?array {
		if ( ! is_file( $file ) ) {
			return null;
		}
		$data = include $file;
		return is_array( $data ) ? $data : null;
	}

	/**
	 * Writes the compiled copy (atomically: a temporary file renamed) and deletes older ones. Failing is harmless:
	 * the next request decodes the JSON again.
	 *
	 * @param string              $file Compiled copy's path.
	 * @param array<string,mixed> $data Decoded contract.
	 */
	public static function write( string $file, array $data ): void {
		$dir = dirname( $file );
		if ( ! wp_mkdir_p( $dir ) || ! wp_is_writable( $dir ) ) {
			return;
		}
		$code = "<?php\n// Compiled from the IGNY8 Bridge contract file (contract/igny8-contract.json); safe to delete.\n"
			. "if ( ! defined( 'ABSPATH' ) ) {\n\texit;\n}\nreturn " . var_export( $data, true ) . ";\n"; // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_var_export -- the compiled form of the contract.
		$temp = $file . '.' . getmypid() . '.tmp';
		// phpcs:disable WordPress.WP.AlternativeFunctions -- a cache file next to other caches, written before WP_Filesystem exists.
		if ( false === file_put_contents( $temp, $code, LOCK_EX ) ) {
			return;
		}
		if ( ! rename( $temp, $file ) ) {
			wp_delete_file( $temp );
			return;
		}
		// phpcs:enable
		foreach ( (array) glob( $dir . '/contract-*.php' ) as $old ) {
			if ( is_string( $old ) && $old !== $file ) {
				wp_delete_file( $old );
			}
		}
	}

	/**
	 * Deletes every compiled copy and their folder (uninstall).
	 */
	public static function delete_all(): void {
		foreach ( (array) glob( self::dir() . '/contract-*.php*' ) as $file ) {
			if ( is_string( $file ) ) {
				wp_delete_file( $file );
			}
		}
		@rmdir( self::dir() ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions -- removed only when empty.
	}

	/**
	 * The folder of the compiled copies.
	 */
	public static function dir(): string {
		return WP_CONTENT_DIR . '/cache/igny8-bridge';
	}

	/**
	 * Whether OPcache caches scripts for this SAPI (the CLI has its own switch).
	 */
	private static function opcache_enabled(): bool {
		if ( ! function_exists( 'opcache_get_status' ) || ! filter_var( ini_get( 'opcache.enable' ), FILTER_VALIDATE_BOOLEAN ) ) {
			return false;
		}
		return 'cli' !== PHP_SAPI || filter_var( ini_get( 'opcache.enable_cli' ), FILTER_VALIDATE_BOOLEAN );
	}
}
