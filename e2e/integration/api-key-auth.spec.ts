/**
 * SPEC §4 and §9: how IGNY8 authenticates to the public routes.
 */
import { expect, test } from '@playwright/test';

import { stack, wp } from '../support/stack';

const route = '/wp-json/igny8/v1/site-metadata/';

function expectEnvelope( body: Record< string, unknown >, code: string ) {
	expect( body ).toMatchObject( { success: false, code } );
	expect( typeof body.error ).toBe( 'string' );
	expect( body.request_id ).toMatch( /^[0-9a-f-]{36}$/ );
}

test( 'a missing key gets 401 API_KEY_MISSING in the unified envelope', async () => {
	const r = await wp( route, { apiKey: false } );
	expect( r.status ).toBe( 401 );
	expectEnvelope( r.body, 'API_KEY_MISSING' );
} );

test( 'a wrong key, or a key of another length, gets 401 API_KEY_INVALID', async () => {
	for ( const key of [ stack.apiKey.slice( 0, -1 ) + ( stack.apiKey.endsWith( 'A' ) ? 'B' : 'A' ), 'short', stack.apiKey + 'x' ] ) {
		const r = await wp( route, { apiKey: key } );
		expect( r.status ).toBe( 401 );
		expectEnvelope( r.body, 'API_KEY_INVALID' );
	}
} );

test( 'the key is accepted in X-IGNY8-API-KEY', async () => {
	const r = await wp( route );
	expect( r.status ).toBe( 200 );
	expect( r.body.success ).toBe( true );
} );

test( 'the key is accepted as Authorization: Bearer', async () => {
	const r = await wp( route, { apiKey: false, headers: { Authorization: `Bearer ${ stack.apiKey }` } } );
	expect( r.status ).toBe( 200 );
	expect( r.body.success ).toBe( true );
} );

test( 'two headers that disagree get 401 API_KEY_CONFLICT', async () => {
	const r = await wp( route, { headers: { Authorization: 'Bearer something-else-entirely-0123456789abcdef' } } );
	expect( r.status ).toBe( 401 );
	expectEnvelope( r.body, 'API_KEY_CONFLICT' );
} );

test( 'a key in the query string is refused, even a valid one', async () => {
	for ( const param of [ 'api_key', 'key', 'token' ] ) {
		const r = await wp( `${ route }?${ param }=${ encodeURIComponent( stack.apiKey ) }`, { apiKey: false } );
		expect( r.status ).toBe( 400 );
		expectEnvelope( r.body, 'API_KEY_IN_QUERY' );
	}
	const withHeader = await wp( `${ route }?api_key=${ encodeURIComponent( stack.apiKey ) }` );
	expect( withHeader.status ).toBe( 400 );
} );

test( 'the API key never authenticates core /wp/v2 routes', async () => {
	const r = await wp( '/wp-json/wp/v2/users/me' );
	expect( r.status ).toBe( 401 );
} );

test( 'status is public and reveals no secret', async () => {
	const r = await wp< { success: boolean; data: Record< string, unknown > } >( '/wp-json/igny8/v1/status', { apiKey: false } );
	expect( r.status ).toBe( 200 );
	expect( r.body.data ).toMatchObject( {
		plugin_version: expect.any( String ),
		wordpress_version: expect.stringMatching( /^6\./ ),
		api_key_present: true,
		connection_enabled: true,
	} );
	expect( r.text ).not.toContain( stack.apiKey );
	expect( r.text ).not.toContain( stack.secret().toString( 'base64url' ) );
} );
