/**
 * Hostile bodies for the two publish routes (`/publish-content/` and its alias `/publish`), SPEC §5 "Bad input"
 * and §9: wrong types, huge strings, deep JSON, unicode edge cases (lone surrogates, overlong UTF-8, NUL, RTL
 * overrides, emoji in ids), SQL-ish and path-like values, odd content types and encodings. One test per entry and
 * route; each must get a 4xx envelope, add no row to posts or terms (counted with SQL after every entry) and no
 * "PHP Fatal" line to debug.log. publish-safety.spec.ts holds the basic cases with their exact codes; these are
 * the nastier ones.
 */
import { expect, test } from '@playwright/test';

import { expectErrorEnvelope, expectNoNewFatal, fatalLines, PUBLIC_ROUTES, send, siteCounts, type SiteCounts } from '../support/hostile';
import { stack } from '../support/stack';

let next = 700_000 + Math.floor( Math.random() * 200_000 );

type Body = string | Buffer;
interface BodyCase {
	name: string;
	body: ( id: number ) => Body;
	headers?: Record< string, string >;
	codes: string[];
}

const json = ( value: unknown ) => JSON.stringify( value );
/** A valid publish with one field replaced (or removed with undefined). */
const withField = ( field: string, value: unknown ) => ( id: number ) => {
	const payload: Record< string, unknown > = { content_id: id, title: 'Hostile', content_html: '<p>x</p>' };
	payload[ field ] = value;
	return json( payload );
};
/** A valid publish whose JSON text has `"title":"Hostile"` replaced by raw text (for escapes JSON.stringify would fix). */
const withRawTitle = ( raw: string ) => ( id: number ) => `{"content_id":${ id },"title":${ raw },"content_html":"<p>x</p>"}`;
/** A valid publish with raw bytes inside the title string. */
const withTitleBytes = ( bytes: number[] ) => ( id: number ) =>
	Buffer.concat( [ Buffer.from( `{"content_id":${ id },"title":"a` ), Buffer.from( bytes ), Buffer.from( 'b","content_html":"<p>x</p>"}' ) ] );

const INVALID = [ 'VALIDATION_FAILED' ];
const BAD_JSON = [ 'INVALID_JSON' ];

const CASES: BodyCase[] = [
	// Not JSON, or JSON that is not an object.
	{ name: 'a form body', body: ( id ) => `content_id=${ id }&title=t&content_html=x`, codes: BAD_JSON },
	{ name: 'truncated JSON', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x`, codes: BAD_JSON },
	{ name: 'JSON with a trailing comma', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x",}`, codes: BAD_JSON },
	{ name: 'JSON with comments', body: ( id ) => `{"content_id":${ id }, /* c */ "title":"t","content_html":"x"}`, codes: BAD_JSON },
	{ name: 'single-quoted JSON', body: ( id ) => `{'content_id':${ id },'title':'t','content_html':'x'}`, codes: BAD_JSON },
	{ name: 'two JSON documents', body: ( id ) => `${ withField( 'x', 1 )( id ) }${ withField( 'x', 2 )( id ) }`, codes: BAD_JSON },
	{ name: 'a JSON array', body: ( id ) => json( [ { content_id: id, title: 't', content_html: 'x' } ] ), codes: INVALID },
	{ name: 'JSON null', body: () => 'null', codes: INVALID },
	{ name: 'a JSON string', body: () => '"content_id"', codes: INVALID },
	{ name: 'a JSON number', body: ( id ) => String( id ), codes: INVALID },
	{ name: 'an empty body', body: () => '', codes: INVALID },
	{ name: 'a BOM before the JSON', body: ( id ) => Buffer.concat( [ Buffer.from( [ 0xef, 0xbb, 0xbf ] ), Buffer.from( withField( 'x', 1 )( id ) ) ] ), codes: BAD_JSON },
	{ name: 'NaN', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","cluster_id":NaN}`, codes: BAD_JSON },
	// Depth and size.
	{ name: 'an unknown field nested 40 deep', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","x":${ '['.repeat( 40 ) }${ ']'.repeat( 40 ) }}`, codes: [ 'JSON_TOO_DEEP' ] },
	{ name: '100,000 opening brackets', body: () => '['.repeat( 100_000 ), codes: [ 'JSON_TOO_DEEP' ] },
	{ name: 'objects nested 33 deep', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","x":${ '{"a":'.repeat( 32 ) }1${ '}'.repeat( 32 ) }}`, codes: [ 'JSON_TOO_DEEP' ] },
	{ name: 'a body of 1.1 MB', body: withField( 'content_html', 'x'.repeat( 1_100_000 ) ), codes: [ 'PAYLOAD_TOO_LARGE' ] },
	{ name: 'a title of 200 KB', body: withField( 'title', 'T'.repeat( 200_000 ) ), codes: INVALID },
	{ name: 'a title of 5,000 emoji', body: withField( 'title', '😀'.repeat( 5000 ) ), codes: INVALID },
	// content_id of every wrong type.
	{ name: 'content_id missing', body: withField( 'content_id', undefined ), codes: INVALID },
	{ name: 'content_id letters', body: withField( 'content_id', 'abc' ), codes: INVALID },
	{ name: 'content_id true', body: withField( 'content_id', true ), codes: INVALID },
	{ name: 'content_id null', body: withField( 'content_id', null ), codes: INVALID },
	{ name: 'content_id an object', body: withField( 'content_id', { $gt: 0 } ), codes: INVALID },
	{ name: 'content_id an array', body: ( id ) => withField( 'content_id', [ id ] )( id ), codes: INVALID },
	{ name: 'content_id negative', body: ( id ) => withField( 'content_id', -id )( id ), codes: INVALID },
	{ name: 'content_id zero', body: withField( 'content_id', 0 ), codes: INVALID },
	{ name: 'content_id a float', body: ( id ) => withField( 'content_id', id + 0.5 )( id ), codes: INVALID },
	{ name: 'content_id 1e400', body: ( id ) => `{"content_id":1e400,"title":"t","content_html":"x","n":${ id }}`, codes: INVALID },
	{ name: 'content_id beyond 2^64', body: () => '{"content_id":18446744073709551617,"title":"t","content_html":"x"}', codes: INVALID },
	{ name: 'content_id with an emoji', body: ( id ) => withField( 'content_id', `${ id }😀` )( id ), codes: INVALID },
	{ name: 'content_id behind an RTL override', body: ( id ) => withField( 'content_id', `\u202e${ id }` )( id ), codes: INVALID },
	{ name: 'content_id with a NUL', body: ( id ) => withField( 'content_id', `${ id }\u0000` )( id ), codes: INVALID },
	{ name: 'content_id in full-width digits', body: () => withField( 'content_id', '１２３' )( 0 ), codes: INVALID },
	{ name: 'content_id SQL-ish', body: ( id ) => withField( 'content_id', `${ id } OR 1=1` )( id ), codes: INVALID },
	{ name: 'content_id path-like', body: ( id ) => withField( 'content_id', `../../${ id }` )( id ), codes: INVALID },
	{ name: 'content_id twice, the second one wrong', body: ( id ) => `{"content_id":${ id },"content_id":"x","title":"t","content_html":"x"}`, codes: INVALID },
	{ name: 'content_id only under __proto__', body: ( id ) => `{"__proto__":{"content_id":${ id }},"title":"t","content_html":"x"}`, codes: INVALID },
	{ name: 'content_id only under constructor.prototype', body: ( id ) => `{"constructor":{"prototype":{"content_id":${ id }}},"title":"t","content_html":"x"}`, codes: INVALID },
	// The other required fields, and typed optional ones.
	{ name: 'title missing', body: withField( 'title', undefined ), codes: INVALID },
	{ name: 'title an array', body: withField( 'title', [ 'a' ] ), codes: INVALID },
	{ name: 'title an object', body: withField( 'title', { toString: 'x' } ), codes: INVALID },
	{ name: 'content_html an object', body: withField( 'content_html', { html: '<p>x</p>' } ), codes: INVALID },
	{ name: 'content_html a number', body: withField( 'content_html', 42 ), codes: INVALID },
	{ name: 'tags not a list', body: withField( 'tags', 'a,b' ), codes: INVALID },
	{ name: 'categories holding an operator object', body: withField( 'categories', [ { name: { $gt: '' } } ] ), codes: INVALID },
	{ name: 'status an object', body: withField( 'status', { $ne: 'draft' } ), codes: INVALID },
	{ name: 'content_type path-like', body: withField( 'content_type', '../../etc/passwd' ), codes: INVALID },
	{ name: 'content_type taxonomy', body: withField( 'content_type', 'taxonomy' ), codes: [ 'UNSUPPORTED_CONTENT_TYPE' ] },
	{ name: 'content_type product without WooCommerce', body: withField( 'content_type', 'product' ), codes: [ 'UNSUPPORTED_CONTENT_TYPE', 'POST_TYPE_NOT_ALLOWED' ] },
	{ name: 'content_type attachment', body: withField( 'content_type', 'attachment' ), codes: INVALID },
	{ name: 'scheduled at a date that is not a date', body: ( id ) => json( { content_id: id, title: 't', content_html: 'x', status: 'scheduled', published_at: "2026-13-45T99:99:99Z'; --" } ), codes: INVALID },
	{ name: 'cluster_id letters', body: withField( 'cluster_id', 'abc' ), codes: INVALID },
	{ name: 'keyword_ids holding strings', body: withField( 'keyword_ids', [ '1 OR 1=1' ] ), codes: INVALID },
	// Unicode that JSON can carry but PHP (or UTF-8) cannot.
	{ name: 'a lone high surrogate in the title', body: withRawTitle( '"a\\ud800b"' ), codes: BAD_JSON },
	{ name: 'a lone low surrogate in the content', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"<p>\\udc00</p>"}`, codes: BAD_JSON },
	{ name: 'a reversed surrogate pair in a tag', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","tags":["\\ude00\\ud83d"]}`, codes: BAD_JSON },
	{ name: 'a lone surrogate in a key', body: ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","\\ud800":1}`, codes: BAD_JSON },
	{ name: 'a byte that is never UTF-8 (0xFF) in the title', body: withTitleBytes( [ 0xff ] ), codes: BAD_JSON },
	{ name: 'an overlong UTF-8 slash (C0 AF) in the title', body: withTitleBytes( [ 0xc0, 0xaf ] ), codes: BAD_JSON },
	{ name: 'an overlong UTF-8 NUL (C0 80) in the title', body: withTitleBytes( [ 0xc0, 0x80 ] ), codes: BAD_JSON },
	{ name: 'a CESU-8 surrogate (ED A0 80) in the title', body: withTitleBytes( [ 0xed, 0xa0, 0x80 ] ), codes: BAD_JSON },
	{ name: 'a truncated 4-byte sequence in the title', body: withTitleBytes( [ 0xf0, 0x9f, 0x98 ] ), codes: BAD_JSON },
	{ name: 'a raw control character in a string', body: withTitleBytes( [ 0x01 ] ), codes: BAD_JSON },
	// Content types and encodings.
	{ name: 'a UTF-16 body', body: ( id ) => Buffer.from( '\ufeff' + withField( 'x', 1 )( id ), 'utf16le' ), headers: { 'Content-Type': 'application/json; charset=utf-16' }, codes: BAD_JSON },
	// PHP consumes a multipart body itself (php://input is empty), so the sidecar sees no body at all.
	{ name: 'multipart form data', body: ( id ) => `--b\r\nContent-Disposition: form-data; name="content_id"\r\n\r\n${ id }\r\n--b--\r\n`, headers: { 'Content-Type': 'multipart/form-data; boundary=b' }, codes: INVALID },
	{ name: 'form-urlencoded', body: ( id ) => `content_id=${ id }&title=t&content_html=x`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, codes: BAD_JSON },
	{ name: 'gzip declared, garbage sent', body: () => Buffer.from( [ 0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff ] ), headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, codes: BAD_JSON },
	{ name: 'XML', body: ( id ) => `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><p><content_id>${ id }</content_id><title>&e;</title></p>`, headers: { 'Content-Type': 'application/xml' }, codes: BAD_JSON },
];

let fatalBefore: string[] = [];
let counts: SiteCounts;

test.beforeAll( () => {
	counts = siteCounts();
} );
test.beforeEach( () => {
	fatalBefore = fatalLines();
} );

for ( const route of [ 'publish_content', 'publish' ] as const ) {
	test.describe( `POST ${ PUBLIC_ROUTES[ route ].path }`, () => {
		for ( const entry of CASES ) {
			test( entry.name, async () => {
				const id = next++;
				const r = await send( 'POST', PUBLIC_ROUTES[ route ].path, {
					headers: { 'X-IGNY8-API-KEY': stack.apiKey, 'Content-Type': 'application/json', ...entry.headers },
					body: entry.body( id ),
				} );
				expectErrorEnvelope( r, entry.codes );
				expectNoNewFatal( fatalBefore );
				const after = siteCounts();
				const before = counts;
				counts = after;
				expect( after, 'a refused publish must not leave a post or a term behind' ).toEqual( before );
			} );
		}
	} );
}
