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
use Igny8\Bridge\Support\Schema;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Everything here is idempotent: activating twice, or an upgrade running install() again, changes nothing that
 * already exists (the secret, the site id and the API key survive).
 */
final class Activator {

	public const SITE_UUID_OPTION = 'igny8_site_uuid';

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
		if ( ! wp_is_uuid( (string) get_option( self::SITE_UUID_OPTION, '' ), 4 ) ) {
			update_option( self::SITE_UUID_OPTION, wp_generate_uuid4(), 'yes' );
		}
		if ( false === get_option( Structure_Revision::OPTION ) ) {
			add_option( Structure_Revision::OPTION, 1, '', 'no' );
		}
		Integration_User::ensure_role();
		Integration_User::ensure_user();
	}

	/**
	 * This site's id, as sent in the `sid` claim and bound into the transport keys (Security\Keys).
	 *
	 * A single site may fix it with the IGNY8_SITE_ID constant in wp-config.php (a UUID), next to IGNY8_SIDECAR_SECRET,
	 * so that a reinstall keeps the id the sidecar is pinned to. On multisite the constant would be shared by every
	 * subsite, which is exactly what the id must prevent, so there it is ignored.
	 */
	public static function site_uuid(): string {
		if ( defined( 'IGNY8_SITE_ID' ) && is_string( IGNY8_SITE_ID ) && wp_is_uuid( IGNY8_SITE_ID ) && ! is_multisite() ) {
			return strtolower( IGNY8_SITE_ID );
		}
		$uuid = (string) get_option( self::SITE_UUID_OPTION, '' );
		if ( ! wp_is_uuid( $uuid, 4 ) ) {
			$uuid = wp_generate_uuid4();
			update_option( self::SITE_UUID_OPTION, $uuid, 'yes' );
		}
		return $uuid;
	}
}
