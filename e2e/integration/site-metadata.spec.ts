/**
 * GET /site-metadata/ end to end: shim → sidecar → `site_info` operation in PHP → sidecar shapes the reply.
 */
import { expect, test } from '@playwright/test';

import { bootstrapsOf, stack, wp, wpEval } from '../support/stack';

interface Metadata {
	site_info: Record< string, string >;
	post_types: Array< { name: string; label: string; count: number; supports: string[] } >;
	taxonomies: Array< { name: string; label: string; count: number; terms?: Array< { name: string } > } >;
	plugins: Record< string, boolean >;
}
type Envelope = { success: boolean; data: Metadata; request_id: string };

const route = '/wp-json/igny8/v1/site-metadata/';

test( 'returns the site structure in the SPEC §4 shape', async () => {
	const r = await wp< Envelope >( route );
	expect( r.status ).toBe( 200 );
	expect( r.headers.get( 'content-type' ) ).toContain( 'application/json' );
	const { data } = r.body;
	expect( data.site_info ).toMatchObject( {
		name: 'IGNY8 Bridge dev',
		url: stack.wpUrl,
		language: expect.any( String ),
		timezone: expect.any( String ),
	} );
	const post = data.post_types.find( ( t ) => t.name === 'post' );
	expect( post ).toMatchObject( { label: expect.any( String ), count: expect.any( Number ) } );
	expect( post?.supports ).toContain( 'editor' );
	expect( data.taxonomies.map( ( t ) => t.name ) ).toEqual( expect.arrayContaining( [ 'category', 'post_tag', 'igny8_clusters', 'igny8_sectors' ] ) );
	expect( Object.keys( data.plugins ).sort() ).toEqual( [ 'advanced_custom_fields', 'aioseo', 'rank_math', 'seopress', 'woocommerce', 'yoast_seo' ] );
	expect( Object.values( data.plugins ).every( ( v ) => typeof v === 'boolean' ) ).toBe( true );
	expect( r.body.request_id ).toBe( r.headers.get( 'x-request-id' ) );
} );

test( 'the 5-minute cache is invalidated when a term changes', async () => {
	const name = `Fresh category ${ Date.now() }`;
	const before = await wp< Envelope >( route );
	expect( JSON.stringify( before.body ) ).not.toContain( name );
	wpEval( `wp_insert_term( ${ JSON.stringify( name ) }, 'category' );` );
	const after = await wp< Envelope >( route );
	const category = after.body.data.taxonomies.find( ( t ) => t.name === 'category' );
	expect( category?.terms?.map( ( t ) => t.name ) ).toContain( name );
} );

test( 'one IGNY8 call costs exactly one WordPress bootstrap, even when the sidecar must ask PHP for data', async () => {
	// Bump the structure revision so the sidecar's cache misses and it has to run the execute/continue round.
	wpEval( `wp_insert_term( 'Bootstrap probe ${ Date.now() }', 'post_tag' );` );
	const { result, requests } = await bootstrapsOf( () => wp( route ) );
	expect( result.status ).toBe( 200 );
	expect( requests ).toEqual( [ `GET ${ route }` ] );
} );
