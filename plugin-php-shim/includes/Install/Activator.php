<?php
/**
 * Activation, deactivation and lazy upgrades.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Install;

use Igny8\Bridge\Registration\Structure_Revision;
use Igny8\Bridge\Security\Api_Key;
use Igny8\Bridge\Security\Keys;
use Igny8\Bridge\Security\Site_Id;
use Igny8\Bridge\Support\Schema;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Everything here is idempotent: activating twice, or an upgrade running install() again, changes nothing that
 * already exists (the secret, the site id and the API key survive).
 */
final class Activator {

	/**
	 * Activation hook.
	 *
	 * @param bool $network_wide Whether this is a network-wide activation.
	 */
	public static function activate( $network_wide = false ): void {
		if ( is_multisite() && $network_wide ) {
			wp_die(
				esc_html__( 'IGNY8 Bridge connects one site to IGNY8: activate it on each site, not network-wide.', 'igny8-bridge' ),
				'',
				array( 'back_link' => true )
			);
		}
		self::install();
	}

	/**
	 * Deactivation hook. Keeps the tables, the secret, the key and the integration user, so reactivating
	 * reconnects without re-pairing the sidecar; uninstall.php removes them.
	 */
	public static function deactivate(): void {
		// Nothing to undo: the plugin schedules no events and adds no rewrite rules.
	}

	/**
	 * Runs install() when the stored schema version is not current (an upgrade without re-activation).
	 */
	public static function maybe_upgrade(): void {
		if ( ! Schema::is_current() ) {
			self::install();
		}
	}

	/**
	 * Creates what the plugin needs, once.
	 */
	public static function install(): void {
		Schema::install();
		Keys::ensure_secret();
		Api_Key::ensure_pepper();
		Site_Id::current();
		if ( false === get_option( Structure_Revision::OPTION ) ) {
			add_option( Structure_Revision::OPTION, 1, '', 'no' );
		}
		Integration_User::ensure_role();
		Integration_User::ensure_user();
	}
}
