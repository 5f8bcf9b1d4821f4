<?php
/**
 * Removes the plugin's data when it is deleted from the Plugins screen, on every site of a network.
 *
 * Per site: the tables, every `igny8_*` option (settings, secret, API-key hashes, site id, the deleted-post and term
 * outboxes, cached route replies and other transients), every `_igny8_*` post and term meta key, the terms of the
 * plugin's taxonomies, and the role; once, the compiled contract (wp-content/cache/igny8-bridge). Then the integration users the plugin created (recognised by their marker, never
 * by login): their posts go to an administrator of each site first, so content is never deleted. SEO plugins' meta
 * keys that the plugin wrote on IGNY8's behalf belong to those plugins and stay.
 *
 * @package Igny8\Bridge
 */

declare( strict_types=1 );

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

require_once __DIR__ . '/includes/Autoloader.php';
Igny8\Bridge\Autoloader::register();
require_once ABSPATH . 'wp-admin/includes/user.php';
if ( is_multisite() ) {
	require_once ABSPATH . 'wp-admin/includes/ms.php';
}

/**
 * Removes the current site's data; returns the integration users it found (by marker).
 *
 * @return int[]
 */
function igny8_bridge_uninstall_site(): array {
	global $wpdb;
	Igny8\Bridge\Support\Schema::drop();

	// phpcs:disable WordPress.DB -- a one-off sweep of the plugin's own rows.
	$options = $wpdb->get_col(
		$wpdb->prepare(
			"SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s OR option_name LIKE %s",
			$wpdb->esc_like( 'igny8_' ) . '%',
			$wpdb->esc_like( '_transient_igny8_' ) . '%',
			$wpdb->esc_like( '_transient_timeout_igny8_' ) . '%'
		)
	);
	foreach ( $options as $option ) {
		delete_option( (string) $option );
	}

	foreach ( array( 'post' => $wpdb->postmeta, 'term' => $wpdb->termmeta ) as $type => $table ) {
		$keys = $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT meta_key FROM {$table} WHERE meta_key LIKE %s", $wpdb->esc_like( '_igny8_' ) . '%' ) );
		foreach ( $keys as $key ) {
			delete_metadata( $type, 0, (string) $key, '', true );
		}
	}

	// The plugin's taxonomies (not registered during uninstall, so by SQL): relationships, then the terms no other
	// taxonomy uses.
	foreach ( array_keys( Igny8\Bridge\Contract::registered_taxonomies() ) as $taxonomy ) {
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT term_taxonomy_id, term_id FROM {$wpdb->term_taxonomy} WHERE taxonomy = %s", $taxonomy ), ARRAY_A );
		foreach ( $rows as $row ) {
			$wpdb->delete( $wpdb->term_relationships, array( 'term_taxonomy_id' => (int) $row['term_taxonomy_id'] ) );
			$wpdb->delete( $wpdb->term_taxonomy, array( 'term_taxonomy_id' => (int) $row['term_taxonomy_id'] ) );
			if ( 0 === (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->term_taxonomy} WHERE term_id = %d", (int) $row['term_id'] ) ) ) {
				$wpdb->delete( $wpdb->terms, array( 'term_id' => (int) $row['term_id'] ) );
				$wpdb->delete( $wpdb->termmeta, array( 'term_id' => (int) $row['term_id'] ) );
			}
		}
	}
	// phpcs:enable

	$users = array_map(
		'intval',
		get_users(
			array(
				'blog_id'  => 0,
				'meta_key' => Igny8\Bridge\Install\Integration_User::MARKER_META, // phpcs:ignore WordPress.DB.SlowDBQuery -- uninstall only.
				'fields'   => 'ID',
			)
		)
	);
	$admins   = get_users(
		array(
			'role'    => 'administrator',
			'fields'  => 'ID',
			'number'  => 1,
			'orderby' => 'ID',
		)
	);
	$reassign = $admins ? (int) $admins[0] : 0;
	foreach ( $users as $user_id ) {
		if ( is_multisite() ) {
			if ( $reassign > 0 && is_user_member_of_blog( $user_id ) ) {
				remove_user_from_blog( $user_id, get_current_blog_id(), $reassign );
			}
		} elseif ( $reassign > 0 && $reassign !== $user_id ) {
			// Never without someone to take the posts over: wp_delete_user() would delete them.
			wp_delete_user( $user_id, $reassign );
		}
	}
	remove_role( Igny8\Bridge\Install\Integration_User::ROLE );
	wp_cache_flush();
	return $users;
}

if ( is_multisite() ) {
	$igny8_bridge_users = array();
	foreach (
		get_sites(
			array(
			'fields' => 'ids',
			'number' => 0,
			)
		) as $igny8_bridge_site
	) {
		switch_to_blog( (int) $igny8_bridge_site );
		$igny8_bridge_users = array_merge( $igny8_bridge_users, igny8_bridge_uninstall_site() );
		restore_current_blog();
	}
	// The accounts are network-wide: deleted once they belong to no site (their posts were reassigned above).
	foreach ( array_unique( $igny8_bridge_users ) as $igny8_bridge_user ) {
		if ( ! get_blogs_of_user( (int) $igny8_bridge_user ) ) {
			wpmu_delete_user( (int) $igny8_bridge_user );
		}
	}
} else {
	igny8_bridge_uninstall_site();
}
Igny8\Bridge\Support\Compiled_Contract::delete_all();
