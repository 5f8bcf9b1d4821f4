/**
 * SPEC §4 and §9: how IGNY8 authenticates to the public routes. Also run on Apache 2.4 + PHP-FPM (proxy_fcgi,
 * WP_SERVER=apache), the shared-hosting shape that drops `Authorization` unless the site passes it on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

import { stack, wp, wpEval } from '../support/stack';

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

const onApache = process.env.WP_SERVER === 'apache';
/** The documented fix (README "Authorization stripped"), the same line the plugin's notice shows. */
const htaccessLine = 'SetEnvIf Authorization "(.*)" HTTP_AUTHORIZATION=$1';
const htaccess = () => path.join( stack.stateDir, 'site/.htaccess' );

/** On Apache: the site's .htaccess with or without the documented line (Apache reads it on every request). */
function setAuthorizationLine( present: boolean ) {
	if ( ! onApache ) {
		return;
	}
	const rest = fs.readFileSync( htaccess(), 'utf8' ).split( '\n' ).filter( ( line ) => line !== htaccessLine );
	fs.writeFileSync( htaccess(), ( present ? [ htaccessLine, ...rest ] : rest ).join( '\n' ) );
}

/** The admin's cookies, from the real login form. */
async function adminCookie(): Promise< string > {
	const res = await fetch( `${ stack.wpUrl }/wp-login.php`, {
		method: 'POST',
		redirect: 'manual',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
		body: new URLSearchParams( { log: 'admin', pwd: 'password', testcookie: '1' } ).toString(),
	} );
	const cookies = res.headers.getSetCookie().map( ( c ) => c.split( ';' )[ 0 ] ?? '' );
	expect( cookies.some( ( c ) => c.startsWith( 'wordpress_logged_in_' ) ) ).toBe( true );
	return cookies.join( '; ' );
}

async function settingsPage( cookie: string ): Promise< string > {
	const res = await fetch( `${ stack.wpUrl }/wp-admin/options-general.php?page=igny8-bridge`, { headers: { Cookie: cookie } } );
	expect( res.status ).toBe( 200 );
	return res.text();
}

const siteHealth = (): { status: string; label: string } =>
	JSON.parse( wpEval( "echo wp_json_encode( Igny8\\Bridge\\Health\\Site_Health::result( Igny8\\Bridge\\Health\\Health_Checks::run( 'authorization' ) ) );" ) );

test( 'Apache + PHP-FPM strips Authorization: X-IGNY8-API-KEY works, Bearer works once the documented .htaccess line is in, the admin is told', async () => {
	test.skip( ! onApache, 'Apache + PHP-FPM only (WP_SERVER=apache)' );
	const cookie = await adminCookie();
	setAuthorizationLine( false );
	try {
		expect( ( await wp( route ) ).status ).toBe( 200 );
		const stripped = await wp( route, { apiKey: false, headers: { Authorization: `Bearer ${ stack.apiKey }` } } );
		expect( stripped.status ).toBe( 401 );
		expectEnvelope( stripped.body, 'API_KEY_MISSING' );
		expect( siteHealth() ).toMatchObject( { status: 'recommended', label: expect.stringContaining( 'strips the Authorization header' ) } );
		const page = await settingsPage( cookie );
		expect( page ).toContain( 'id="igny8-authorization-stripped"' );
		expect( page ).toContain( 'SetEnvIf Authorization &quot;(.*)&quot; HTTP_AUTHORIZATION=$1' );

		setAuthorizationLine( true );
		const bearer = await wp( route, { apiKey: false, headers: { Authorization: `Bearer ${ stack.apiKey }` } } );
		expect( bearer.status ).toBe( 200 );
		expect( siteHealth() ).toMatchObject( { status: 'good' } );
		expect( await settingsPage( cookie ) ).not.toContain( 'igny8-authorization-stripped' );
	} finally {
		setAuthorizationLine( true );
	}
} );

test( 'the admin sees no Authorization notice where the header arrives', async () => {
	setAuthorizationLine( true );
	expect( siteHealth() ).toMatchObject( { status: 'good' } );
	expect( await settingsPage( await adminCookie() ) ).not.toContain( 'igny8-authorization-stripped' );
} );

test( 'the key is accepted as Authorization: Bearer', async () => {
	setAuthorizationLine( true );
	const r = await wp( route, { apiKey: false, headers: { Authorization: `Bearer ${ stack.apiKey }` } } );
	expect( r.status ).toBe( 200 );
	expect( r.body.success ).toBe( true );
} );

test( 'two headers that disagree get 401 API_KEY_CONFLICT', async () => {
	setAuthorizationLine( true );
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
		api_key_present: true,
		connection_enabled: true,
	} );
	// Versions and queue counts only with the API key (hostile-status.spec.ts covers the rest).
	expect( r.body.data.wordpress_version ).toBeUndefined();
	expect( r.text ).not.toContain( stack.apiKey );
	expect( r.text ).not.toContain( stack.secret().toString( 'base64url' ) );
} );
