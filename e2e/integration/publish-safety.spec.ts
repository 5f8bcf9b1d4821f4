/**
 * Publishing under hostile input and partial failure (SPEC §5, §9, §10): clear 4xx envelopes, no partial post,
 * SSRF refusals, and one WordPress bootstrap per publish.
 */
import { expect, test } from '@playwright/test';

import { publish } from '../../simulator/src/publisher';
import { bootstrapsOf, stack, wp, wpEval } from '../support/stack';
import { adminBasicAuth, postIdsForContent, readPost, setOption } from '../support/wordpress';

type Envelope = { success: boolean; code?: string; field?: string; data?: { post_id: number; warnings: Array< { code: string; field?: string } > } };

let next = 500_000 + Math.floor( Math.random() * 100_000 );
const contentId = () => next++;
const images = () => process.env.IGNY8_IMAGE_SERVER_URL as string;
const post = ( body: string, headers: Record< string, string > = {} ) =>
	wp< Envelope >( '/wp-json/igny8/v1/publish-content/', { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } } );

test.describe( 'bad input gets a 4xx envelope with a code, and creates nothing', () => {
	const cases: Array< [ string, ( id: number ) => string, number, string, string? ] > = [
		[ 'missing content_id', () => JSON.stringify( { title: 't', content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'content_id' ],
		[ 'missing title', ( id ) => JSON.stringify( { content_id: id, content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'title' ],
		[ 'missing content_html', ( id ) => JSON.stringify( { content_id: id, title: 't' } ), 422, 'VALIDATION_FAILED', 'content_html' ],
		[ 'title of the wrong type', ( id ) => JSON.stringify( { content_id: id, title: { a: 1 }, content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'title' ],
		[ 'content_id negative', () => JSON.stringify( { content_id: -5, title: 't', content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'content_id' ],
		[ 'content_id a float', () => JSON.stringify( { content_id: 1.5, title: 't', content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'content_id' ],
		[ 'content_id SQL-ish', () => JSON.stringify( { content_id: '1 OR 1=1', title: 't', content_html: 'x' } ), 422, 'VALIDATION_FAILED', 'content_id' ],
		[ 'a disallowed post type', ( id ) => JSON.stringify( { content_id: id, title: 't', content_html: 'x', content_type: 'product' } ), 422, 'UNSUPPORTED_CONTENT_TYPE', 'content_type' ],
		[ 'content_type taxonomy', ( id ) => JSON.stringify( { content_id: id, title: 't', content_html: 'x', content_type: 'taxonomy' } ), 422, 'UNSUPPORTED_CONTENT_TYPE', 'content_type' ],
		[ 'non-JSON', () => 'content_id=5&title=t', 400, 'INVALID_JSON' ],
		[ 'truncated JSON', ( id ) => `{"content_id":${ id },"title":"t"`, 400, 'INVALID_JSON' ],
		[ 'a JSON array', () => '[1,2,3]', 422, 'VALIDATION_FAILED' ],
		[ 'JSON nested 40 deep', ( id ) => `{"content_id":${ id },"title":"t","content_html":"x","x":${ '['.repeat( 40 ) }${ ']'.repeat( 40 ) }}`, 400, 'JSON_TOO_DEEP' ],
	];
	for ( const [ name, body, status, code, field ] of cases ) {
		test( name, async () => {
			const id = contentId();
			const r = await post( body( id ) );
			expect( r.status ).toBe( status );
			expect( r.body ).toMatchObject( { success: false, code, ...( field ? { field } : {} ) } );
			expect( postIdsForContent( id ) ).toEqual( [] );
		} );
	}

	test( 'an oversized body is refused with 413 before anything runs', async () => {
		const id = contentId();
		const r = await post( JSON.stringify( { content_id: id, title: 't', content_html: 'x'.repeat( 1_100_000 ) } ) );
		expect( r.status ).toBe( 413 );
		expect( r.body ).toMatchObject( { success: false, code: 'PAYLOAD_TOO_LARGE' } );
		expect( postIdsForContent( id ) ).toEqual( [] );
	} );
} );

test( 'hostile HTML is cleaned: no <script>, no event handlers, no javascript: URLs are ever stored', async () => {
	const id = contentId();
	const html =
		'<p onclick="steal()">Hello</p><script>alert(1)</script><SCRIPT src="//evil/x.js"></SCRIPT>' +
		'<img src="x" onerror="alert(2)"><a href="javascript:alert(3)">link</a><style>body{display:none}</style>' +
		'<scr<script>ipt>alert(4)</script><iframe src="https://evil"></iframe>';
	const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: '<b>Bold</b> title<script>x</script>', content_html: html } );
	expect( r.status ).toBe( 201 );
	const stored = readPost( ( r.body as Envelope ).data!.post_id ).post;
	expect( stored.post_content ).toContain( 'Hello' );
	expect( stored.post_content ).not.toMatch( /<script|onclick|onerror|javascript:|<style|alert\(1\)|<iframe/i );
	expect( stored.post_title ).toBe( 'Bold title' );
	expect( ( r.body as Envelope ).data!.warnings ).toContainEqual( expect.objectContaining( { code: 'CONTENT_SANITIZED', field: 'content_html' } ) );
} );

test.describe( 'failure midway leaves no partial post', () => {
	test.afterEach( async () => {
		setOption( 'igny8_test_fault', '' );
		await stack.sidecar( 'start' ).catch( () => undefined );
	} );

	test( 'an exception in a term hook rolls the whole publish back', async () => {
		const id = contentId();
		setOption( 'igny8_test_fault', { mode: 'term_exception', content_id: id } );
		const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Rollback', content_html: '<p>x</p>', tags: [ 'rollback-tag' ] } );
		expect( r.status ).toBeGreaterThanOrEqual( 500 );
		expect( ( r.body as Envelope ).success ).toBe( false );
		expect( postIdsForContent( id ) ).toEqual( [] );
	} );

	test( 'a PHP fatal in a term hook leaves no post and still answers with the envelope', async () => {
		const id = contentId();
		setOption( 'igny8_test_fault', { mode: 'term_fatal', content_id: id } );
		const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Fatal', content_html: '<p>x</p>', tags: [ 'fatal-tag' ] } );
		expect( r.status ).toBe( 500 );
		expect( r.body ).toMatchObject( { success: false, code: 'INTERNAL_ERROR' } );
		expect( postIdsForContent( id ) ).toEqual( [] );
	} );

	test( 'the sidecar killed between plan and reply: the post is complete, and the retry updates it', async () => {
		const id = contentId();
		setOption( 'igny8_test_fault', { mode: 'slow_upsert', content_id: id } );
		const pending = publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Killed', content_html: '<p>x</p>', status: 'completed' } );
		await new Promise( ( resolve ) => setTimeout( resolve, 1200 ) );
		await stack.sidecar( 'kill' );
		const r = await pending;
		expect( r.status ).toBe( 503 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_UNAVAILABLE' } );
		const [ postId, ...others ] = postIdsForContent( id );
		expect( others ).toEqual( [] );
		const written = readPost( postId as number );
		expect( written.post.post_status ).toBe( 'publish' );
		expect( written.meta ).not.toHaveProperty( '_igny8_incomplete' );

		setOption( 'igny8_test_fault', '' );
		await stack.sidecar( 'start' );
		const retry = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Killed', content_html: '<p>x</p>', status: 'completed' } );
		expect( retry.status ).toBe( 200 );
		expect( ( retry.body as Envelope ).data?.post_id ).toBe( postId );
	} );
} );

test.describe( 'SSRF: image URLs to private places are refused; the post is still published, with a warning', () => {
	const port = () => new URL( images() ).port;
	const refused: Array< [ string, () => string ] > = [
		[ '127.0.0.1 on a port that is not allow-listed', () => `http://127.0.0.1:${ Number( port() ) + 1 }/img/x.png` ],
		[ 'localhost', () => `http://localhost:${ port() }/img/x.png` ],
		[ 'the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/' ],
		[ '10/8', () => 'http://10.0.0.1/x.png' ],
		[ '192.168/16', () => 'http://192.168.1.1/x.png' ],
		[ '[::1]', () => `http://[::1]:${ port() }/img/x.png` ],
		[ 'file://', () => 'file:///etc/passwd' ],
		[ 'gopher://', () => 'gopher://127.0.0.1:70/_x' ],
		[ 'a redirect to 127.0.0.1', () => `${ images() }/redirect?to=${ encodeURIComponent( `http://127.0.0.1:${ Number( port() ) + 1 }/img/x.png` ) }` ],
		[ 'a redirect to the metadata address', () => `${ images() }/redirect?to=${ encodeURIComponent( 'http://169.254.169.254/' ) }` ],
		[ 'HTML pretending to be a PNG', () => `${ images() }/fake.png` ],
	];
	for ( const [ name, url ] of refused ) {
		test( name, async () => {
			const id = contentId();
			const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'SSRF', content_html: '<p>x</p>', featured_image: { url: url(), alt: 'x' } } );
			expect( r.status ).toBe( 201 );
			const data = ( r.body as Envelope ).data!;
			expect( data.warnings ).toEqual( [ expect.objectContaining( { code: 'IMAGE_REFUSED', field: 'featured_image' } ) ] );
			expect( readPost( data.post_id ).thumbnail ).toBe( 0 );
		} );
	}

	test( 'an image server answering 500 gives IMAGE_FAILED, and the post is published', async () => {
		const id = contentId();
		const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Img 500', content_html: '<p>x</p>', featured_image: { url: `${ images() }/error` } } );
		expect( r.status ).toBe( 201 );
		expect( ( r.body as Envelope ).data!.warnings ).toEqual( [ expect.objectContaining( { code: 'IMAGE_FAILED', field: 'featured_image' } ) ] );
	} );
} );

test( 'one publish costs exactly one WordPress bootstrap', async () => {
	const id = contentId();
	const { result, requests } = await bootstrapsOf( () =>
		publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Bootstrap', content_html: '<p>x</p>', tags: [ 'one' ] } )
	);
	expect( result.status ).toBe( 201 );
	expect( requests ).toEqual( [ 'POST /wp-json/igny8/v1/publish-content/' ] );
} );

test.describe( 'core /wp/v2 lookups by IGNY8 meta', () => {
	let auth = '';
	let postId = 0;
	let id = 0;
	test.beforeAll( async () => {
		auth = adminBasicAuth();
		id = contentId();
		postId = ( ( await publish( stack.wpUrl, stack.apiKey, { content_id: id, task_id: id + 7, title: 'Meta query', content_html: '<p>x</p>', status: 'completed' } ) ).body as Envelope ).data!.post_id;
	} );
	const query = ( qs: string, authorization = auth ) =>
		wp< Array< { id: number } > | Envelope >( `/wp-json/wp/v2/posts?${ qs }`, { apiKey: false, headers: authorization ? { Authorization: authorization } : {} } );

	test( 'meta_key=_igny8_content_id&meta_value=… finds exactly that post', async () => {
		const r = await query( `meta_key=_igny8_content_id&meta_value=${ id }` );
		expect( r.status ).toBe( 200 );
		expect( ( r.body as Array< { id: number } > ).map( ( p ) => p.id ) ).toEqual( [ postId ] );
	} );

	test( 'meta_key=_igny8_task_id with and without a value', async () => {
		const exact = await query( `meta_key=_igny8_task_id&meta_value=${ id + 7 }` );
		expect( ( exact.body as Array< { id: number } > ).map( ( p ) => p.id ) ).toEqual( [ postId ] );
		const exists = await query( 'meta_key=_igny8_task_id&per_page=100' );
		expect( ( exists.body as Array< { id: number } > ).map( ( p ) => p.id ) ).toContain( postId );
		const plain = wpEval( "echo wp_insert_post( array( 'post_title' => 'not managed', 'post_status' => 'publish' ) );" ).trim();
		expect( ( exists.body as Array< { id: number } > ).map( ( p ) => p.id ) ).not.toContain( Number( plain ) );
	} );

	test( 'any other meta key, or a caller who cannot edit posts, gets 400 and never the unfiltered list', async () => {
		expect( ( await query( 'meta_key=_edit_lock&meta_value=1' ) ).status ).toBe( 400 );
		expect( ( await query( 'meta_key=_wp_page_template' ) ).status ).toBe( 400 );
		expect( ( await query( `meta_key=_igny8_content_id&meta_value=${ id }`, '' ) ).status ).toBe( 400 );
	} );
} );
