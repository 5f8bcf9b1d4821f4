/**
 * POST /publish-content/ against the real WordPress (SPEC §5): both payload spellings, every meta key, terms,
 * images, idempotency, republish semantics and the lookup routes.
 */
import { expect, test } from '@playwright/test';

import { payloadA, payloadB, publish, sampleContent } from '../../simulator/src/publisher';
import { imageHits } from '../support/image-server';
import { isWebServerRefusal } from '../support/hostile';
import { stack, wp, wpEval } from '../support/stack';
import { attachmentsFrom, postIdsForContent, readPost } from '../support/wordpress';

type Published = { success: boolean; data: Record< string, unknown > & { post_id: number; warnings: Array< { code: string; field?: string } > } };

let next = 1000 + Math.floor( Math.random() * 100_000 );
const contentId = () => next++;
const images = () => process.env.IGNY8_IMAGE_SERVER_URL as string;

test( 'spelling A creates the post with every meta key, terms and the featured image', async () => {
	const id = contentId();
	const imageUrl = `${ images() }/img/a-${ id }.png`;
	const c = sampleContent( id, { status: 'completed', featuredImageUrl: imageUrl, secondaryKeywords: [ 'back\\slash "quoted"', 'plain' ] } );
	const r = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
	expect( r.status ).toBe( 201 );
	const body = r.body as Published;
	expect( body.data ).toMatchObject( {
		assigned_post_id: body.data.post_id,
		post_status: 'publish',
		wordpress_status: 'publish',
		status: 'completed',
		post_type: 'post',
		content_type: 'post',
		content_id: id,
		task_id: c.taskId,
		synced_at: expect.stringMatching( /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/ ),
		post_url: expect.stringContaining( stack.wpUrl ),
		warnings: [],
	} );

	const post = readPost( body.data.post_id );
	expect( post.post ).toMatchObject( { post_title: c.title, post_status: 'publish' } );
	expect( post.meta ).toMatchObject( {
		_igny8_content_id: String( id ),
		_igny8_task_id: String( c.taskId ),
		_igny8_source: 'igny8',
		_igny8_content_type: 'post',
		_igny8_content_structure: 'article',
		_igny8_meta_title: c.metaTitle,
		_yoast_wpseo_title: c.metaTitle,
		_seopress_titles_title: c.metaTitle,
		_aioseo_title: c.metaTitle,
		rank_math_title: c.metaTitle,
		_igny8_meta_description: c.metaDescription,
		_yoast_wpseo_metadesc: c.metaDescription,
		_seopress_titles_desc: c.metaDescription,
		_aioseo_description: c.metaDescription,
		rank_math_description: c.metaDescription,
		_igny8_primary_keyword: c.primaryKeyword,
		_yoast_wpseo_focuskw: c.primaryKeyword,
		_igny8_cluster_id: String( c.cluster?.id ),
		_igny8_sector_id: String( c.sector?.id ),
		_igny8_wordpress_status: 'publish',
	} );
	// Slashing: backslashes and quotes survive the whole way into JSON meta.
	expect( JSON.parse( post.meta._igny8_secondary_keywords as string ) ).toEqual( [ 'back\\slash "quoted"', 'plain' ] );
	expect( JSON.parse( post.meta._igny8_keyword_ids as string ) ).toEqual( c.keywordIds );
	expect( post.meta ).not.toHaveProperty( '_igny8_incomplete' );
	expect( post.terms.category.map( ( t ) => t.name ).sort() ).toEqual( [ 'Guides', 'News' ] );
	expect( post.terms.post_tag.map( ( t ) => t.name ).sort() ).toEqual( [ ...( c.tags ?? [] ) ].sort() );
	expect( post.terms.igny8_clusters ).toEqual( [ expect.objectContaining( { name: c.cluster?.name, igny8_id: String( c.cluster?.id ) } ) ] );
	expect( post.terms.igny8_sectors ).toEqual( [ expect.objectContaining( { name: c.sector?.name, igny8_id: String( c.sector?.id ) } ) ] );
	expect( post.thumbnail ).toBeGreaterThan( 0 );
	expect( post.thumbnail_alt ).toBe( `${ c.title } image` );
} );

test( 'spelling B (seo_title, focus_keywords, clusters[], featured_image_url, published_at) lands in the same places', async () => {
	const id = contentId();
	const future = new Date( Date.now() + 7 * 86_400_000 ).toISOString();
	const c = sampleContent( id, { status: 'publish', publishedAt: future, featuredImageUrl: `${ images() }/img/b-${ id }.png` } );
	const r = await publish( stack.wpUrl, stack.apiKey, payloadB( c ) );
	expect( r.status ).toBe( 201 );
	const data = ( r.body as Published ).data;
	expect( data ).toMatchObject( { wordpress_status: 'future', status: 'completed' } );
	const post = readPost( data.post_id );
	expect( post.post.post_status ).toBe( 'future' );
	expect( post.post.post_date_gmt ).toBe( future.slice( 0, 19 ).replace( 'T', ' ' ) );
	expect( post.meta ).toMatchObject( {
		_yoast_wpseo_title: c.metaTitle,
		_yoast_wpseo_metadesc: c.metaDescription,
		_igny8_primary_keyword: c.primaryKeyword,
		rank_math_focus_keyword: [ c.primaryKeyword, ...( c.secondaryKeywords ?? [] ) ].join( ',' ),
		_igny8_cluster_id: String( c.cluster?.id ),
	} );
	expect( JSON.parse( post.meta._igny8_secondary_keywords as string ) ).toEqual( c.secondaryKeywords );
	expect( post.terms.igny8_clusters.map( ( t ) => t.name ) ).toEqual( [ c.cluster?.name ] );
	expect( post.thumbnail ).toBeGreaterThan( 0 );
} );

test( 'republishing updates the same post: new title and terms, stale terms removed, image reused', async () => {
	const id = contentId();
	const imageUrl = `${ images() }/img/re-${ id }.png`;
	const first = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { featuredImageUrl: imageUrl, tags: [ 'old-tag' ], categories: [ 'Old category' ] } ) ) );
	expect( first.status ).toBe( 201 );
	const postId = ( first.body as Published ).data.post_id;

	const second = await publish(
		stack.wpUrl,
		stack.apiKey,
		payloadA( sampleContent( id, { title: 'A brand new title', featuredImageUrl: imageUrl, tags: [ 'new-tag' ], categories: [ 'New category' ], cluster: { id: 900, name: 'Moved cluster' } } ) )
	);
	expect( second.status ).toBe( 200 );
	expect( ( second.body as Published ).data.post_id ).toBe( postId );
	expect( postIdsForContent( id ) ).toEqual( [ postId ] );
	const post = readPost( postId );
	expect( post.post.post_title ).toBe( 'A brand new title' );
	expect( post.terms.post_tag.map( ( t ) => t.name ) ).toEqual( [ 'new-tag' ] );
	expect( post.terms.category.map( ( t ) => t.name ) ).toEqual( [ 'New category' ] );
	expect( post.terms.igny8_clusters.map( ( t ) => t.name ) ).toEqual( [ 'Moved cluster' ] );
	expect( attachmentsFrom( imageUrl ) ).toHaveLength( 1 );
	expect( ( await imageHits( images() ) )[ `/img/re-${ id }.png` ] ).toBe( 1 );
} );

test( 'a cluster known only by id gets a stand-in name, and is renamed when its name arrives', async () => {
	const id = contentId();
	const clusterId = 70_000 + ( id % 1000 );
	const body = { content_id: id, title: 'Id only', content_html: '<p>x</p>', cluster_id: clusterId };
	const first = await publish( stack.wpUrl, stack.apiKey, body );
	const postId = ( first.body as Published ).data.post_id;
	expect( readPost( postId ).terms.igny8_clusters ).toEqual( [ expect.objectContaining( { name: `Cluster ${ clusterId }`, igny8_id: String( clusterId ) } ) ] );
	await publish( stack.wpUrl, stack.apiKey, { ...body, cluster_name: 'Trail running' } );
	const renamed = readPost( postId ).terms.igny8_clusters;
	expect( renamed ).toEqual( [ expect.objectContaining( { name: 'Trail running', igny8_id: String( clusterId ) } ) ] );
	// Same term, renamed in place: its IGNY8 id stayed in term meta.
	expect( renamed[ 0 ]?.id ).toBe( readPost( postId ).terms.igny8_clusters[ 0 ]?.id );
} );

test( '20 concurrent publishes of one content_id leave exactly one post', async () => {
	const id = contentId();
	const replies = await Promise.all(
		Array.from( { length: 20 }, ( _, i ) => publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { title: `Race ${ i }` } ) ) ) )
	);
	const statuses = replies.map( ( r ) => r.status );
	expect( statuses.filter( ( s ) => s === 201 ) ).toHaveLength( 1 );
	expect( statuses.every( ( s ) => s === 201 || s === 200 ) ).toBe( true );
	const ids = postIdsForContent( id );
	expect( ids ).toHaveLength( 1 );
	expect( new Set( replies.map( ( r ) => ( r.body as Published ).data.post_id ) ) ).toEqual( new Set( ids ) );
} );

test( 'the /publish alias works and archived moves the post to the trash (and back)', async () => {
	const id = contentId();
	const created = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Alias', content_html: '<p>x</p>', status: 'completed' }, '/wp-json/igny8/v1/publish' );
	expect( created.status ).toBe( 201 );
	const postId = ( created.body as Published ).data.post_id;
	const trashed = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Alias', content_html: '<p>x</p>', status: 'archived' } );
	expect( ( trashed.body as Published ).data ).toMatchObject( { post_id: postId, wordpress_status: 'trash', status: 'archived' } );
	expect( readPost( postId ).meta._wp_trash_meta_status ).toBe( 'publish' );
	const back = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Alias', content_html: '<p>x</p>', status: 'draft' } );
	expect( ( back.body as Published ).data ).toMatchObject( { post_id: postId, wordpress_status: 'draft' } );
	expect( postIdsForContent( id ) ).toEqual( [ postId ] );
} );

test( 'unknown fields are ignored with a warning, null optional fields are absent', async () => {
	const id = contentId();
	const r = await publish( stack.wpUrl, stack.apiKey, { content_id: id, title: 'Extra', content_html: '<p>x</p>', brand_new_field: 1, task_id: null, meta_title: null, categories: null } );
	expect( r.status ).toBe( 201 );
	expect( ( r.body as Published ).data.warnings ).toEqual( [ expect.objectContaining( { code: 'UNKNOWN_FIELD', field: 'brand_new_field' } ) ] );
} );

test.describe( 'lookups', () => {
	test( 'post-by-content-id, post-by-task-id and post-status find what was published', async () => {
		const id = contentId();
		const c = sampleContent( id, { status: 'completed' } );
		const created = ( ( await publish( stack.wpUrl, stack.apiKey, payloadA( c ) ) ).body as Published ).data;

		const byContent = await wp< Published >( `/wp-json/igny8/v1/post-by-content-id/${ id }` );
		expect( byContent.status ).toBe( 200 );
		expect( byContent.body.data ).toEqual( {
			post_id: created.post_id,
			title: c.title,
			status: 'publish',
			wordpress_status: 'publish',
			igny8_status: 'completed',
			url: created.post_url,
			post_type: 'post',
			content_id: id,
			task_id: c.taskId,
			last_synced: expect.stringMatching( /^\d{4}-/ ),
			warnings: [],
		} );
		const byTask = await wp< Published >( `/wp-json/igny8/v1/post-by-task-id/${ c.taskId }` );
		expect( byTask.body.data.post_id ).toBe( created.post_id );
		const status = await wp< Published >( `/wp-json/igny8/v1/post-status/${ id }` );
		expect( status.body.data ).toMatchObject( {
			post_id: created.post_id,
			wordpress_status: 'publish',
			igny8_status: 'completed',
			content_id: id,
			status_mapping: { publish: 'completed', private: 'completed', future: 'completed', pending: 'pending', draft: 'draft', trash: 'archived' },
		} );
	} );

	test( 'two posts with one content id: the lookups name the oldest, the one publish writes to, with DUPLICATE_CONTENT_ID', async () => {
		const id = contentId();
		const c = sampleContent( id, { status: 'completed' } );
		const first = ( ( await publish( stack.wpUrl, stack.apiKey, payloadA( c ) ) ).body as Published ).data.post_id;
		// A newer copy carrying the same content id (an import, a duplicated post), written the way a plugin would.
		const copy = Number(
			wpEval( `$id = wp_insert_post( array( 'post_title' => 'copy', 'post_status' => 'publish', 'post_content' => 'x' ) );
				add_post_meta( $id, '_igny8_content_id', '${ id }' ); echo $id;` ).trim()
		);
		expect( copy ).toBeGreaterThan( first );

		const republished = ( await publish( stack.wpUrl, stack.apiKey, payloadA( { ...c, title: 'Updated title' } ) ) ).body as Published;
		expect( republished.data.post_id ).toBe( first );
		expect( republished.data.warnings ).toEqual( [ expect.objectContaining( { code: 'DUPLICATE_CONTENT_ID' } ) ] );

		for ( const route of [ `post-by-content-id/${ id }`, `post-status/${ id }` ] ) {
			const r = await wp< Published >( `/wp-json/igny8/v1/${ route }` );
			expect( r.status ).toBe( 200 );
			expect( r.body.data.post_id ).toBe( first );
			expect( r.body.data.warnings ).toEqual( [
				expect.objectContaining( { code: 'DUPLICATE_CONTENT_ID', field: 'content_id', message: expect.stringContaining( `${ first }, ${ copy }` ) } ),
			] );
		}
	} );

	test( 'an unknown id is 404 POST_NOT_FOUND; a malformed one is 400 INVALID_ID', async () => {
		const missing = await wp( '/wp-json/igny8/v1/post-by-content-id/987654321' );
		expect( missing.status ).toBe( 404 );
		expect( missing.body ).toMatchObject( { success: false, code: 'POST_NOT_FOUND' } );
		for ( const bad of [ 'abc', '-1', '0', '1%20OR%201=1', '..%2F..%2Fwp-config.php' ] ) {
			const r = await wp( `/wp-json/igny8/v1/post-status/${ bad }` );
			expect( [ 400, 404 ] ).toContain( r.status );
			if ( isWebServerRefusal( r.status, r.headers.get( 'content-type' ) ?? '', r.text ) ) {
				continue; // nginx resolves the traversal itself and answers 404 before PHP runs
			}
			expect( r.body.success ).toBe( false );
			expect( typeof r.body.code ).toBe( 'string' );
		}
	} );
} );
