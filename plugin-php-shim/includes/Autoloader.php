<?php
/**
 * Maps Igny8\Bridge\Foo\Bar_Baz to includes/Foo/Bar_Baz.php.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Class autoloader for the plugin namespace (no Composer at run time).
 */
final class Autoloader {

	private const PREFIX = 'Igny8\\Bridge\\';

	/**
	 * Registers the autoloader once.
	 */
	public static function register(): void {
		static $registered = false;
		if ( ! $registered ) {
			spl_autoload_register( array( self::class, 'load' ) );
			$registered = true;
		}
	}

	/**
	 * Loads one class of this plugin.
	 *
	 * @param string $class_name Fully qualified class name.
	 */
	public static function load( string $class_name ): void {
		if ( 0 !== strncmp( $class_name, self::PREFIX, strlen( self::PREFIX ) ) ) {
			return;
		}
		$relative = substr( $class_name, strlen( self::PREFIX ) );
		if ( ! preg_match( '/^[A-Za-z0-9_\\\\]+$/', $relative ) ) {
			return;
		}
		$file = __DIR__ . '/' . str_replace( '\\', '/', $relative ) . '.php';
		if ( is_readable( $file ) ) {
			require_once $file;
		}
	}
}
