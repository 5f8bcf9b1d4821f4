/**
 * Uninstall leaves nothing of ours (issue #12, item 10), on every site of a multisite network. Runs on its own
 * fresh WordPress (state in .igny8/, never the shared stack: uninstalling that would break every later spec),
 * made a two-site network, with the plugin's data created by the plugin's own code on both sites. Then WordPress's
 * own uninstall_plugin() runs uninstall.php, and the database is read table by table.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

const ROOT = path.join( import.meta.dirname, '../..' );
const PORT = Number( process.env.STACK_CONTROL_PORT ?? 9200 ) + 2; // e2e/global-setup.ts: + 1 … + 9 are this instance's
const STATE = path.join( ROOT, '.igny8', `uninstall-test-${ PORT }` );
const HOST = `127.0.0.1:${ PORT }`;

function runtime( args: string[] ): string {
	return execFileSync( 'bash', [ path.join( ROOT, 'scripts/wp-runtime.sh' ), ...args ], {
		encoding: 'utf8',
		env: { ...process.env, WP_STATE_DIR: STATE, WP_PORT: String( PORT ), WP_VERSION: process.env.IGNY8_WP_VERSION ?? '6.1', WP_DB: 'sqlite', EXTRA_PLUGIN_DIRS: '' },
	} );
}
function evalJson< T >( php: string ): T {
	const out = runtime( [ 'eval', `echo wp_json_encode( ( function () { ${ php } } )() );` ] );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

test.describe( 'item 10: uninstall removes everything the plugin created, on every site', () => {
	test.describe.configure( { timeout: 180_000 } );
	test.afterAll( () => {
		fs.rmSync( STATE, { recursive: true, force: true } );
	} );

	test( 'after uninstall the database holds no option, transient, table, user, role, post/term/user meta or term of ours', () => {
		fs.rmSync( STATE, { recursive: true, force: true } );
		runtime( [ 'setup' ] );
		// A two-site network (the runtime installs a single site; this is what wp-admin's Network Setup does).
		runtime( [ 'eval', `require_once ABSPATH . 'wp-admin/includes/upgrade.php'; require_once ABSPATH . 'wp-admin/includes/network.php';
			global $wpdb; foreach ( $wpdb->tables( 'ms_global' ) as $t => $p ) { $wpdb->$t = $p; }
			install_network(); populate_network( 1, '${ HOST }', 'admin@example.test', 'Net', '/', false );` ] );
		const config = path.join( STATE, 'site/wp-config.php' );
		fs.writeFileSync(
			config,
			fs.readFileSync( config, 'utf8' ).replace(
				"if ( ! defined( 'ABSPATH' ) ) {",
				`define( 'MULTISITE', true );\ndefine( 'SUBDOMAIN_INSTALL', false );\ndefine( 'DOMAIN_CURRENT_SITE', '${ HOST }' );\ndefine( 'PATH_CURRENT_SITE', '/' );\ndefine( 'SITE_ID_CURRENT_SITE', 1 );\ndefine( 'BLOG_ID_CURRENT_SITE', 1 );\nif ( ! defined( 'ABSPATH' ) ) {`
			)
		);
		// On both sites: the plugin active, a publish through the executor (post, meta, cluster term, term meta),
		// a cached route reply, a trashed managed post and a renamed cluster (the two outboxes), a failure row.
		const sites = evalJson< number[] >( `
			$two = wp_insert_site( array( 'domain' => '${ HOST }', 'path' => '/two/', 'title' => 'Two', 'user_id' => 1 ) );
			$out = array();
			foreach ( array( 1, (int) $two ) as $blog ) {
				switch_to_blog( $blog );
				activate_plugin( 'igny8-bridge/igny8-bridge.php' );
				do_action( 'init' );
				$publish = function ( $cid, $title ) use ( $blog ) {
					$r = Igny8\\Bridge\\Operations\\Executor::for_context( 'proxy' )->run( array( array( 'op' => 'upsert_post', 'content_id' => $cid, 'post_type' => 'post',
						'post' => array( 'post_title' => $title, 'post_content' => '<p>x</p>', 'post_status' => 'publish' ),
						'meta' => array( '_igny8_content_id' => $cid, '_igny8_task_id' => $cid ),
						'terms' => array( 'igny8_clusters' => array( array( 'igny8_id' => 50 + $blog, 'name' => 'Cluster ' . $blog ) ) ) ) ) );
					return (int) ( $r[0]['post_id'] ?? 0 );
				};
				$publish( 7000 + $blog, 'Uninstall ' . $blog );
				$gone = $publish( 8000 + $blog, 'Deleted ' . $blog );
				set_transient( 'igny8_route_' . md5( 'status|[]' ), array( 'status' => 200, 'body' => '{}' ), 60 );
				foreach ( get_terms( array( 'taxonomy' => 'igny8_clusters', 'hide_empty' => false ) ) as $term ) { wp_update_term( $term->term_id, 'igny8_clusters', array( 'name' => 'Renamed' ) ); }
				wp_delete_post( $gone, true );
				Igny8\\Bridge\\Security\\Rate_Limiter::record_failure( '203.0.113.9' );
				$out[] = $blog;
				restore_current_blog();
			}
			return $out;
		` );
		expect( sites ).toHaveLength( 2 );

		const FOOTPRINT = `
			global $wpdb;
			$found = array();
			$like = function ( $s ) use ( $wpdb ) { return '%' . $wpdb->esc_like( $s ) . '%'; };
			foreach ( $wpdb->get_col( "SELECT name FROM sqlite_master WHERE type = 'table'" ) as $table ) {
				if ( false !== stripos( $table, 'igny8' ) ) { $found[] = "table $table"; }
			}
			foreach ( get_sites( array( 'fields' => 'ids', 'number' => 0 ) ) as $blog ) {
				switch_to_blog( $blog );
				foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE %s", $like( 'igny8' ) ) ) as $o ) { $found[] = "site $blog option $o"; }
				foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $wpdb->prefix . 'user_roles' ) ) as $roles ) { if ( false !== strpos( $roles, 'igny8' ) ) { $found[] = "site $blog role"; } }
				foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT meta_key FROM {$wpdb->postmeta} WHERE meta_key LIKE %s", $like( '_igny8' ) ) ) as $k ) { $found[] = "site $blog postmeta $k"; }
				foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT meta_key FROM {$wpdb->termmeta} WHERE meta_key LIKE %s", $like( '_igny8' ) ) ) as $k ) { $found[] = "site $blog termmeta $k"; }
				foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT taxonomy FROM {$wpdb->term_taxonomy} WHERE taxonomy LIKE %s", $like( 'igny8' ) ) ) as $t ) { $found[] = "site $blog taxonomy $t"; }
				restore_current_blog();
			}
			foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT DISTINCT meta_key FROM {$wpdb->usermeta} WHERE meta_key LIKE %s OR meta_value LIKE %s", $like( 'igny8' ), $like( 'igny8_integration' ) ) ) as $k ) { $found[] = "usermeta $k"; }
			foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT user_login FROM {$wpdb->users} WHERE user_login LIKE %s", $like( 'igny8' ) ) ) as $u ) { $found[] = "user $u"; }
			foreach ( $wpdb->get_col( $wpdb->prepare( "SELECT meta_key FROM {$wpdb->sitemeta} WHERE meta_key LIKE %s", $like( 'igny8' ) ) ) as $k ) { $found[] = "sitemeta $k"; }
			return $found;
		`;
		// The control: the set-up did create all of that (so an empty result below means removed, not never made).
		const before = evalJson< string[] >( FOOTPRINT ).join( '\n' );
		for ( const expected of [ 'site 1 option igny8_sync_deleted_', 'site 1 option igny8_sync_term_', 'site 2 option igny8_sync_deleted_', 'site 2 option igny8_sync_term_', 'site 2 postmeta _igny8_content_id', 'site 2 termmeta _igny8_cluster_id', 'table wp_2_igny8_jti', 'site 2 role', 'user igny8-integration', '_transient_igny8_route_' ] ) {
			expect( before ).toContain( expected );
		}

		// The Plugins screen deletes only an inactive plugin: deactivated on every site first (its own process, as
		// in wp-admin), then uninstall runs once, in the main site's context.
		runtime( [ 'eval', `require_once ABSPATH . 'wp-admin/includes/plugin.php'; foreach ( get_sites( array( 'fields' => 'ids' ) ) as $b ) { switch_to_blog( $b ); deactivate_plugins( 'igny8-bridge/igny8-bridge.php' ); restore_current_blog(); }` ] );
		runtime( [ 'eval', `require_once ABSPATH . 'wp-admin/includes/plugin.php'; require_once ABSPATH . 'wp-admin/includes/user.php'; require_once ABSPATH . 'wp-admin/includes/ms.php'; uninstall_plugin( 'igny8-bridge/igny8-bridge.php' ); echo 'uninstalled';` ] );
		expect( evalJson< string[] >( FOOTPRINT ) ).toEqual( [] );
		// Content the site owner made stays: the published posts are still there (reassigned, not deleted).
		expect( evalJson< number >( `global $wpdb; $n = 0; foreach ( get_sites( array( 'fields' => 'ids' ) ) as $b ) { switch_to_blog( $b ); $n += (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_title LIKE 'Uninstall %'" ); restore_current_blog(); } return $n;` ) ).toBe( 2 );
	} );
} );
