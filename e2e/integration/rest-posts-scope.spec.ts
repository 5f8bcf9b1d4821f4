/**
 * An editor save (`POST /wp/v2/posts/<id>`) registers only what it can reach (issue #15: Support\Rest_Scope): the
 * REST meta of its post type, not the plugin's routes, not the IGNY8 taxonomies' term routes. What the editor and
 * other REST clients see must not change: the save's reply carries the IGNY8 meta and terms, an embedding request
 * still embeds the IGNY8 terms, and every other route is still served.
 */
import { expect, test } from '@playwright/test';

import { publishSample } from '../support/igny8-ui';
import { stack, wpEval } from '../support/stack';
import { adminBasicAuth } from '../support/wordpress';

const CONTENT_ID = 8_150_001;

function evalJson< T >( php: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

async function rest( auth: string, route: string, init: RequestInit = {} ) {
	const res = await fetch( `${ stack.wpUrl }/wp-json${ route }`, {
		...init,
		headers: { Authorization: auth, 'Content-Type': 'application/json' },
		signal: AbortSignal.timeout( 30_000 ),
	} );
	return { status: res.status, body: ( await res.json() ) as Record< string, unknown > };
}

test( 'an editor save replies with the IGNY8 meta and terms; other routes and embeds still reach the IGNY8 terms', async () => {
	const auth = adminBasicAuth();
	const postId = await publishSample( CONTENT_ID );
	const terms = evalJson< { igny8_clusters: number[]; igny8_sectors: number[] } >(
		`return array( 'igny8_clusters' => wp_get_object_terms( ${ postId }, 'igny8_clusters', array( 'fields' => 'ids' ) ), 'igny8_sectors' => wp_get_object_terms( ${ postId }, 'igny8_sectors', array( 'fields' => 'ids' ) ) );`
	);
	expect( terms.igny8_clusters.length ).toBe( 1 );
	expect( terms.igny8_sectors.length ).toBe( 1 );

	const save = await rest( auth, `/wp/v2/posts/${ postId }`, { method: 'POST', body: JSON.stringify( { title: 'Scope save' } ) } );
	expect( save.status ).toBe( 200 );
	const meta = save.body.meta as Record< string, unknown >;
	expect( meta._igny8_content_id ).toBe( CONTENT_ID );
	expect( meta._igny8_sync_state ).toBeDefined();
	expect( save.body.igny8_clusters ).toEqual( terms.igny8_clusters );
	expect( save.body.igny8_sectors ).toEqual( terms.igny8_sectors );
	const links = save.body._links as Record< string, Array< { taxonomy?: string } > >;
	expect( ( links[ 'wp:term' ] ?? [] ).map( ( link ) => link.taxonomy ) ).toEqual( expect.arrayContaining( [ 'igny8_clusters', 'igny8_sectors' ] ) );

	// An embedding posts request dispatches the term routes: they are there.
	const embedded = await rest( auth, `/wp/v2/posts/${ postId }?_embed=wp:term&context=edit` );
	const groups = ( embedded.body._embedded as Record< string, Array< Array< { id?: number; taxonomy?: string } > > > )[ 'wp:term' ];
	const clusters = ( groups ?? [] ).find( ( group ) => group[ 0 ]?.taxonomy === 'igny8_clusters' );
	expect( clusters?.map( ( term ) => term.id ) ).toEqual( terms.igny8_clusters );

	// The term routes and the plugin's own routes, each in a request of its own.
	const list = await rest( auth, `/wp/v2/igny8_sectors?post=${ postId }` );
	expect( list.status ).toBe( 200 );
	expect( ( list.body as unknown as Array< { id: number } > ).map( ( term ) => term.id ) ).toEqual( terms.igny8_sectors );
	const index = await rest( auth, '/' );
	expect( Object.keys( index.body.routes as Record< string, unknown > ) ).toEqual(
		expect.arrayContaining( [ '/wp/v2/igny8_clusters', '/wp/v2/igny8_sectors/(?P<id>[\\d]+)', '/igny8/v1/publish-content/?' ] )
	);

	// A page's own request has the IGNY8 meta of pages.
	const pageId = evalJson< number >( `return wp_insert_post( array( 'post_type' => 'page', 'post_title' => 'Scope page', 'post_status' => 'draft' ) );` );
	const page = await rest( auth, `/wp/v2/pages/${ pageId }?context=edit` );
	expect( Object.keys( page.body.meta as Record< string, unknown > ) ).toContain( '_igny8_content_id' );
} );
