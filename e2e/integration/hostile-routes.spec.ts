/**
 * Hostile URLs against every public route of the contract (SPEC §4, §9): hostile ids in the path, wrong methods,
 * credentials and junk in the query string. Each corpus entry is one test; each must get a 4xx envelope (never a
 * 5xx, never HTML or JavaScript) and leave no new "PHP Fatal" line in debug.log. The file ends by checking that the
 * whole corpus wrote nothing (GET routes cannot write; the POST routes' bodies are in hostile-bodies.spec.ts).
 */
import { expect, test } from '@playwright/test';

import { expectErrorEnvelope, hostileCorpus, PUBLIC_ROUTES, type PublicRoute, send } from '../support/hostile';
import { stack } from '../support/stack';

const key = () => ( { 'X-IGNY8-API-KEY': stack.apiKey } );

/** Path segments as they go on the wire (already percent-encoded where needed). */
const HOSTILE_IDS: Array< [ string, string ] > = [
	[ 'path traversal with encoded slashes', '..%2F..%2F..%2Fetc%2Fpasswd' ],
	[ 'path traversal with backslashes', '..%5C..%5Cwp-config.php' ],
	[ 'encoded dot segments out of the namespace', '%2e%2e%2f%2e%2e%2fwp-config.php' ],
	[ 'double-encoded traversal', '%252e%252e%252fwp-config.php' ],
	[ 'SQL: OR 1=1', "1'%20OR%20'1'%3D'1" ],
	[ 'SQL: UNION SELECT', '1%20UNION%20SELECT%20user_pass%20FROM%20wp_users' ],
	[ 'SQL: stacked query', '1%3BDROP%20TABLE%20wp_posts' ],
	[ 'SQL: comment', '1--' ],
	[ 'SQL: hex literal', '0x1F' ],
	[ 'negative', '-1' ],
	[ 'zero', '0' ],
	[ 'a float', '1.5' ],
	[ 'an exponent', '1e3' ],
	[ 'a leading plus', '%2B1' ],
	[ 'padded with spaces', '%201%20' ],
	[ 'beyond 64 bits', '99999999999999999999999' ],
	[ 'beyond the JS safe integer', '9007199254740993' ],
	[ '5000 digits', '9'.repeat( 5000 ) ],
	[ 'a NUL byte after digits', '1%00' ],
	[ 'only a NUL byte', '%00' ],
	[ 'a lone surrogate (CESU-8 bytes)', '%ED%A0%80' ],
	[ 'an overlong UTF-8 slash', '%C0%AF' ],
	[ 'an overlong UTF-8 NUL', '%C0%80' ],
	[ 'a byte that is never UTF-8', '%FF' ],
	[ 'an RTL override', '%E2%80%AE1' ],
	[ 'a zero-width space', '1%E2%80%8B' ],
	[ 'a BOM', '%EF%BB%BF1' ],
	[ 'an emoji', '%F0%9F%98%80' ],
	[ 'full-width digits', '%EF%BC%91%EF%BC%92' ],
	[ 'Arabic-Indic digits', '%D9%A1%D9%A2' ],
	[ 'a CRLF header injection', '1%0D%0ASet-Cookie:%20x%3D1' ],
	[ 'HTML', '%3Cscript%3Ealert(1)%3C%2Fscript%3E' ],
	[ 'a template expression', '%7B%7B7*7%7D%7D' ],
	[ 'a JNDI lookup', '%24%7Bjndi%3Aldap%3A%2F%2Fx%7D' ],
	[ 'a JSON array', '%5B1%5D' ],
];

const ID_ROUTES: PublicRoute[] = [ 'post_by_content_id', 'post_by_task_id', 'post_status' ];
const ALL_ROUTES = Object.keys( PUBLIC_ROUTES ) as PublicRoute[];
const WRONG_METHODS: Record< 'GET' | 'POST', string[] > = { GET: [ 'POST', 'PUT', 'DELETE', 'PATCH' ], POST: [ 'GET', 'PUT', 'DELETE', 'PATCH' ] };
/** A well-formed path of the route (id routes get the id 1). */
const pathOf = ( route: PublicRoute ) => PUBLIC_ROUTES[ route ].path + ( ID_ROUTES.includes( route ) ? '1' : '' );
const withQuery = ( route: PublicRoute, query: string ) => `${ pathOf( route ) }?${ query }`;

const corpus = hostileCorpus();

test.describe( 'hostile ids in the path', () => {
	for ( const route of ID_ROUTES ) {
		for ( const [ name, segment ] of HOSTILE_IDS ) {
			test( `${ route }: ${ name }`, async () => {
				const r = await send( 'GET', PUBLIC_ROUTES[ route ].path + segment, { headers: key() } );
				expectErrorEnvelope( r, [ 'INVALID_ID', 'BAD_REQUEST', 'ROUTE_NOT_FOUND', 'POST_NOT_FOUND' ] );
			} );
		}
	}
} );

test.describe( 'wrong methods get a 404/405 envelope, not HTML', () => {
	for ( const route of ALL_ROUTES ) {
		for ( const method of WRONG_METHODS[ PUBLIC_ROUTES[ route ].method ] ) {
			test( `${ method } ${ route }`, async () => {
				const r = await send( method, pathOf( route ), {
					headers: { ...key(), 'Content-Type': 'application/json' },
					body: method === 'GET' ? undefined : '{"content_id":1,"title":"t","content_html":"x"}',
				} );
				expectErrorEnvelope( r, [ 'ROUTE_NOT_FOUND' ] );
				expect( [ 404, 405 ] ).toContain( r.status );
			} );
		}
		test( `${ route } with X-HTTP-Method-Override: DELETE`, async () => {
			const r = await send( PUBLIC_ROUTES[ route ].method, pathOf( route ), {
				headers: { ...key(), 'X-HTTP-Method-Override': 'DELETE', 'Content-Type': 'application/json' },
				body: PUBLIC_ROUTES[ route ].method === 'POST' ? '{"content_id":1,"title":"t","content_html":"x"}' : undefined,
			} );
			expectErrorEnvelope( r, [ 'ROUTE_NOT_FOUND' ] );
		} );
		test( `${ route } with ?_method=PUT`, async () => {
			const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, '_method=PUT' ), {
				headers: { ...key(), 'Content-Type': 'application/json' },
				body: PUBLIC_ROUTES[ route ].method === 'POST' ? '{"content_id":1,"title":"t","content_html":"x"}' : undefined,
			} );
			expectErrorEnvelope( r, [ 'ROUTE_NOT_FOUND' ] );
		} );
	}
} );

test.describe( 'the query string', () => {
	for ( const route of ALL_ROUTES ) {
		const init = () => ( {
			headers: { ...key(), 'Content-Type': 'application/json' },
			body: PUBLIC_ROUTES[ route ].method === 'POST' ? '{"title":"no content_id"}' : undefined,
		} );
		for ( const param of [ 'api_key', 'access_token', 'X-IGNY8-API-KEY' ] ) {
			test( `${ route }: a valid key in ?${ param } is refused`, async () => {
				const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, `${ param }=${ encodeURIComponent( stack.apiKey ) }` ), init() );
				expectErrorEnvelope( r, [ 'API_KEY_IN_QUERY' ] );
				expect( r.status ).toBe( 400 );
			} );
		}
		test( `${ route }: bytes that are not UTF-8 in the query`, async () => {
			const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, 'q=%FF%C0%AF&%ED%A0%80=1' ), init() );
			expectErrorEnvelope( r, [ 'BAD_REQUEST' ] );
		} );
		test( `${ route }: a URL of 6 KB`, async () => {
			const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, `pad=${ 'a'.repeat( 6000 ) }` ), init() );
			expectErrorEnvelope( r, [ 'BAD_REQUEST' ] );
		} );
		test( `${ route }: 500 query parameters`, async () => {
			const query = Array.from( { length: 500 }, ( _v, i ) => `p${ i }=${ i }` ).join( '&' );
			const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, query ), init() );
			expectErrorEnvelope( r, [ 'BAD_REQUEST' ] );
		} );
		if ( route !== 'status' ) {
			test( `${ route }: ?_jsonp and ?_envelope do not turn a 401 into JavaScript or a 200`, async () => {
				for ( const query of [ '_jsonp=alert', '_envelope=1', '_jsonp=alert&_envelope' ] ) {
					const r = await send( PUBLIC_ROUTES[ route ].method, withQuery( route, query ), { headers: { 'Content-Type': 'application/json' }, body: init().body } );
					expectErrorEnvelope( r, [ 'API_KEY_MISSING' ] );
					expect( r.status ).toBe( 401 );
				}
			} );
		}
	}
} );

corpus.testWroteNothing( 'the whole corpus above wrote nothing' );
