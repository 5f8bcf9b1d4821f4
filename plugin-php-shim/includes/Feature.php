<?php
/**
 * A part of the plugin that owns its WordPress hooks.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Each feature class adds all of its hooks in register(), so the hooks of a feature are read in one place.
 */
interface Feature {

	/**
	 * Adds the feature's actions and filters.
	 */
	public function register(): void;
}
