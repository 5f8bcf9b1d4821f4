/**
 * Helpers of the hostile-input suites (e2e/integration/hostile-*.spec.ts): one call per corpus entry, the checks
 * every entry must pass (a 4xx envelope, never a 5xx, no new PHP fatal, nothing written), and raw-socket requests
 * for what fetch refuses to send (CRLF in headers, duplicate Content-Length, conflicting Transfer-Encoding).
 */
import net from 'node:net';
import { expect, test } from '@playwright/test';

import { stack, wpEval, type Reply } from './stack';

/** The public routes of the contract, as IGNY8 calls them. */
export const PUBLIC_ROUTES = {
	status: { method: 'GET', path: '/wp-json/igny8/v1/status' },
	site_metadata: { method: 'GET', path: '/wp-json/igny8/v1/site-metadata/' },
	publish_content: { method: 'POST', path: '/wp-json/igny8/v1/publish-content/' },
	publish: { method: 'POST', path: '/wp-json/igny8/v1/publish' },
	post_by_content_id: { method: 'GET', path: '/wp-json/igny8/v1/post-by-content-id/' },
	post_by_task_id: { method: 'GET', path: '/wp-json/igny8/v1/post-by-task-id/' },
	post_status: { method: 'GET', path: '/wp-json/igny8/v1/post-status/' },
} as const;
export type PublicRoute = keyof typeof PUBLIC_ROUTES;

export interface Envelope {
	success: boolean;
	error?: string;
	code?: string;
	field?: string;
	request_id?: string;
}

/**
 * One request, sent as is: no API key unless given, no Content-Type unless given, redirects not followed.
 * The path may hold raw percent-escapes; fetch keeps them (it does not re-encode `%`).
 */
export async function send( method: string, path: string, init: { headers?: Record< string, string >; body?: string | Buffer } = {} ): Promise< Reply< Envelope > > {
	const res = await fetch( stack.wpUrl + path, {
		method,
		headers: init.headers ?? {},
		body: typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array( init.body ),
		redirect: 'manual',
		signal: AbortSignal.timeout( 30_000 ),
	} );
	const text = await res.text();
	let body: unknown;
	try {
		body = JSON.parse( text );
	} catch {
		body = { __not_json: text.slice( 0, 300 ) };
	}
	return { status: res.status, headers: res.headers, body: body as Envelope, text };
}

/**
 * Under nginx or Apache (WP_SERVER, + PHP-FPM) the web server itself refuses some malformed requests before PHP
 * runs (a header over its buffer, a NUL byte or a traversal in the path, TRACE, an unknown transfer coding): its own
 * error page, a 4xx (or 501, which RFC 9112 asks for an unknown transfer coding), signed with its name. Such a
 * request never reached WordPress. `php -S` has no such layer, so there this is never true.
 */
export function isWebServerRefusal( status: number, contentType: string, body: string ): boolean {
	const server = process.env.WP_SERVER ?? 'php';
	if ( server === 'php' || /^application\/json/.test( contentType ) || ! ( ( status >= 400 && status < 500 ) || status === 501 ) ) {
		return false;
	}
	return ( server === 'nginx' ? /<center>nginx\/[\d.]+<\/center>/ : /<address>Apache\/[\d.]+ [^<]*Server at /i ).test( body );
}

/**
 * The one shape every refusal must have: a real 4xx status and the unified error envelope as JSON (or, in front
 * of PHP-FPM, the web server's own refusal: isWebServerRefusal).
 */
export function expectErrorEnvelope( reply: { status: number; headers: Headers; body: Envelope; text: string }, codes?: readonly string[] ): void {
	const summary = `HTTP ${ reply.status }: ${ reply.text.slice( 0, 300 ) }`;
	if ( isWebServerRefusal( reply.status, reply.headers.get( 'content-type' ) ?? '', reply.text ) ) {
		return;
	}
	expect( reply.status, summary ).toBeGreaterThanOrEqual( 400 );
	expect( reply.status, summary ).toBeLessThan( 500 );
	expect( reply.headers.get( 'content-type' ) ?? '', summary ).toMatch( /^application\/json/ );
	expect( reply.body, summary ).toMatchObject( { success: false, code: expect.stringMatching( /^[A-Z][A-Z0-9_]+$/ ), error: expect.any( String ) } );
	expect( reply.body.request_id, summary ).toMatch( /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ );
	if ( codes ) {
		expect( codes, summary ).toContain( reply.body.code );
	}
}

/**
 * Rows that a partial write would leave: posts of every type and status (attachments, revisions and drafts
 * marked incomplete included) and terms. Not meta: sync write-backs of earlier publishes may add meta at any time.
 */
export interface SiteCounts {
	posts: number;
	terms: number;
}

export function siteCounts(): SiteCounts {
	const out = wpEval(
		`global $wpdb; echo wp_json_encode( array( 'posts' => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts}" ), 'terms' => (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->terms}" ) ) );`
	);
	return JSON.parse( out.trim().split( '\n' ).pop() ?? '{}' ) as SiteCounts;
}

/** Lines of wp-content/debug.log that report a PHP fatal error. */
export function fatalLines(): string[] {
	return stack
		.readLog( 'debug' )
		.split( '\n' )
		.filter( ( line ) => /PHP Fatal/i.test( line ) );
}

/** Fails when debug.log gained a "PHP Fatal" line since `before` (the result of fatalLines()). */
export function expectNoNewFatal( before: string[] ): void {
	const added = fatalLines().slice( before.length );
	expect( added, `new PHP fatal errors in debug.log:\n${ added.join( '\n' ) }` ).toEqual( [] );
}

export interface RawReply {
	/** Every HTTP status line the server sent (a smuggled second request would add one). */
	statuses: number[];
	/** Content-Type of the first response. */
	contentType: string;
	/** Body of the first response (chunked transfer coding decoded: nginx and Apache use it). */
	body: string;
	text: string;
	/** The server closed the connection without answering. */
	closedWithoutReply: boolean;
}

/** The payload of a chunked body (what follows the first response's chunks, e.g. a second response, is dropped). */
function dechunk( body: string ): string {
	let out = '';
	let rest = body;
	for ( let m = /^([0-9a-f]+)[^\r\n]*\r\n/i.exec( rest ); m; m = /^([0-9a-f]+)[^\r\n]*\r\n/i.exec( rest ) ) {
		const size = parseInt( m[ 1 ] as string, 16 );
		if ( size === 0 ) {
			break;
		}
		out += rest.slice( m[ 0 ].length, m[ 0 ].length + size );
		rest = rest.slice( m[ 0 ].length + size + 2 );
	}
	return out;
}

/** Sends bytes over a plain TCP socket to the WordPress port and collects everything until the server closes. */
export function rawRequest( bytes: string | Buffer, timeoutMs = 15_000 ): Promise< RawReply > {
	const { hostname, port } = new URL( stack.wpUrl );
	return new Promise( ( resolve ) => {
		const socket = net.connect( Number( port ), hostname );
		const chunks: Buffer[] = [];
		let settled = false;
		const finish = () => {
			if ( settled ) {
				return;
			}
			settled = true;
			socket.destroy();
			const text = Buffer.concat( chunks ).toString( 'latin1' );
			const statuses = [ ...text.matchAll( /(?:^|\r\n)HTTP\/\d(?:\.\d)? (\d{3})/g ) ].map( ( m ) => Number( m[ 1 ] ) );
			const [ head = '', ...rest ] = text.split( '\r\n\r\n' );
			const body = rest.join( '\r\n\r\n' );
			resolve( {
				statuses,
				contentType: /\r\ncontent-type:\s*([^\r\n]*)/i.exec( head )?.[ 1 ] ?? '',
				body: /\r\ntransfer-encoding:\s*chunked/i.test( head ) ? dechunk( body ) : body,
				text,
				closedWithoutReply: text.length === 0,
			} );
		};
		socket.setTimeout( timeoutMs, finish );
		socket.on( 'data', ( chunk ) => chunks.push( chunk ) );
		socket.on( 'end', finish );
		socket.on( 'close', finish );
		socket.on( 'error', finish );
		socket.write( bytes );
	} );
}

/**
 * What a malformed HTTP message may get: refused by the HTTP server itself (a 400 from it, or the connection
 * closed without a reply), or WordPress's 4xx envelope. Never a 5xx, never a second response.
 */
export function expectRawRefusal( reply: RawReply ): void {
	const summary = reply.text.slice( 0, 400 );
	if ( ( process.env.WP_SERVER ?? 'php' ) === 'php' ) {
		expect( reply.statuses.length, `more than one response: ${ summary }` ).toBeLessThanOrEqual( 1 );
	} else {
		// nginx / Apache keep the connection alive, so bytes after a complete request are answered as a next request
		// on it (one server parses both, so nothing is smuggled past anything): each answer must be a refusal.
		for ( const next of reply.statuses.slice( 1 ) ) {
			expect( next, `a later response on the connection: ${ summary }` ).toBeGreaterThanOrEqual( 400 );
			expect( next, `a later response on the connection: ${ summary }` ).toBeLessThan( 500 );
		}
	}
	if ( reply.closedWithoutReply ) {
		return;
	}
	const [ status = 0 ] = reply.statuses;
	if ( isWebServerRefusal( status, reply.contentType, reply.body ) ) {
		return;
	}
	expect( status, summary ).toBeGreaterThanOrEqual( 400 );
	expect( status, summary ).toBeLessThan( 500 );
	if ( /^application\/json/.test( reply.contentType ) ) {
		const body = JSON.parse( reply.body ) as Envelope;
		expect( body, summary ).toMatchObject( { success: false, code: expect.stringMatching( /^[A-Z_]+$/ ) } );
	} else {
		// Only the HTTP server's own refusal is allowed to be something else, and only as a 400.
		expect( status, summary ).toBe( 400 );
	}
}

let clientIpsIssued = 0;
const CLIENT_IPS_PER_WORKER = 4096;

/**
 * A client IP for X-Forwarded-For that no other test of the run uses (the test site trusts 127.0.0.1 as a proxy):
 * 198.18.0.0/15 (RFC 2544), a block of 4096 per worker process (TEST_WORKER_INDEX is unique within a run, a worker
 * started after a failure gets a new one), then counted. Random addresses from a /16 collided: the rate-limit test
 * drew an address an earlier test had already failed with, and got its 429 one failure early.
 */
export function uniqueClientIp(): string {
	const worker = Number( process.env.TEST_WORKER_INDEX ?? 0 );
	if ( clientIpsIssued >= CLIENT_IPS_PER_WORKER || ( worker + 1 ) * CLIENT_IPS_PER_WORKER > 2 ** 17 ) {
		throw new Error( `uniqueClientIp: no address left for worker ${ worker } (${ clientIpsIssued } issued)` );
	}
	const n = worker * CLIENT_IPS_PER_WORKER + clientIpsIssued++;
	return `198.${ 18 + ( n >> 16 ) }.${ ( n >> 8 ) & 255 }.${ n & 255 }`;
}

/** Forgets the recorded API-key failures of these client IPs (the rate limiter's table). */
export function clearAuthFailures( ips: string[] ): void {
	if ( ips.length === 0 ) {
		return;
	}
	wpEval(
		`global $wpdb; foreach ( json_decode( ${ JSON.stringify( JSON.stringify( ips ) ) }, true ) as $ip ) { $wpdb->delete( Igny8\\Bridge\\Support\\Schema::table( 'auth_failures' ), array( 'ip' => $ip ) ); }`
	);
}

/**
 * The checks around a hostile corpus file: after every entry no new PHP fatal, and, as the file's last test (call
 * `testWroteNothing` at the end of the file), nothing written to the site by the whole corpus.
 */
export function hostileCorpus(): { testWroteNothing: ( title: string ) => void } {
	let countsBefore: SiteCounts;
	let fatalBefore: string[] = [];
	test.beforeAll( () => {
		countsBefore = siteCounts();
	} );
	test.beforeEach( () => {
		fatalBefore = fatalLines();
	} );
	test.afterEach( () => {
		expectNoNewFatal( fatalBefore );
	} );
	return {
		testWroteNothing: ( title ) =>
			test( title, () => {
				expect( siteCounts() ).toEqual( countsBefore );
			} ),
	};
}
