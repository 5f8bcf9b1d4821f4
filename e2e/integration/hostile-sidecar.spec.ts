/**
 * A compromised (or buggy) sidecar, issue #12: it holds the site secret, so its replies verify. What it may make
 * WordPress do is the bounded vocabulary, chosen per route in PHP from the contract (`routes[].operations`):
 * settings operations only on the manage_options routes, nothing at all on anonymous /status.
 */
import { expect, test } from '@playwright/test';

import { send } from '../support/hostile';
import { executeThenRespond, withRogueSidecar } from '../support/rogue-sidecar';
import { wp, wpEval } from '../support/stack';

function evalJson< T >( php: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

const SETTINGS_STATE = `return array( 'key' => get_option( 'igny8_api_key_hashes' ), 'author' => get_option( 'igny8_default_author' ), 'enabled' => get_option( 'igny8_connection_enabled' ) );`;
type SettingsState = Record< string, unknown >;
const forgetRouteCache = () => wpEval( `global $wpdb; $wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient\\\\_%igny8\\\\_route\\\\_%'" ); wp_cache_flush();` );

const ATTACKS: Array< [ string, Array< Record< string, unknown > > ] > = [
	[ 'set_api_key (take over the key)', [ { op: 'set_api_key', key: 'rogue-key-0123456789abcdef0123456789abcdef', keep_previous: false } ] ],
	[ 'set_api_key clear', [ { op: 'set_api_key', clear: true } ] ],
	[ 'save_settings (default author, connection off)', [ { op: 'save_settings', settings: { igny8_default_author: 1, igny8_connection_enabled: false } } ] ],
	[ 'upsert_post (write a post)', [ { op: 'upsert_post', content_id: 990001, post_type: 'post', post: { post_title: 'Rogue', post_content: 'x', post_status: 'publish' }, meta: { _igny8_content_id: 990001 } } ] ],
];

test.describe( 'item 8: the operations a sidecar may ask for are chosen per route in PHP', () => {
	let before: SettingsState;
	test.beforeEach( () => {
		before = evalJson< SettingsState >( SETTINGS_STATE );
		forgetRouteCache();
	} );
	test.afterEach( () => {
		// Put back whatever an attack that got through changed, so one failure does not cascade.
		wpEval( `$b = json_decode( ${ JSON.stringify( JSON.stringify( before ) ) }, true ); foreach ( array( 'key' => 'igny8_api_key_hashes', 'author' => 'igny8_default_author', 'enabled' => 'igny8_connection_enabled' ) as $k => $o ) { update_option( $o, $b[ $k ] ); }` );
		forgetRouteCache();
	} );

	for ( const [ name, ops ] of ATTACKS ) {
		test( `anonymous /status: a rogue sidecar's ${ name } is refused and nothing changes`, async () => {
			const r = await withRogueSidecar( executeThenRespond( ops ), () => send( 'GET', '/wp-json/igny8/v1/status' ) );
			expect( evalJson< SettingsState >( SETTINGS_STATE ) ).toEqual( before );
			expect( r.text ).not.toContain( 'rogue' );
			expect( evalJson< number >( `global $wpdb; return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->postmeta} WHERE meta_key = '_igny8_content_id' AND meta_value = '990001'" );` ) ).toBe( 0 );
		} );
	}

	test( 'site-metadata (API key): a rogue sidecar cannot change the key or the settings', async () => {
		const r = await withRogueSidecar( executeThenRespond( [ { op: 'save_settings', settings: { igny8_default_author: 1 } }, { op: 'set_api_key', clear: true } ] ), () => wp( '/wp-json/igny8/v1/site-metadata/' ) );
		// The sidecar misbehaved: a 502 envelope (contract OPERATION_REFUSED), not a 4xx.
		expect( r.status, r.text ).toBe( 502 );
		expect( r.body ).toMatchObject( { success: false, code: 'OPERATION_REFUSED' } );
		expect( evalJson< SettingsState >( SETTINGS_STATE ) ).toEqual( before );
	} );

	test( 'the control: the operation the route does use (site_info on site-metadata) still runs', async () => {
		const r = await withRogueSidecar( executeThenRespond( [ { op: 'site_info' } ], { success: true, data: { control: 1 } } ), async ( seen ) => {
			const reply = await wp( '/wp-json/igny8/v1/site-metadata/' );
			return { reply, continued: seen.some( ( s ) => s.path.startsWith( '/_shim/continue' ) ) };
		} );
		expect( r.reply.status, r.reply.text ).toBe( 200 );
		expect( r.continued ).toBe( true );
	} );
} );

test( 'item 7: a sidecar reply signed for another site (sid) is refused, nothing runs', async () => {
	const before = evalJson< SettingsState >( SETTINGS_STATE );
	forgetRouteCache();
	const r = await withRogueSidecar( executeThenRespond( [ { op: 'site_info' } ], { success: true, data: { other_site: true } } ), () => wp( '/wp-json/igny8/v1/site-metadata/' ), { sid: () => 'another-site-of-the-network' } );
	expect( r.status, r.text ).toBe( 502 );
	expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_BAD_RESPONSE' } );
	expect( r.text ).not.toContain( 'other_site' );
	expect( evalJson< SettingsState >( SETTINGS_STATE ) ).toEqual( before );
} );
