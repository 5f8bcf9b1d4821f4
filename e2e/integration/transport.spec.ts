/**
 * SPEC §3 rule 3 and §9: shim ⇄ sidecar messages are signed both ways, and each side refuses forged,
 * expired, replayed, mis-addressed or body-swapped messages. Also: what IGNY8 sees when the sidecar is down.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';

import { internalClaims, now, PROTOCOL_VERSION, shimRequestClaims, signTransportJwt, stack, wp, wpEvalAsync } from '../support/stack';

const INTERNAL = '/wp-json/igny8/v1/internal/ops';

const callInternal = ( body: string, token?: string ) =>
	wp( INTERNAL, {
		method: 'POST',
		apiKey: false,
		body,
		headers: token ? { Authorization: `Bearer ${ token }` } : {},
	} );

test.describe( 'internal route (sidecar → shim)', () => {
	const body = JSON.stringify( { ops: [ { op: 'list_pending', limit: 5 } ] } );

	test( 'a valid sidecar JWT opens it, once', async () => {
		const token = signTransportJwt( 'sidecar->shim', internalClaims( body ) );
		const first = await callInternal( body, token );
		expect( first.status ).toBe( 200 );
		expect( first.body.success ).toBe( true );
		const replay = await callInternal( body, token );
		expect( replay.status ).toBe( 401 );
		expect( replay.body.code ).toBe( 'SIGNATURE_INVALID' );
	} );

	test( 'one minor protocol version of skew works; more is 503 SIDECAR_VERSION_MISMATCH naming both versions', async () => {
		const [ major, minor ] = PROTOCOL_VERSION.split( '.' ).map( Number ) as [ number, number ];
		for ( const pv of [ `${ major }.${ minor + 1 }`, ...( minor > 0 ? [ `${ major }.${ minor - 1 }` ] : [] ) ] ) {
			const ok = await callInternal( body, signTransportJwt( 'sidecar->shim', internalClaims( body, { pv } ) ) );
			expect( ok.status, pv ).toBe( 200 );
		}
		for ( const pv of [ `${ major }.${ minor + 2 }`, `${ major + 1 }.${ minor }`, undefined ] ) {
			const r = await callInternal( body, signTransportJwt( 'sidecar->shim', internalClaims( body, { pv } ) ) );
			expect( r.status, String( pv ) ).toBe( 503 );
			expect( r.body.code ).toBe( 'SIDECAR_VERSION_MISMATCH' );
			expect( r.body.error ).toContain( `speaks protocol ${ PROTOCOL_VERSION }` );
			expect( r.body.error ).toContain( `speaks protocol ${ pv ?? '(unknown)' }` );
		}
	} );

	const refused: Array< [ string, () => string | undefined, string? ] > = [
		[ 'no JWT', () => undefined ],
		[ 'a JWT signed with another secret', () => signTransportJwt( 'sidecar->shim', internalClaims( body ), { secret: randomBytes( 32 ), kid: undefined } ) ],
		[ 'a JWT signed with the wrong direction key', () => signTransportJwt( 'shim->sidecar', internalClaims( body ) ) ],
		[ 'an expired JWT', () => signTransportJwt( 'sidecar->shim', internalClaims( body, { iat: now() - 300, exp: now() - 240 } ) ) ],
		[ 'a JWT living longer than 60 s', () => signTransportJwt( 'sidecar->shim', internalClaims( body, { exp: now() + 600 } ) ) ],
		[ 'a JWT for another audience', () => signTransportJwt( 'sidecar->shim', internalClaims( body, { aud: 'igny8-shim' } ) ) ],
		[ 'a JWT for another route', () => signTransportJwt( 'sidecar->shim', internalClaims( body, { htu: '/igny8/v1/publish-content/' } ) ) ],
		[ 'a body swapped under a valid JWT', () => signTransportJwt( 'sidecar->shim', internalClaims( JSON.stringify( { ops: [] } ) ) ) ],
		[ 'alg none', () => {
			const b64 = ( v: unknown ) => Buffer.from( JSON.stringify( v ) ).toString( 'base64url' );
			return `${ b64( { alg: 'none', typ: 'JWT' } ) }.${ b64( internalClaims( body ) ) }.`;
		} ],
	];
	for ( const [ name, token ] of refused ) {
		test( `refuses ${ name }`, async () => {
			const r = await callInternal( body, token() );
			expect( [ 401, 503 ] ).toContain( r.status );
			expect( r.body.success ).toBe( false );
			expect( [ 'SIGNATURE_INVALID', 'SIDECAR_AUTH_MISMATCH' ] ).toContain( r.body.code );
		} );
	}
} );

test.describe( 'sidecar (shim → sidecar)', () => {
	const route = '/igny8/v1/site-metadata/';
	const claims = ( overrides: Record< string, unknown > = {} ) =>
		shimRequestClaims( { method: 'GET', route, routeId: 'site_metadata' }, overrides );
	const call = ( token?: string ) =>
		fetch( stack.sidecarUrl + route, { headers: token ? { Authorization: `Bearer ${ token }` } : {} } );

	test( 'answers a valid shim JWT with a signed reply, and refuses its replay', async () => {
		const token = signTransportJwt( 'shim->sidecar', claims() );
		const first = await call( token );
		expect( first.status ).toBe( 200 );
		expect( first.headers.get( 'x-igny8-signature' ) ).toMatch( /^[\w-]+\.[\w-]+\.[\w-]+$/ );
		expect( ( await call( token ) ).status ).toBe( 401 );
	} );

	for ( const [ name, token ] of [
		[ 'no JWT', () => undefined ],
		[ 'a forged JWT', () => signTransportJwt( 'shim->sidecar', claims(), { secret: randomBytes( 32 ) } ) ],
		[ 'an expired JWT', () => signTransportJwt( 'shim->sidecar', claims( { iat: now() - 300, exp: now() - 240 } ) ) ],
		[ 'a JWT for another audience', () => signTransportJwt( 'shim->sidecar', claims( { aud: 'igny8-shim' } ) ) ],
		[ 'a JWT for another method', () => signTransportJwt( 'shim->sidecar', claims( { htm: 'POST' } ) ) ],
	] as Array< [ string, () => string | undefined ] > ) {
		test( `refuses ${ name }`, async () => {
			const r = await call( token() );
			expect( [ 401, 503 ] ).toContain( r.status );
			const body = ( await r.json() ) as { success: boolean };
			expect( body.success ).toBe( false );
		} );
	}
} );

test.describe( 'sidecar unavailable or impersonated', () => {
	test.afterEach( async () => {
		await stack.sidecar( 'start' ).catch( () => undefined );
	} );

	test( 'a stopped sidecar gives 503 SIDECAR_UNAVAILABLE within 2 s, and /status degrades', async () => {
		await stack.sidecar( 'stop' );
		const t = Date.now();
		const r = await wp( '/wp-json/igny8/v1/site-metadata/' );
		expect( Date.now() - t ).toBeLessThan( 2000 );
		expect( r.status ).toBe( 503 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_UNAVAILABLE' } );
		// /status caches the sidecar's health for ~10 s so anonymous traffic never fans out to it.
		await expect
			.poll( async () => ( await wp< { data: { sidecar: { reachable: boolean } } } >( '/wp-json/igny8/v1/status', { apiKey: false } ) ).body.data?.sidecar?.reachable, { timeout: 15_000 } )
			.toBe( false );
	} );

	test( 'a sidecar two releases apart: IGNY8 gets 503 SIDECAR_VERSION_MISMATCH naming both versions, and so does the Sidecar card', async () => {
		await stack.sidecar( 'stop' );
		const port = Number( new URL( stack.sidecarUrl ).port );
		// What a sidecar of protocol 9.0 answers: its health, and an unsigned refusal of our protocol.
		const newer = http.createServer( ( req, res ) => {
			res.writeHead( req.url === '/healthz' ? 200 : 503, { 'Content-Type': 'application/json' } );
			res.end(
				JSON.stringify(
					req.url === '/healthz'
						? { ok: true, version: '9.0.0', protocol: '9.0' }
						: { success: false, code: 'SIDECAR_VERSION_MISMATCH', error: 'mismatch', request_id: 'x', plugin_protocol: PROTOCOL_VERSION, sidecar_protocol: '9.0', sidecar_version: '9.0.0' }
				)
			);
		} );
		await new Promise< void >( ( resolve ) => newer.listen( port, '127.0.0.1', resolve ) );
		try {
			const r = await wp( '/wp-json/igny8/v1/site-metadata/' );
			expect( r.status ).toBe( 503 );
			expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_VERSION_MISMATCH' } );
			expect( r.body.error ).toMatch( new RegExp( `plugin \\d+\\.\\d+\\.\\d+ speaks protocol ${ PROTOCOL_VERSION.replace( '.', '\\.' ) }` ) );
			expect( r.body.error ).toContain( 'the sidecar 9.0.0 speaks protocol 9.0' );

			const card = JSON.parse(
				await wpEvalAsync(
					`wp_set_current_user( 1 ); echo wp_json_encode( rest_do_request( new WP_REST_Request( 'GET', '/igny8/v1/admin/sidecar' ) )->get_data() );`
				)
			) as { data: { reachable: boolean; version: string; protocol: string; problem: { code: string; message: string } } };
			expect( card.data ).toMatchObject( { reachable: true, version: '9.0.0', protocol: '9.0' } );
			expect( card.data.problem.code ).toBe( 'SIDECAR_VERSION_MISMATCH' );
			expect( card.data.problem.message ).toContain( 'the sidecar 9.0.0 speaks protocol 9.0' );
		} finally {
			await new Promise( ( resolve ) => newer.close( resolve ) );
		}
	} );

	test( 'an unsigned reply from whoever answers on the sidecar port is refused and nothing runs', async () => {
		await stack.sidecar( 'stop' );
		const port = Number( new URL( stack.sidecarUrl ).port );
		const rogue = http.createServer( ( _req, res ) => {
			res.writeHead( 200, { 'Content-Type': 'application/json' } );
			res.end( JSON.stringify( { kind: 'respond', status: 200, body: { success: true, data: { pwned: true } } } ) );
		} );
		await new Promise< void >( ( resolve ) => rogue.listen( port, '127.0.0.1', resolve ) );
		try {
			const r = await wp( '/wp-json/igny8/v1/site-metadata/' );
			expect( r.status ).toBe( 502 );
			expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_BAD_RESPONSE' } );
			expect( r.text ).not.toContain( 'pwned' );
		} finally {
			await new Promise( ( resolve ) => rogue.close( resolve ) );
		}
	} );
} );
