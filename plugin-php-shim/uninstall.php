<?php
/**
 * Removes the plugin's data when it is deleted from the Plugins screen.
 *
 * Keeps the integration user (posts may be attributed to it) but removes its role; removes the tables, the
 * options (including the sidecar secret and the API-key hashes) and the cached route replies.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/Autoloader.php';
Igny8\Bridge\Autoloader::register();

Igny8\Bridge\Install\Schema::drop();

$igny8_bridge_options = array_merge(
	array_keys( Igny8\Bridge\Contract::options() ),
	array(
		Igny8\Bridge\Security\Keys::OPTION,
		Igny8\Bridge\Security\Keys::PREVIOUS_OPTION,
		Igny8\Bridge\Security\Keys::PREVIOUS_SEEN_OPTION,
		Igny8\Bridge\Security\Api_Key::OPTION,
		Igny8\Bridge\Security\Api_Key::PEPPER_OPTION,
		Igny8\Bridge\Install\Activator::SITE_UUID_OPTION,
		Igny8\Bridge\Install\Integration_User::ID_OPTION,
		Igny8\Bridge\Registration\Structure_Revision::OPTION,
	)
);
foreach ( $igny8_bridge_options as $igny8_bridge_option ) {
	delete_option( $igny8_bridge_option );
}

foreach ( Igny8\Bridge\Contract::routes() as $igny8_bridge_route ) {
	delete_transient( 'igny8_route_' . md5( (string) $igny8_bridge_route['id'] . '|[]' ) );
}

remove_role( Igny8\Bridge\Install\Integration_User::ROLE );
