/**
 * Anonymous /status traffic against IGNY8's throughput (issue #12, item 5): public routes draw from their own
 * sidecar rate-limit bucket; /status is served stale while one refresh is in flight, so concurrent misses never all
 * reach the sidecar; anonymous callers see only the seed fields, the versions and queue counts need the API key.
 */
import http from 'node:http';
import { expect, test } from '@playwright/test';

import { send } from '../support/hostile';
import { withRogueSidecar } from '../support/rogue-sidecar';
import { newJti, now, PROTOCOL_VERSION, shimRequestClaims, signTransportJwt, stack, wpEval } from '../support/stack';

const forgetRouteCache = () => wpEval( `global $wpdb; $wpdb->query( "DELETE FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient\\\\_%igny8\\\\_route\\\\_%'" ); wp_cache_flush();` );
const STATUS = '/wp-json/igny8/v1/status';
const SEED_FIELDS = [ 'api_key_present', 'connected', 'connection_enabled', 'plugin_version', 'sidecar', 'token_present' ];

test.describe( 'item 5: anonymous /status', () => {
	test.beforeEach( () => forgetRouteCache() );

	test( 'anonymous callers see only the seed fields; the API key adds versions and queue counts', async () => {
		const anonymous = await send( 'GET', STATUS );
		expect( anonymous.status ).toBe( 200 );
		const data = ( anonymous.body as unknown as { data: Record< string, unknown > } ).data;
		expect( Object.keys( data ).sort() ).toEqual( SEED_FIELDS );
		expect( Object.keys( data.sidecar as object ) ).toEqual( [ 'reachable' ] );
		expect( anonymous.text ).not.toMatch( /wordpress_version|"version"|queue/ );

		// Cached by now: the keyed caller still gets everything, and the anonymous one after it still does not.
		const keyed = await send( 'GET', STATUS, { headers: { 'X-IGNY8-API-KEY': stack.apiKey } } );
		const full = ( keyed.body as unknown as { data: Record< string, unknown > } ).data;
		expect( full ).toMatchObject( { wordpress_version: expect.any( String ), sidecar: { reachable: true, version: expect.any( String ), queue: expect.any( Object ) } } );
		expect( Object.keys( ( ( await send( 'GET', STATUS ) ).body as unknown as { data: object } ).data ).sort() ).toEqual( SEED_FIELDS );
		// A wrong key is anonymous (not an error: /status stays public).
		const wrong = await send( 'GET', STATUS, { headers: { 'X-IGNY8-API-KEY': 'x'.repeat( 40 ) } } );
		expect( wrong.status ).toBe( 200 );
		expect( Object.keys( ( wrong.body as unknown as { data: object } ).data ).sort() ).toEqual( SEED_FIELDS );
	} );

	test( 'the degraded answer (sidecar down) shows only the seed fields too', async () => {
		await stack.sidecar( 'stop' );
		try {
			const r = await send( 'GET', STATUS );
			expect( Object.keys( ( r.body as unknown as { data: object } ).data ).sort() ).toEqual( SEED_FIELDS );
		} finally {
			await stack.sidecar( 'start' );
			forgetRouteCache();
		}
	} );

	test( 'concurrent cache misses reach the sidecar once (single flight), the others get the answer', async () => {
		const replies = await withRogueSidecar(
			async () => {
				await new Promise( ( resolve ) => setTimeout( resolve, 1500 ) );
				return { kind: 'respond', status: 200, body: { success: true, data: { plugin_version: '0.1.0', connected: true, api_key_present: true, token_present: true, connection_enabled: true, wordpress_version: '6.1', sidecar: { reachable: true, version: 'x', queue: { pending: 0, failed: 0 } } } } };
			},
			async ( seen ) => {
				const all = await Promise.all( Array.from( { length: 8 }, () => send( 'GET', STATUS ) ) );
				return { statuses: all.map( ( r ) => r.status ), hits: seen.filter( ( s ) => s.path.includes( '/status' ) ).length };
			}
		);
		expect( replies.statuses ).toEqual( Array( 8 ).fill( 200 ) );
		expect( replies.hits ).toBe( 1 );
		forgetRouteCache();
	} );

	test( 'a stale /status is served at once while one refresh runs', async () => {
		await send( 'GET', STATUS ); // cached
		// Age the cached copy past cache_seconds.
		wpEval( `global $wpdb; foreach ( $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE '\\\\_transient\\\\_igny8\\\\_route\\\\_%'" ) as $o ) { $v = get_option( $o ); if ( is_array( $v ) ) { $v['at'] = time() - 3600; update_option( $o, $v ); } } wp_cache_flush();` );
		const result = await withRogueSidecar(
			async () => {
				await new Promise( ( resolve ) => setTimeout( resolve, 3000 ) );
				return { kind: 'respond', status: 200, body: { success: true, data: { plugin_version: '0.1.0', connected: true, api_key_present: true, token_present: true, connection_enabled: true, sidecar: { reachable: true } } } };
			},
			async ( seen ) => {
				const first = send( 'GET', STATUS ); // takes the refresh
				await new Promise( ( resolve ) => setTimeout( resolve, 300 ) );
				const started = Date.now();
				const others = await Promise.all( Array.from( { length: 5 }, () => send( 'GET', STATUS ) ) );
				const waited = Date.now() - started;
				await first;
				return { waited, statuses: others.map( ( r ) => r.status ), hits: seen.filter( ( s ) => s.path.includes( '/status' ) ).length };
			}
		);
		expect( result.statuses ).toEqual( Array( 5 ).fill( 200 ) );
		expect( result.waited, 'the stale copy was served without waiting for the refresh' ).toBeLessThan( 2000 );
		expect( result.hits ).toBe( 1 );
		forgetRouteCache();
	} );
} );

test( 'item 5: a flood of public /status calls does not use up the bucket IGNY8\'s calls draw from', async () => {
	// What PHP would forward on cache misses, sent to the sidecar directly (signed: we hold the site secret).
	const sid = stack.siteId();
	const call = ( route: string, routeId: string ) =>
		new Promise< number >( ( resolve, reject ) => {
			const token = signTransportJwt( 'shim->sidecar', shimRequestClaims( { method: 'GET', route, routeId }, { sid, jti: newJti(), iat: now(), exp: now() + 30, pv: PROTOCOL_VERSION } ) );
			const req = http.request( new URL( stack.sidecarUrl + route ), { method: 'GET', headers: { Authorization: `Bearer ${ token }` }, agent: keepAlive }, ( res ) => {
				// A signed refusal travels as HTTP 200 with {kind:'respond', status}; an unsigned one as its status.
				let text = '';
				res.setEncoding( 'utf8' );
				res.on( 'data', ( chunk ) => ( text += chunk ) );
				res.on( 'end', () => {
					let inner: number | undefined;
					try {
						const body = JSON.parse( text ) as { kind?: string; status?: number; code?: string };
						inner = body.kind === 'respond' ? body.status : body.code === 'RATE_LIMITED' ? 429 : undefined;
					} catch {
						inner = undefined;
					}
					resolve( inner ?? res.statusCode ?? 0 );
				} );
			} );
			req.on( 'error', reject );
			req.end();
		} );
	const keepAlive = new http.Agent( { keepAlive: true, maxSockets: 8 } );
	let limited = false;
	const seen = new Set< number >();
	for ( let i = 0; i < 700 && ! limited; i += 20 ) {
		const statuses = await Promise.all( Array.from( { length: 20 }, () => call( '/igny8/v1/status', 'status' ) ) );
		statuses.forEach( ( s ) => seen.add( s ) );
		limited = statuses.includes( 429 );
	}
	expect( [ ...seen ].filter( ( s ) => s !== 200 && s !== 429 ), 'every flood call was admitted or limited' ).toEqual( [] );
	expect( limited, 'the public bucket did fill up (else this test proves nothing)' ).toBe( true );
	expect( await call( '/igny8/v1/site-metadata/', 'site_metadata' ) ).not.toBe( 429 );
	keepAlive.destroy();
	// Let the public bucket refill for later specs (600/min: a few seconds is plenty for /status's own use).
} );
