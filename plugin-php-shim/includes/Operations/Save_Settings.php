<?php
/**
 * Operation `save_settings`.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Operations;

use Igny8\Bridge\Registration\Settings;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `{op:"save_settings", settings:{name:value,...}}` → `{settings:{...all options...}}`.
 * Only contract option names; each value is validated against its contract type and enum (allowed post types
 * within the contract's post types). Nothing is written unless every value is valid (VALIDATION_FAILED, with
 * the option name as `field`). No other option can be reached.
 */
final class Save_Settings implements Operation {

	/**
	 * {@inheritDoc}
	 */
	public function check( array $args ): void {
		foreach ( (array) $args['settings'] as $name => $value ) {
			Settings::validate( (string) $name, $value );
		}
	}

	/**
	 * {@inheritDoc}
	 */
	public function run( array $args ): array {
		Settings::save( (array) $args['settings'] );
		return array( 'settings' => (object) Settings::for_wire() );
	}
}
