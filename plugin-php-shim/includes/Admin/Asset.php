<?php
/**
 * Enqueues one bundle of build/ from its generated asset file.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Admin;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `build/<name>.js` with the dependencies and version from `build/<name>.asset.php` (written by
 * `@wordpress/scripts`), its translations (text domain `igny8-bridge`), and `build/<name>.css` (+ RTL) when the
 * bundle has styles.
 */
final class Asset {

	public const TEXT_DOMAIN = 'igny8-bridge';

	/**
	 * Enqueues the bundle. Returns false when it was not built (`npm run build`), so the screen stays usable.
	 *
	 * @param string   $name         Entry name (`sidebar`, `settings`).
	 * @param string   $handle       Script and style handle.
	 * @param string[] $style_deps   Style dependencies (e.g. `wp-components`).
	 */
	public static function enqueue( string $name, string $handle, array $style_deps = array() ): bool {
		$asset_file = IGNY8_BRIDGE_DIR . "build/{$name}.asset.php";
		if ( ! is_readable( $asset_file ) ) {
			return false;
		}
		$asset = require $asset_file;
		$deps  = is_array( $asset['dependencies'] ?? null ) ? $asset['dependencies'] : array();
		$ver   = is_string( $asset['version'] ?? null ) ? $asset['version'] : IGNY8_BRIDGE_VERSION;

		wp_enqueue_script( $handle, plugins_url( "build/{$name}.js", IGNY8_BRIDGE_FILE ), $deps, $ver, true );
		wp_set_script_translations( $handle, self::TEXT_DOMAIN, IGNY8_BRIDGE_DIR . 'languages' );

		if ( is_readable( IGNY8_BRIDGE_DIR . "build/{$name}.css" ) ) {
			wp_enqueue_style( $handle, plugins_url( "build/{$name}.css", IGNY8_BRIDGE_FILE ), $style_deps, $ver );
			wp_style_add_data( $handle, 'rtl', 'replace' );
		}
		return true;
	}
}
