<?php
/**
 * Plugin Name: IGNY8 bench: plugin off per request
 * Description: BENCHMARK ONLY, never shipped. scripts/bench.ts copies it into wp-content/mu-plugins of its own site. A request with the header `X-IGNY8-Bench-Plugin: inactive` runs as if IGNY8 Bridge were deactivated (the plugin is left out of `active_plugins` for that request only), so `npm run bench` can interleave plugin-active and plugin-inactive requests one by one (A, B, B, A) instead of toggling the plugin between blocks.
 * Version:     0.0.0
 * License:     GPL-2.0-or-later
 *
 * @package Igny8\Bench
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( 'inactive' === ( $_SERVER['HTTP_X_IGNY8_BENCH_PLUGIN'] ?? '' ) ) {
	add_filter(
		'option_active_plugins',
		static function ( $plugins ) {
			return array_values( array_diff( (array) $plugins, array( 'igny8-bridge/igny8-bridge.php' ) ) );
		}
	);
}
