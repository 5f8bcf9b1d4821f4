/**
 * Malformed HTTP messages sent over raw sockets (fetch refuses to send them): CRLF and NUL in headers, request
 * smuggling attempts (duplicate Content-Length, Content-Length + Transfer-Encoding, obfuscated or doubled
 * Transfer-Encoding), dot segments, oversized headers. The HTTP server may refuse them itself (a 400, or closing
 * the connection); otherwise WordPress must answer with a 4xx envelope. Never a 5xx, never a second response, and
 * the publish a smuggled request carries must never happen.
 */
import { expect, test } from '@playwright/test';

import { expectRawRefusal, hostileCorpus, rawRequest } from '../support/hostile';
import { stack } from '../support/stack';
import { postIdsForContent } from '../support/wordpress';

let next = 950_000 + Math.floor( Math.random() * 40_000 );

const host = () => new URL( stack.wpUrl ).host;
const PUBLISH = '/wp-json/igny8/v1/publish-content/';
/** A publish the corpus must never let through: smuggled requests carry it. */
const smuggledPublish = ( id: number ) => JSON.stringify( { content_id: id, title: 'Smuggled', content_html: '<p>smuggled</p>', status: 'completed' } );
/** The body the front request carries: an invalid publish (no content_html), so it cannot create anything either. */
const frontBody = ( id: number ) => JSON.stringify( { content_id: id, title: 'Front' } );
const smuggledRequest = ( id: number, key: string ) => {
	const body = smuggledPublish( id );
	return `POST ${ PUBLISH } HTTP/1.1\r\nHost: ${ host() }\r\nX-IGNY8-API-KEY: ${ key }\r\nContent-Type: application/json\r\nContent-Length: ${ Buffer.byteLength( body ) }\r\n\r\n${ body }`;
};
const head = ( lines: string[] ) => lines.join( '\r\n' ) + '\r\n\r\n';
const chunked = ( body: string ) => `${ Buffer.byteLength( body ).toString( 16 ) }\r\n${ body }\r\n0\r\n\r\n`;

interface RawCase {
	name: string;
	/** The bytes to send; `id` is the content id of the publish that must not happen. */
	bytes: ( id: number, key: string ) => string | Buffer;
	/** The WP_SERVER shapes this case applies to (default: all). */
	servers?: string[];
}

const CASES: RawCase[] = [
	{
		name: 'a bare CR inside a header value',
		bytes: ( _id, key ) => head( [ `GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'X-Note: a\rb', 'Connection: close' ] ),
	},
	{
		name: 'a bare LF inside a header value smuggling a header',
		bytes: ( id ) => head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-Note: a\nX-IGNY8-API-KEY: stolen`, 'Content-Type: application/json', `Content-Length: ${ frontBody( id ).length }`, 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'CRLF CRLF in a header value smuggling a second request',
		// On one keep-alive connection to nginx or Apache these bytes simply are two pipelined requests, the second one
		// carrying the valid key: no single HTTP parser can tell them from pipelining (smuggling needs a front proxy
		// that parses them differently). `php -S` answers the first and closes, so there it must stay one response.
		servers: [ 'php' ],
		bytes: ( id, key ) => `GET /wp-json/igny8/v1/post-status/x HTTP/1.1\r\nHost: ${ host() }\r\nX-Note: a\r\n\r\n${ smuggledRequest( id, key ) }`,
	},
	{
		name: 'two different Content-Length headers',
		bytes: ( id, key ) => {
			const body = frontBody( id ) + smuggledRequest( id, key );
			return head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', `Content-Length: ${ frontBody( id ).length }`, `Content-Length: ${ Buffer.byteLength( body ) }`, 'Connection: close' ] ) + body;
		},
	},
	{
		name: 'a Content-Length list "n, m"',
		bytes: ( id, key ) => head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', `Content-Length: ${ frontBody( id ).length }, 5`, 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'Content-Length and Transfer-Encoding: chunked (CL.TE)',
		bytes: ( id, key ) => {
			// A front end reading Content-Length would forward the smuggled request as the next one.
			const body = `0\r\n\r\n${ smuggledRequest( id, key ) }`;
			return head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', `Content-Length: ${ Buffer.byteLength( body ) }`, 'Transfer-Encoding: chunked' ] ) + body;
		},
	},
	{
		name: 'Transfer-Encoding: chunked and a short Content-Length (TE.CL)',
		bytes: ( id, key ) => {
			const body = chunked( smuggledRequest( id, key ) );
			return head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked', 'Connection: close' ] ) + body;
		},
	},
	{
		name: 'two Transfer-Encoding headers (chunked, identity)',
		bytes: ( id, key ) =>
			head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Transfer-Encoding: identity', 'Connection: close' ] ) + chunked( frontBody( id ) ),
	},
	{
		name: 'an obfuscated Transfer-Encoding (space before the colon)',
		bytes: ( id, key ) =>
			head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Transfer-Encoding : chunked', `Content-Length: ${ frontBody( id ).length }`, 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'an unknown transfer coding (xchunked)',
		bytes: ( id, key ) =>
			head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Transfer-Encoding: xchunked', 'Connection: close' ] ) + chunked( frontBody( id ) ),
	},
	{
		name: 'a chunk size that is not hex',
		bytes: ( id, key ) =>
			head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close' ] ) + `zz\r\n${ frontBody( id ) }\r\n0\r\n\r\n`,
	},
	{
		name: 'a chunk size of 2^64 - 1',
		bytes: ( id, key ) =>
			head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Transfer-Encoding: chunked', 'Connection: close' ] ) + `ffffffffffffffff\r\n${ frontBody( id ) }\r\n0\r\n\r\n`,
	},
	{
		name: 'a negative Content-Length',
		bytes: ( id, key ) => head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Content-Length: -1', 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'a Content-Length that is not a number',
		bytes: ( id, key ) => head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Content-Length: 0x20', 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'a Content-Length beyond 2^64',
		bytes: ( id, key ) => head( [ `POST ${ PUBLISH } HTTP/1.1`, `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Content-Type: application/json', 'Content-Length: 99999999999999999999999', 'Connection: close' ] ) + frontBody( id ),
	},
	{
		name: 'a NUL byte inside the API key header',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key.slice( 0, 8 ) }\0${ key.slice( 8 ) }`, 'Connection: close' ] ),
	},
	{
		name: 'the API key split by obsolete line folding',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key.slice( 0, 10 ) }`, ` ${ key.slice( 10 ) }`, 'Connection: close' ] ),
	},
	{
		name: 'a space between the header name and the colon',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY : ${ key }`, 'Connection: close' ] ),
	},
	{
		name: 'two X-IGNY8-API-KEY headers, the first one wrong',
		// nginx hands PHP-FPM only the last of two same-named headers, so PHP cannot see the wrong one there: the
		// request is then exactly as authorized as its last header (the case below, the wrong one last, is refused).
		servers: [ 'php', 'apache' ],
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, 'X-IGNY8-API-KEY: wrong-key-wrong-key-wrong-key-wrong-key', `X-IGNY8-API-KEY: ${ key }`, 'Connection: close' ] ),
	},
	{
		name: 'two X-IGNY8-API-KEY headers, the last one wrong',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'X-IGNY8-API-KEY: wrong-key-wrong-key-wrong-key-wrong-key', 'Connection: close' ] ),
	},
	{
		name: 'a header line without a colon',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, 'this is not a header', `X-IGNY8-API-KEY: ${ key }`, 'Connection: close' ] ),
	},
	{
		name: 'a header of 64 KB',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/post-status/x HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, `X-Padding: ${ 'a'.repeat( 65_536 ) }`, 'Connection: close' ] ),
	},
	{
		name: 'literal dot segments out of the namespace',
		bytes: ( _id, key ) => head( [ 'GET /wp-json/igny8/v1/post-by-content-id/../../../wp-config.php HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Connection: close' ] ),
	},
	{
		name: 'a TRACE request (fetch cannot send it)',
		bytes: ( _id, key ) => head( [ 'TRACE /wp-json/igny8/v1/site-metadata/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Connection: close' ] ),
	},
	{
		name: 'a CONNECT request to the namespace',
		bytes: ( _id, key ) => head( [ 'CONNECT /wp-json/igny8/v1/publish-content/ HTTP/1.1', `Host: ${ host() }`, `X-IGNY8-API-KEY: ${ key }`, 'Connection: close' ] ),
	},
];

const corpus = hostileCorpus();

for ( const entry of CASES ) {
	test( entry.name, async () => {
		test.skip( !! entry.servers && ! entry.servers.includes( process.env.WP_SERVER ?? 'php' ), `not under WP_SERVER=${ process.env.WP_SERVER }` );
		const id = next++;
		const reply = await rawRequest( entry.bytes( id, stack.apiKey ) );
		expectRawRefusal( reply );
		expect( postIdsForContent( id ), 'the smuggled publish must not have happened' ).toEqual( [] );
	} );
}

corpus.testWroteNothing( 'the raw corpus wrote nothing' );
