<?php
/**
 * This site's id: the `sid` claim of every transport JWT, and part of the keys derived for it (Keys).
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

namespace Igny8\Bridge\Security;

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Option `igny8_site_uuid`, a UUID v4 made once. A single site may fix it with the IGNY8_SIDECAR_SITE_ID constant in
 * wp-config.php, next to IGNY8_SIDECAR_SECRET, so that a reinstall keeps the id the sidecar is pinned to. On multisite
 * the constant would be shared by every subsite, which is exactly what the id must prevent, so there it is ignored.
 */
final class Site_Id {

	public const OPTION = 'igny8_site_uuid';

	/**
	 * The site id, created on first use.
	 */
	public static function current(): string {
		if ( defined( 'IGNY8_SIDECAR_SITE_ID' ) && is_string( IGNY8_SIDECAR_SITE_ID ) && wp_is_uuid( IGNY8_SIDECAR_SITE_ID ) && ! is_multisite() ) {
			return strtolower( IGNY8_SIDECAR_SITE_ID );
		}
		$uuid = (string) get_option( self::OPTION, '' );
		if ( ! wp_is_uuid( $uuid, 4 ) ) {
			$uuid = wp_generate_uuid4();
			update_option( self::OPTION, $uuid, 'yes' );
		}
		return $uuid;
	}
}
