<?php
/**
 * No folder of includes/ imports another folder that imports it back (directly or through others). The files at
 * the top of includes/ (Contract, Bridge_Error, Plugin, Autoloader, Feature) are the shared kernel and the
 * composition root, not a folder.
 *
 * @package Igny8\Bridge
 */

// phpcs:disable -- test.

declare( strict_types=1 );

namespace Igny8\Bridge\Tests;

use PHPUnit\Framework\TestCase;

final class Folder_DependenciesTest extends TestCase {

	private const NS = 'Igny8\\Bridge\\';

	/**
	 * Folder → folder → [file that makes the edge, ...], from the class names every file names in code
	 * (use statements and qualified names; comments and strings are not read).
	 *
	 * @return array<string,array<string,string[]>>
	 */
	public static function edges( string $includes ): array {
		$edges = array();
		$files = new \RecursiveIteratorIterator( new \RecursiveDirectoryIterator( $includes, \FilesystemIterator::SKIP_DOTS ) );
		foreach ( $files as $file ) {
			$relative = substr( (string) $file, strlen( $includes ) + 1 );
			if ( '.php' !== substr( $relative, -4 ) || false === strpos( $relative, '/' ) ) {
				continue;
			}
			$from = strtok( $relative, '/' );
			foreach ( token_get_all( (string) file_get_contents( (string) $file ) ) as $token ) {
				if ( ! is_array( $token ) || ! in_array( $token[0], array( T_NAME_QUALIFIED, T_NAME_FULLY_QUALIFIED ), true ) ) {
					continue;
				}
				$name = ltrim( $token[1], '\\' );
				if ( 0 !== strpos( $name, self::NS ) ) {
					continue;
				}
				$parts = explode( '\\', substr( $name, strlen( self::NS ) ) );
				if ( count( $parts ) < 2 || $parts[0] === $from ) {
					continue; // A top-level class (the kernel), or the folder itself.
				}
				$edges[ $from ][ $parts[0] ][ $relative ] = $relative;
			}
		}
		foreach ( $edges as &$targets ) {
			ksort( $targets );
			$targets = array_map( 'array_values', $targets );
		}
		ksort( $edges );
		return $edges;
	}

	/**
	 * Every cycle of the folder graph, each as a path A → B → … → A (one per strongly connected component).
	 *
	 * @param array<string,array<string,string[]>> $edges Folder edges.
	 * @return string[]
	 */
	public static function cycles( array $edges ): array {
		$cycles = array();
		$seen   = array();
		foreach ( array_keys( $edges ) as $start ) {
			$path = self::path_back( $edges, $start, $start, array( $start ) );
			if ( null === $path ) {
				continue;
			}
			$key = $path;
			sort( $key );
			$key = implode( ',', array_unique( $key ) );
			if ( ! isset( $seen[ $key ] ) ) {
				$seen[ $key ] = true;
				$cycles[]     = implode( ' → ', $path );
			}
		}
		return $cycles;
	}

	/**
	 * A path from $node back to $target, breadth first (the shortest), or null.
	 *
	 * @param array<string,array<string,string[]>> $edges  Folder edges.
	 * @param string                               $target Folder to reach.
	 * @param string                               $node   Current folder.
	 * @param string[]                             $path   Path so far.
	 * @return string[]|null
	 */
	private static function path_back( array $edges, string $target, string $node, array $path ): ?array {
		$queue   = array( array( $node, $path ) );
		$visited = array();
		while ( $queue ) {
			list( $current, $so_far ) = array_shift( $queue );
			foreach ( array_keys( $edges[ $current ] ?? array() ) as $next ) {
				if ( $next === $target ) {
					return array_merge( $so_far, array( $target ) );
				}
				if ( ! isset( $visited[ $next ] ) ) {
					$visited[ $next ] = true;
					$queue[]          = array( $next, array_merge( $so_far, array( $next ) ) );
				}
			}
		}
		return null;
	}

	/**
	 * @testdox no folder of includes/ imports a folder that imports it back
	 */
	public function test_no_folder_cycles(): void {
		$edges  = self::edges( dirname( __DIR__ ) . '/includes' );
		$detail = array();
		foreach ( self::cycles( $edges ) as $cycle ) {
			$steps = explode( ' → ', $cycle );
			$line  = $cycle . ':';
			for ( $i = 0; $i + 1 < count( $steps ); $i++ ) {
				$line .= "\n    {$steps[$i]} → {$steps[$i + 1]}: " . implode( ', ', $edges[ $steps[ $i ] ][ $steps[ $i + 1 ] ] );
			}
			$detail[] = $line;
		}
		$this->assertSame( array(), $detail, "Folder import cycles:\n" . implode( "\n", $detail ) );
	}

	/**
	 * @testdox the folder check sees a cycle when there is one (two folders importing each other)
	 */
	public function test_the_check_sees_a_cycle(): void {
		$dir = sys_get_temp_dir() . '/igny8-folder-cycles-' . getmypid();
		@mkdir( "{$dir}/A", 0777, true );
		@mkdir( "{$dir}/B", 0777, true );
		@mkdir( "{$dir}/C", 0777, true );
		file_put_contents( "{$dir}/A/X.php", "<?php\nnamespace Igny8\\Bridge\\A;\nuse Igny8\\Bridge\\B\\Y;\n// \\Igny8\\Bridge\\C\\Z in a comment is no import\n" );
		file_put_contents( "{$dir}/B/Y.php", "<?php\nnamespace Igny8\\Bridge\\B;\nfinal class Y { public function f() { return \\Igny8\\Bridge\\C\\Z::class; } }\n" );
		file_put_contents( "{$dir}/C/Z.php", "<?php\nnamespace Igny8\\Bridge\\C;\nuse Igny8\\Bridge\\Contract;\nfinal class Z { public function f() { return \\Igny8\\Bridge\\A\\X::class; } }\n" );
		$edges = self::edges( $dir );
		array_map( 'unlink', glob( "{$dir}/*/*.php" ) );
		array_map( 'rmdir', glob( "{$dir}/*" ) );
		rmdir( $dir );
		$this->assertSame( array( 'A' => array( 'B' => array( 'A/X.php' ) ), 'B' => array( 'C' => array( 'B/Y.php' ) ), 'C' => array( 'A' => array( 'C/Z.php' ) ) ), $edges );
		$this->assertSame( array( 'A → B → C → A' ), self::cycles( $edges ) );
	}
}
