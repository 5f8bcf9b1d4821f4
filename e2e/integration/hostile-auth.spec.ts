/**
 * Authentication under attack (SPEC §9), extending api-key-auth.spec.ts and transport.spec.ts without repeating
 * them: every API-key route refuses every kind of bad credential; both JWT directions refuse tampered, mis-signed,
 * wrong-algorithm, future-dated, incomplete, malformed and mis-addressed tokens; API-key failures are rate-limited
 * per client IP (429 + Retry-After), never globally.
 *
 * Timing safety is shown by the code path (Api_Key::verify and Jwt::verify use hash_equals), not measured here.
 *
 * The test site trusts 127.0.0.1 as a proxy (IGNY8_TRUSTED_PROXIES), so each test picks its own client IP with
 * X-Forwarded-For and the failures it records never lock out the rest of the suite; the rows are deleted after.
 */
import { createHash, createHmac } from 'node:crypto';
import { expect, test } from '@playwright/test';

import { clearAuthFailures, expectErrorEnvelope, hostileCorpus, PUBLIC_ROUTES, type PublicRoute, send, uniqueClientIp } from '../support/hostile';
import { rawRequest } from '../support/raw-http';
import { internalClaims, newJti, now, shimRequestClaims, signTransportJwt, stack, transportKey, wpEval } from '../support/stack';
import { postIdsForContent } from '../support/wordpress';

const usedIps: string[] = [];
const clientIp = () => {
	const ip = uniqueClientIp();
	usedIps.push( ip );
	return ip;
};
let next = 980_000 + Math.floor( Math.random() * 10_000 );

const corpus = hostileCorpus();
test.afterAll( () => {
	clearAuthFailures( usedIps.splice( 0 ) );
} );

const KEY_ROUTES: PublicRoute[] = [ 'site_metadata', 'publish_content', 'publish', 'post_by_content_id', 'post_by_task_id', 'post_status' ];
const pathOf = ( route: PublicRoute ) => PUBLIC_ROUTES[ route ].path + ( route.startsWith( 'post_' ) ? '1' : '' );
const flipCase = ( text: string ) => [ ...text ].map( ( c ) => ( c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase() ) ).join( '' );
const sameLengthWrongKey = () => {
	const key = stack.apiKey;
	return key.slice( 0, -1 ) + ( key.endsWith( 'A' ) ? 'B' : 'A' );
};

const BAD_CREDENTIALS: Array< [ string, () => Record< string, string >, string[] ] > = [
	[ 'no key at all', () => ( {} ), [ 'API_KEY_MISSING' ] ],
	[ 'a wrong key of the same length', () => ( { 'X-IGNY8-API-KEY': sameLengthWrongKey() } ), [ 'API_KEY_INVALID' ] ],
	[ 'a key of another length', () => ( { 'X-IGNY8-API-KEY': stack.apiKey.slice( 0, 16 ) } ), [ 'API_KEY_INVALID' ] ],
	[ 'a key of 10 KB', () => ( { 'X-IGNY8-API-KEY': stack.apiKey.repeat( Math.ceil( 10_240 / stack.apiKey.length ) ) } ), [ 'API_KEY_INVALID' ] ],
	[ 'the key with its letter case flipped', () => ( { 'X-IGNY8-API-KEY': flipCase( stack.apiKey ) } ), [ 'API_KEY_INVALID' ] ],
	[ 'a wrong key as Bearer', () => ( { Authorization: `Bearer ${ sameLengthWrongKey() }` } ), [ 'API_KEY_INVALID' ] ],
	[ 'the right key and a different Bearer', () => ( { 'X-IGNY8-API-KEY': stack.apiKey, Authorization: `Bearer ${ sameLengthWrongKey() }` } ), [ 'API_KEY_CONFLICT' ] ],
	[ 'the key as a Basic-auth password', () => ( { Authorization: `Basic ${ Buffer.from( `admin:${ stack.apiKey }` ).toString( 'base64' ) }` } ), [ 'API_KEY_MISSING', 'FORBIDDEN', 'API_KEY_INVALID' ] ],
	[ 'a transport JWT signed with the site secret', () => ( { 'X-IGNY8-API-KEY': signTransportJwt( 'sidecar->shim', { iss: 'igny8-sidecar', aud: 'igny8-shim', iat: now(), exp: now() + 30, jti: newJti() } ) } ), [ 'API_KEY_INVALID' ] ],
	[ 'the key in a cookie', () => ( { Cookie: `X-IGNY8-API-KEY=${ stack.apiKey }; api_key=${ stack.apiKey }` } ), [ 'API_KEY_MISSING' ] ],
];

test.describe( 'every API-key route refuses every bad credential', () => {
	for ( const route of KEY_ROUTES ) {
		for ( const [ name, headers, codes ] of BAD_CREDENTIALS ) {
			test( `${ route }: ${ name }`, async () => {
				const id = next++;
				const r = await send( PUBLIC_ROUTES[ route ].method, pathOf( route ), {
					headers: { 'X-Forwarded-For': clientIp(), 'Content-Type': 'application/json', ...headers() },
					body: PUBLIC_ROUTES[ route ].method === 'POST' ? JSON.stringify( { content_id: id, title: 'Unauthorized', content_html: '<p>x</p>' } ) : undefined,
				} );
				expectErrorEnvelope( r, codes );
				expect( r.status ).toBe( 401 );
				expect( r.text ).not.toContain( stack.apiKey );
				if ( PUBLIC_ROUTES[ route ].method === 'POST' ) {
					expect( postIdsForContent( id ) ).toEqual( [] );
				}
			} );
		}
	}
} );

test.describe( 'rate limit on API-key failures (per client IP, custom table)', () => {
	const LIMIT = 20;
	const metadata = ( ip: string, key: string ) => send( 'GET', PUBLIC_ROUTES.site_metadata.path, { headers: { 'X-Forwarded-For': ip, 'X-IGNY8-API-KEY': key } } );

	test( `after ${ LIMIT } failures the next gets 429 with Retry-After, even with the right key, for that IP only`, async () => {
		const ip = clientIp();
		for ( let i = 1; i <= LIMIT; i++ ) {
			const r = await metadata( ip, sameLengthWrongKey() );
			expect( r.status, `failure ${ i }` ).toBe( 401 );
		}
		const limited = await metadata( ip, sameLengthWrongKey() );
		expectErrorEnvelope( limited, [ 'RATE_LIMITED' ] );
		expect( limited.status ).toBe( 429 );
		const retryAfter = Number( limited.headers.get( 'retry-after' ) );
		expect( retryAfter ).toBeGreaterThan( 0 );
		expect( retryAfter ).toBeLessThanOrEqual( 300 );

		// Locked: the right key from that IP waits too (it could be a guess that finally hit).
		const rightKey = await metadata( ip, stack.apiKey );
		expect( rightKey.status ).toBe( 429 );
		expect( rightKey.headers.get( 'retry-after' ) ).toMatch( /^\d+$/ );
		// Never global: IGNY8 calling from elsewhere, and the same attacker's neighbours, are not locked out.
		expect( ( await metadata( clientIp(), stack.apiKey ) ).status ).toBe( 200 );
		expect( ( await send( 'GET', PUBLIC_ROUTES.site_metadata.path, { headers: { 'X-IGNY8-API-KEY': stack.apiKey } } ) ).status ).toBe( 200 );
	} );

	test( 'a locked IP cannot publish on any route, and nothing is written', async () => {
		const ip = clientIp();
		for ( let i = 0; i <= LIMIT; i++ ) {
			await metadata( ip, 'wrong-' + i );
		}
		for ( const route of KEY_ROUTES ) {
			const id = next++;
			const r = await send( PUBLIC_ROUTES[ route ].method, pathOf( route ), {
				headers: { 'X-Forwarded-For': ip, 'X-IGNY8-API-KEY': stack.apiKey, 'Content-Type': 'application/json' },
				body: PUBLIC_ROUTES[ route ].method === 'POST' ? JSON.stringify( { content_id: id, title: 'Locked', content_html: '<p>x</p>' } ) : undefined,
			} );
			expectErrorEnvelope( r, [ 'RATE_LIMITED' ] );
			expect( r.headers.get( 'retry-after' ) ).toMatch( /^\d+$/ );
			if ( PUBLIC_ROUTES[ route ].method === 'POST' ) {
				expect( postIdsForContent( id ) ).toEqual( [] );
			}
		}
	} );

	// Proxies append the address they saw on the right; everything to its left is what the client sent.
	test( 'X-Forwarded-For is read from the right: a forged leftmost entry cannot lock IGNY8 out', async () => {
		const igny8 = clientIp();
		const attacker = clientIp();
		for ( let i = 0; i <= LIMIT; i++ ) {
			// The attacker claims to be IGNY8; the (trusted) proxy appends the attacker's real address.
			await send( 'GET', PUBLIC_ROUTES.site_metadata.path, { headers: { 'X-Forwarded-For': `${ igny8 }, ${ attacker }`, 'X-IGNY8-API-KEY': 'wrong' } } );
		}
		expect( ( await metadata( igny8, stack.apiKey ) ).status, 'IGNY8, behind the same proxy' ).toBe( 200 );
		expect( ( await metadata( attacker, stack.apiKey ) ).status, 'the attacker' ).toBe( 429 );
	} );

	test( 'a random leftmost X-Forwarded-For entry per request does not bypass the limit', async () => {
		const attacker = clientIp();
		const statuses: number[] = [];
		for ( let i = 0; i <= LIMIT + 2; i++ ) {
			const r = await send( 'GET', PUBLIC_ROUTES.site_metadata.path, { headers: { 'X-Forwarded-For': `${ uniqueClientIp() }, ${ attacker }`, 'X-IGNY8-API-KEY': 'wrong' } } );
			statuses.push( r.status );
		}
		expect( statuses.slice( 0, LIMIT ) ).toEqual( Array( LIMIT ).fill( 401 ) );
		expect( statuses.slice( LIMIT ) ).toEqual( [ 429, 429, 429 ] );
	} );

	test( 'trusted proxies in the chain are skipped: the first untrusted address from the right is the client', async () => {
		const ip = clientIp();
		for ( let i = 0; i <= LIMIT; i++ ) {
			await send( 'GET', PUBLIC_ROUTES.site_metadata.path, { headers: { 'X-Forwarded-For': `${ uniqueClientIp() }, ${ ip }, 127.0.0.1`, 'X-IGNY8-API-KEY': 'wrong' } } );
		}
		expect( ( await metadata( ip, stack.apiKey ) ).status ).toBe( 429 );
	} );

	test( 'the failures table is bounded: random client addresses cannot grow it past its cap', async () => {
		const cap = Number( wpEval( "$c = 'Igny8\\Bridge\\Security\\Rate_Limiter::MAX_ROWS'; echo defined( $c ) ? constant( $c ) : 10000;" ).trim().split( '\n' ).pop() );
		expect( cap ).toBeGreaterThan( 0 );
		// Fill the table to its cap with current windows (as a flood of distinct addresses would), then keep going.
		wpEval( `global $wpdb; $t = Igny8\\Bridge\\Support\\Schema::table( 'auth_failures' ); $now = time();
			$have = (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" );
			for ( $i = $have; $i < ${ cap }; $i += 500 ) {
				$rows = array();
				for ( $j = $i; $j < min( $i + 500, ${ cap } ); $j++ ) { $rows[] = $wpdb->prepare( '(%s, 1, %d)', 'fill-' . $j, $now ); }
				$wpdb->query( "INSERT INTO {$t} (ip, failures, window_start) VALUES " . implode( ',', $rows ) );
			}` );
		for ( let i = 0; i < 30; i++ ) {
			const ip = clientIp();
			expect( ( await metadata( ip, 'wrong' ) ).status ).toBe( 401 );
		}
		const rows = Number( wpEval( `global $wpdb; echo $wpdb->get_var( 'SELECT COUNT(*) FROM ' . Igny8\\Bridge\\Support\\Schema::table( 'auth_failures' ) );` ).trim().split( '\n' ).pop() );
		wpEval( `global $wpdb; $wpdb->query( "DELETE FROM " . Igny8\\Bridge\\Support\\Schema::table( 'auth_failures' ) . " WHERE ip LIKE 'fill-%'" );` );
		expect( rows ).toBeLessThanOrEqual( cap );
	} );

	test( 'a success resets the count, and successes are never limited', async () => {
		const ip = clientIp();
		for ( let i = 0; i < LIMIT - 5; i++ ) {
			expect( ( await metadata( ip, 'wrong' ) ).status ).toBe( 401 );
		}
		expect( ( await metadata( ip, stack.apiKey ) ).status ).toBe( 200 );
		for ( let i = 0; i < LIMIT - 5; i++ ) {
			expect( ( await metadata( ip, 'wrong' ) ).status ).toBe( 401 );
		}
		for ( let i = 0; i < LIMIT + 5; i++ ) {
			expect( ( await metadata( ip, stack.apiKey ) ).status ).toBe( 200 );
		}
	} );

	test( 'public /status is never rate-limited by key failures', async () => {
		const ip = clientIp();
		for ( let i = 0; i <= LIMIT; i++ ) {
			await metadata( ip, 'wrong' );
		}
		const r = await send( 'GET', PUBLIC_ROUTES.status.path, { headers: { 'X-Forwarded-For': ip } } );
		expect( r.status ).toBe( 200 );
	} );
} );

/** An HS256-family token with a chosen header, signed with the per-direction key (or raw bytes). */
function signWith( direction: 'shim->sidecar' | 'sidecar->shim', header: Record< string, unknown >, claims: Record< string, unknown >, hash = 'sha256' ): string {
	const secret = stack.secret();
	const key = transportKey( secret, direction, claims.sid );
	const b64 = ( value: unknown ) => Buffer.from( JSON.stringify( value ) ).toString( 'base64url' );
	const input = `${ b64( header ) }.${ b64( claims ) }`;
	return `${ input }.${ createHmac( hash, key ).update( input ).digest( 'base64url' ) }`;
}
const kid = () => createHash( 'sha256' ).update( stack.secret() ).digest( 'hex' ).slice( 0, 16 );
/** Swaps the claims of a signed token for other ones, keeping header and signature. */
const tamper = ( token: string, claims: Record< string, unknown > ) => {
	const [ header, , signature ] = token.split( '.' );
	return `${ header }.${ Buffer.from( JSON.stringify( claims ) ).toString( 'base64url' ) }.${ signature }`;
};

/** Another subsite of a network that shares IGNY8_SIDECAR_SECRET (issue #12 item 7). */
const OTHER_SITE = '6f1c1e2a-0000-4000-8000-0000000000b7';

test.describe( 'shim → sidecar JWT: what transport.spec.ts does not already cover', () => {
	const route = '/igny8/v1/publish-content/';
	const body = JSON.stringify( { content_id: 1, title: 't', content_html: 'x' } );
	const claims = ( overrides: Record< string, unknown > = {} ) =>
		shimRequestClaims( { method: 'POST', route, routeId: 'publish_content', body }, overrides );
	const call = ( token: string | undefined, options: { body?: string; path?: string; headers?: Record< string, string > } = {} ) =>
		rawRequest( stack.sidecarUrl + ( options.path ?? route ), {
			method: 'POST',
			headers: { ...( token ? { Authorization: `Bearer ${ token }` } : {} ), ...options.headers },
			body: options.body ?? body,
		} );

	test( 'the control: a well-signed request is answered with a signed reply', async () => {
		const r = await call( signTransportJwt( 'shim->sidecar', claims() ) );
		expect( r.status ).toBe( 200 );
		expect( r.signed ).toBe( true );
	} );

	const refused: Array< [ string, () => Promise< Awaited< ReturnType< typeof call > > >, number?, string? ] > = [
		[ 'a body swapped under a valid JWT', () => call( signTransportJwt( 'shim->sidecar', claims() ), { body: JSON.stringify( { content_id: 2, title: 'swapped', content_html: 'x' } ) } ) ],
		[ 'one byte appended to the signed body', () => call( signTransportJwt( 'shim->sidecar', claims() ), { body: body + ' ' } ) ],
		[ 'a JWT for another route', () => call( signTransportJwt( 'shim->sidecar', claims( { htu: '/igny8/v1/site-metadata/' } ) ) ) ],
		[ 'claims changed after signing (the kid is known)', () => call( tamper( signTransportJwt( 'shim->sidecar', claims() ), claims( { exp: now() + 31 } ) ) ) ],
		[ 'alg HS512 with the right key', () => call( signWith( 'shim->sidecar', { alg: 'HS512', typ: 'JWT', kid: kid() }, claims(), 'sha512' ) ) ],
		[ 'alg none', () => call( `${ Buffer.from( JSON.stringify( { alg: 'none', typ: 'JWT', kid: kid() } ) ).toString( 'base64url' ) }.${ Buffer.from( JSON.stringify( claims() ) ).toString( 'base64url' ) }.` ) ],
		[ 'no kid in the header', () => call( signWith( 'shim->sidecar', { alg: 'HS256', typ: 'JWT' }, claims() ) ) ],
		[ 'iat two minutes in the future', () => call( signTransportJwt( 'shim->sidecar', claims( { iat: now() + 120, exp: now() + 150 } ) ) ) ],
		[ 'no jti', () => call( signTransportJwt( 'shim->sidecar', { ...claims(), jti: undefined } ) ) ],
		[ 'no bh', () => call( signTransportJwt( 'shim->sidecar', { ...claims(), bh: undefined } ) ) ],
		[ 'iss of the sidecar', () => call( signTransportJwt( 'shim->sidecar', claims( { iss: 'igny8-sidecar' } ) ) ) ],
		[ 'a token of two segments', () => call( signTransportJwt( 'shim->sidecar', claims() ).split( '.' ).slice( 0, 2 ).join( '.' ) ) ],
		[ 'a token that is not base64url', () => call( 'eyJ!!!.@@@.###' ) ],
		[ 'a token of 8 KB', () => call( `${ 'a'.repeat( 4_000 ) }.${ 'b'.repeat( 4_000 ) }.c` ) ],
		[ 'the IGNY8 API key as the Bearer token', () => call( stack.apiKey ) ],
		[ 'a browser Origin header, even with a valid JWT', () => call( signTransportJwt( 'shim->sidecar', claims() ), { headers: { Origin: 'http://evil.example' } } ), 403, 'FORBIDDEN' ],
		[ 'a foreign Host header (DNS rebinding), even with a valid JWT', () => call( signTransportJwt( 'shim->sidecar', claims() ), { headers: { Host: 'evil.example' } } ), 403, 'FORBIDDEN' ],
	];
	for ( const [ name, run, status, code ] of refused ) {
		test( `refuses ${ name }`, async () => {
			const r = await run();
			expect( r.status ).toBe( status ?? 401 );
			expect( r.body ).toMatchObject( { success: false, code: code ?? 'SIGNATURE_INVALID' } );
			expect( r.signed, 'a refusal before authentication is never signed' ).toBe( false );
		} );
	}

	test( 'item 7: a valid token of another site sharing the secret is refused, unsigned (the sidecar serves one site)', async () => {
		const r = await call( signTransportJwt( 'shim->sidecar', claims( { sid: OTHER_SITE } ) ) );
		expect( r.status ).toBe( 503 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_AUTH_MISMATCH', reason: 'site_id' } );
		expect( r.signed ).toBe( false );
		expect( JSON.stringify( r.body ) ).not.toContain( stack.siteId() );
	} );

	test( 'a valid JWT whose ctx names another route is refused (signed 400)', async () => {
		const r = await call( signTransportJwt( 'shim->sidecar', claims( { ctx: { ...claims().ctx, route_id: 'site_metadata' } } ) ) );
		expect( r.status ).toBe( 200 );
		expect( r.signed ).toBe( true );
		expect( r.body ).toMatchObject( { kind: 'respond', status: 400, body: { success: false, code: 'BAD_REQUEST', field: 'ctx.route_id' } } );
	} );
} );

test.describe( 'sidecar → shim internal route: what transport.spec.ts does not already cover', () => {
	const INTERNAL = '/wp-json/igny8/v1/internal/ops';
	const body = JSON.stringify( { ops: [ { op: 'list_pending', limit: 1 } ] } );
	const claims = ( overrides: Record< string, unknown > = {}, forBody = body ) => internalClaims( forBody, overrides );
	const call = ( headers: Record< string, string >, payload = body ) => send( 'POST', INTERNAL, { headers: { 'Content-Type': 'application/json', ...headers }, body: payload } );
	const bearer = ( token: string ) => ( { Authorization: `Bearer ${ token }` } );

	const refused: Array< [ string, () => Record< string, string >, string? ] > = [
		[ 'claims changed after signing (the kid is known)', () => bearer( tamper( signTransportJwt( 'sidecar->shim', claims() ), claims( { aud: 'igny8-shim-internal', sid: 'other' } ) ) ) ],
		[ 'alg HS512 with the right key', () => bearer( signWith( 'sidecar->shim', { alg: 'HS512', typ: 'JWT', kid: kid() }, claims(), 'sha512' ) ) ],
		[ 'alg RS256 in the header', () => bearer( signWith( 'sidecar->shim', { alg: 'RS256', typ: 'JWT', kid: kid() }, claims() ) ) ],
		[ 'no kid in the header', () => bearer( signWith( 'sidecar->shim', { alg: 'HS256', typ: 'JWT' }, claims() ) ) ],
		[ 'iat two minutes in the future', () => bearer( signTransportJwt( 'sidecar->shim', claims( { iat: now() + 120, exp: now() + 150 } ) ) ) ],
		[ 'no bh', () => bearer( signTransportJwt( 'sidecar->shim', { ...claims(), bh: undefined } ) ) ],
		[ 'no jti', () => bearer( signTransportJwt( 'sidecar->shim', { ...claims(), jti: undefined } ) ) ],
		[ 'iss of the shim', () => bearer( signTransportJwt( 'sidecar->shim', claims( { iss: 'igny8-shim' } ) ) ) ],
		[ 'the method claim of a GET', () => bearer( signTransportJwt( 'sidecar->shim', claims( { htm: 'GET' } ) ) ) ],
		[ 'a token of two segments', () => bearer( signTransportJwt( 'sidecar->shim', claims() ).split( '.' ).slice( 0, 2 ).join( '.' ) ) ],
		[ 'a token that is not base64url', () => bearer( 'eyJ!!!.@@@.###' ) ],
		[ 'a valid JWT sent in X-IGNY8-API-KEY instead of Authorization', () => ( { 'X-IGNY8-API-KEY': signTransportJwt( 'sidecar->shim', claims() ) } ) ],
		[ 'the IGNY8 API key (as Bearer and as X-IGNY8-API-KEY)', () => ( { Authorization: `Bearer ${ stack.apiKey }`, 'X-IGNY8-API-KEY': stack.apiKey } ) ],
	];
	for ( const [ name, headers ] of refused ) {
		test( `refuses ${ name }`, async () => {
			const r = await call( headers() );
			// Only the sidecar calls this route: a token without a usable kid reads as a key mismatch (503), so the
			// operator is told to compare fingerprints; everything else is 401.
			expect( [ 401, 503 ], r.text ).toContain( r.status );
			expect( r.body ).toMatchObject( { success: false } );
			expect( [ 'SIGNATURE_INVALID', 'SIDECAR_AUTH_MISMATCH' ] ).toContain( r.body.code );
		} );
	}

	test( 'item 7: the control, a token for this site, opens it', async () => {
		const r = await call( bearer( signTransportJwt( 'sidecar->shim', claims() ) ) );
		expect( r.status, r.text ).toBe( 200 );
	} );

	test( 'item 7: a token signed for another site sharing the secret is refused (keys derived per site)', async () => {
		const r = await call( bearer( signTransportJwt( 'sidecar->shim', claims( { sid: OTHER_SITE } ) ) ) );
		expect( r.status, r.text ).toBe( 401 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIGNATURE_INVALID' } );
	} );

	test( 'item 7: a token with this site\'s keys but another site\'s sid claim is refused (sid checked)', async () => {
		const r = await call( bearer( signTransportJwt( 'sidecar->shim', claims( { sid: OTHER_SITE } ), { keySid: stack.siteId() } ) ) );
		expect( r.status, r.text ).toBe( 401 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIGNATURE_INVALID' } );
	} );

	test( 'a valid JWT cannot run a proxy operation (upsert_post) through the internal route; nothing is written', async () => {
		const id = next++;
		const payload = JSON.stringify( { ops: [ { op: 'upsert_post', content_id: id, post_type: 'post', post: { post_title: 'Internal', post_content: 'x', post_status: 'publish' }, meta: { _igny8_content_id: id } } ] } );
		const r = await call( bearer( signTransportJwt( 'sidecar->shim', claims( {}, payload ) ) ), payload );
		expect( r.body ).toMatchObject( { success: false, code: 'OPERATION_REFUSED' } );
		expect( postIdsForContent( id ) ).toEqual( [] );
	} );

	test( 'a valid JWT over a body nested 40 deep gets JSON_TOO_DEEP', async () => {
		const payload = `{"ops":${ '['.repeat( 40 ) }${ ']'.repeat( 40 ) }}`;
		const r = await call( bearer( signTransportJwt( 'sidecar->shim', claims( {}, payload ) ) ), payload );
		expectErrorEnvelope( r, [ 'JSON_TOO_DEEP' ] );
	} );
} );

corpus.testWroteNothing( 'the whole auth corpus wrote nothing' );
