import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { startSimulator, type Simulator } from '../src/server.js';
import { payloadA, payloadB, sampleContent } from '../src/publisher.js';

let sim: Simulator;
const post = ( path: string, body: unknown, headers: Record< string, string > = {} ) =>
	fetch( sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify( body ) } );

beforeEach( async () => {
	sim = await startSimulator( { apiKey: 'k'.repeat( 40 ), accessTtlSeconds: 60 } );
} );
afterEach( () => sim.close() );

describe( 'auth', () => {
	it( 'logs in, and the access token opens the tasks API', async () => {
		const login = await post( '/api/v1/auth/login/', { email: 'dev@igny8.test', password: 'igny8-dev-password' } );
		expect( login.status ).toBe( 200 );
		const { data } = ( await login.json() ) as { data: { access: string; refresh: string } };
		const put = await fetch( sim.url + '/api/v1/writer/tasks/5/', {
			method: 'PUT',
			headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ data.access }` },
			body: JSON.stringify( { status: 'completed' } ),
		} );
		expect( put.status ).toBe( 200 );
		expect( sim.tasks.get( '5' )?.status ).toBe( 'completed' );
	} );

	it( 'serves a seeded task and its brief (keyword ids, brief) with a token, 404 without a brief', async () => {
		const login = await post( '/api/v1/auth/login/', { email: 'dev@igny8.test', password: 'igny8-dev-password' } );
		const { data } = ( await login.json() ) as { data: { access: string } };
		const get = ( path: string ) => fetch( sim.url + path, { headers: { Authorization: `Bearer ${ data.access }` } } );
		await post( '/__sim/tasks/9', { keyword_ids: [ 1, 2 ] } );
		await post( '/__sim/briefs/9', { outline: [ 'Intro' ], notes: '<b>x</b>' } );
		expect( await ( await get( '/api/v1/writer/tasks/9/' ) ).json() ).toMatchObject( { data: { id: 9, keyword_ids: [ 1, 2 ] } } );
		expect( await ( await get( '/api/v1/writer/tasks/9/brief/' ) ).json() ).toMatchObject( { data: { outline: [ 'Intro' ], notes: '<b>x</b>' } } );
		expect( ( await get( '/api/v1/writer/tasks/8/brief/' ) ).status ).toBe( 404 );
		expect( ( await fetch( sim.url + '/api/v1/writer/tasks/9/brief/' ) ).status ).toBe( 401 );
	} );

	it( 'refuses wrong passwords and unauthenticated task updates', async () => {
		expect( ( await post( '/api/v1/auth/login/', { email: 'dev@igny8.test', password: 'nope' } ) ).status ).toBe( 401 );
		expect( ( await fetch( sim.url + '/api/v1/writer/tasks/5/', { method: 'PUT' } ) ).status ).toBe( 401 );
	} );

	it( 'rotates refresh tokens on both refresh paths and honours revocation', async () => {
		const { data } = ( await ( await post( '/api/v1/auth/login/', { email: 'dev@igny8.test', password: 'igny8-dev-password' } ) ).json() ) as { data: { refresh: string } };
		const first = await post( '/api/v1/auth/token/refresh/', { refresh: data.refresh } );
		expect( first.status ).toBe( 200 );
		expect( ( await post( '/api/v1/auth/token/refresh/', { refresh: data.refresh } ) ).status ).toBe( 401 );
		const rotated = ( ( await first.json() ) as { data: { refresh: string } } ).data.refresh;
		sim.auth.revokeAllRefreshTokens();
		expect( ( await post( '/api/v1/auth/refresh/', { refresh: rotated } ) ).status ).toBe( 401 );
	} );

	it( 'accepts the ApiKey scheme on the webhook only with the right key', async () => {
		expect( ( await post( '/api/v1/integration/webhook/wordpress/', { task_id: 3 }, { Authorization: 'ApiKey wrong' } ) ).status ).toBe( 401 );
		expect( ( await post( '/api/v1/integration/webhook/wordpress/', { task_id: 3 }, { Authorization: `ApiKey ${ 'k'.repeat( 40 ) }` } ) ).status ).toBe( 200 );
	} );
} );

describe( 'fault injection', () => {
	it( 'fails the next N matching requests with Retry-After, then recovers', async () => {
		await post( '/__sim/faults', { pathPrefix: '/api/v1/auth/login/', status: 429, count: 2, retryAfter: 3 } );
		const creds = { email: 'dev@igny8.test', password: 'igny8-dev-password' };
		const first = await post( '/api/v1/auth/login/', creds );
		expect( first.status ).toBe( 429 );
		expect( first.headers.get( 'retry-after' ) ).toBe( '3' );
		expect( ( await post( '/api/v1/auth/login/', creds ) ).status ).toBe( 429 );
		expect( ( await post( '/api/v1/auth/login/', creds ) ).status ).toBe( 200 );
		expect( sim.received.filter( ( r ) => r.path === '/api/v1/auth/login/' ) ).toHaveLength( 3 );
	} );

	it( 'delays requests', async () => {
		await post( '/__sim/faults', { pathPrefix: '/api/v1/auth/sites/', delayMs: 300, count: 1 } );
		const t = Date.now();
		await fetch( sim.url + '/api/v1/auth/sites/' );
		expect( Date.now() - t ).toBeGreaterThanOrEqual( 290 );
	} );
} );

describe( 'publisher payloads', () => {
	it( 'spells the same content both ways', () => {
		const c = sampleContent( 4 );
		const a = payloadA( c );
		const b = payloadB( c );
		expect( a ).toMatchObject( { content_id: 4, meta_title: 'SEO title 4', cluster_id: 104, primary_keyword: 'keyword 4' } );
		expect( b ).toMatchObject( { content_id: 4, seo_title: 'SEO title 4', clusters: [ { id: 104, name: 'Cluster 104' } ] } );
		expect( b.focus_keywords ).toEqual( [ 'keyword 4', 'secondary 4a', 'secondary 4b' ] );
	} );
} );

describe( 'content updates from WordPress (issue #13 §4)', () => {
	const edit = { title: 'Edited', content_html: '<p>Edited in WordPress</p>', excerpt: '', source: 'wordpress', wordpress_modified_at: '2026-07-01T08:00:00Z' };

	it( 'keeps the latest version per content id from PUT /writer/content/{id}/ and the content_updated webhook', async () => {
		const { data } = ( await ( await post( '/api/v1/auth/login/', { email: 'dev@igny8.test', password: 'igny8-dev-password' } ) ).json() ) as { data: { access: string } };
		const put = ( body: unknown ) =>
			fetch( sim.url + '/api/v1/writer/content/12/', { method: 'PUT', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ data.access }` }, body: JSON.stringify( body ) } );
		expect( ( await put( edit ) ).status ).toBe( 200 );
		expect( sim.contents.get( '12' )?.content_html ).toBe( '<p>Edited in WordPress</p>' );
		expect( ( await put( { ...edit, content_html: '<!-- wp:paragraph --><p>x</p><!-- /wp:paragraph -->' } ) ).status ).toBe( 400 );
		expect( ( await put( { ...edit, source: undefined } ) ).status ).toBe( 400 );

		const key = { Authorization: `ApiKey ${ 'k'.repeat( 40 ) }` };
		expect( ( await post( '/api/v1/integration/webhook/wordpress/', { ...edit, event: 'content_updated', content_id: 13, post_id: 4, task_id: null }, key ) ).status ).toBe( 200 );
		expect( sim.contents.get( '13' )?.title ).toBe( 'Edited' );
		expect( ( await post( '/api/v1/integration/webhook/wordpress/', { ...edit, event: 'content_updated' }, key ) ).status ).toBe( 400 );
	} );
} );
