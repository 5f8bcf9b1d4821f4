/**
 * SPEC §6 "Site structure and taxonomies": the site-metadata payload reaches IGNY8's
 * `POST /api/v1/system/sites/{site_id}/import/` once on connecting, on "Sync site structure", and at most once per
 * interval (a day; SIDECAR_STRUCTURE_MIN_INTERVAL_MS = 5 s in the e2e config) when the structure changed, never
 * when nothing changed; cluster/sector renames and deletes and new categories/tags reach
 * `POST /api/v1/integration/webhooks/wordpress/metadata/`; an IGNY8 outage during a push is retried and nothing
 * is lost. Real WordPress, real sidecar, the simulator.
 */
import { expect, test } from '@playwright/test';

import { stack, wpEval } from '../support/stack';
import { asAdmin, saveSettings, sim, simFault, simReceived, simReset, type ReceivedRequest } from '../support/sync';

const INTERVAL_MS = Number( process.env.SIDECAR_STRUCTURE_MIN_INTERVAL_MS ?? 5000 );

interface Structure {
	site_info: { name: string; url: string };
	post_types: Array< { name: string; count: number } >;
	taxonomies: Array< { name: string; terms?: Array< { id: number; name: string; igny8_id?: number } > } >;
}

function php< T >( code: string ): T {
	const out = wpEval( `echo wp_json_encode( ( function () { ${ code } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

const uid = () => `${ Date.now().toString( 36 ) }${ Math.floor( Math.random() * 1e4 ) }`;
const imports = ( siteId: string ) => simReceived( `/api/v1/system/sites/${ siteId }/import/` );
const categoryNames = ( body: unknown ) =>
	( ( body as Structure ).taxonomies.find( ( t ) => t.name === 'category' )?.terms ?? [] ).map( ( t ) => t.name );
const testConnection = () => asAdmin< { data: { ok: boolean } } >( '/wp-json/igny8/v1/settings/test-connection', { method: 'POST', body: '{}' } );
const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

/** Each test pushes to its own IGNY8 site id: a fresh target that has not had the structure yet. */
async function freshSite(): Promise< string > {
	const siteId = String( 10_000 + Math.floor( Math.random() * 80_000 ) );
	expect( ( await saveSettings( { site_id: siteId } ) ).status ).toBe( 200 );
	return siteId;
}

test.beforeEach( async () => {
	await simReset();
} );

test.afterEach( async () => {
	await fetch( `${ stack.simulatorUrl }/__sim/faults`, { method: 'DELETE' } );
	expect( ( await saveSettings( { site_id: '' } ) ).status ).toBe( 200 );
} );

test( 'connecting pushes the structure once; a new category is pushed at most once per interval, nothing when nothing changed', async () => {
	test.setTimeout( 120_000 );
	const siteId = await freshSite();

	const first = await testConnection();
	expect( first.status, JSON.stringify( first.body ) ).toBe( 200 );
	expect( first.body.data.ok ).toBe( true );
	await expect.poll( async () => ( await imports( siteId ) ).length, { timeout: 15_000, message: 'the connection pushes the structure' } ).toBe( 1 );
	const [ pushed ] = await imports( siteId );
	const structure = pushed?.body as unknown as Structure;
	expect( structure.site_info.url ).toMatch( /^http/ );
	expect( structure.post_types.map( ( t ) => t.name ) ).toContain( 'post' );
	expect( structure.taxonomies.map( ( t ) => t.name ) ).toEqual( expect.arrayContaining( [ 'category', 'post_tag', 'igny8_clusters', 'igny8_sectors' ] ) );
	expect( pushed?.auth ).toMatch( /^Bearer / );

	// Connecting again with nothing changed pushes nothing more.
	expect( ( await testConnection() ).body.data.ok ).toBe( true );
	await sleep( 1_500 );
	expect( await imports( siteId ) ).toHaveLength( 1 );

	// Two new categories in one request, then a third right after the push: each push waits for its slot.
	const a = `Structure A ${ uid() }`;
	const b = `Structure B ${ uid() }`;
	php( `wp_insert_term( '${ a }', 'category' ); wp_insert_term( '${ b }', 'category' ); return true;` );
	await expect
		.poll( async () => ( await imports( siteId ) ).some( ( r ) => categoryNames( r.body ).includes( a ) && categoryNames( r.body ).includes( b ) ), {
			timeout: INTERVAL_MS + 15_000,
		} )
		.toBe( true );
	const c = `Structure C ${ uid() }`;
	php( `wp_insert_term( '${ c }', 'category' ); return true;` );
	await expect.poll( async () => ( await imports( siteId ) ).some( ( r ) => categoryNames( r.body ).includes( c ) ), { timeout: INTERVAL_MS + 15_000 } ).toBe( true );

	let all: ReceivedRequest[] = await imports( siteId );
	expect( all, 'connect, A+B together, C' ).toHaveLength( 3 );
	for ( let i = 1; i < all.length; i++ ) {
		expect( ( all[ i ] as ReceivedRequest ).at - ( all[ i - 1 ] as ReceivedRequest ).at, 'at most one push per interval' ).toBeGreaterThanOrEqual( INTERVAL_MS - 250 );
	}

	// A change that leaves the structure as it was (a category description) is not pushed.
	php( `$t = get_term_by( 'name', '${ c }', 'category' ); wp_update_term( $t->term_id, 'category', array( 'description' => 'same structure' ) ); return true;` );
	await sleep( INTERVAL_MS + 3_000 );
	all = await imports( siteId );
	expect( all ).toHaveLength( 3 );

	// The settings route reports the schedule: nothing is waiting.
	php( `foreach ( array( '${ a }', '${ b }', '${ c }' ) as $n ) { $t = get_term_by( 'name', $n, 'category' ); if ( $t ) { wp_delete_term( $t->term_id, 'category' ); } } return true;` );
} );

test( 'a renamed cluster reaches IGNY8 with its IGNY8 id and new name; a deleted one is reported deleted; new categories and tags are reported; IGNY8\'s own writes are not', async () => {
	const name = `Cluster ${ uid() }`;
	const termId = php< number >( `
		$t = wp_insert_term( '${ name }', 'igny8_clusters' );
		if ( is_wp_error( $t ) ) { throw new Exception( $t->get_error_message() ); }
		update_term_meta( $t['term_id'], '_igny8_cluster_id', 4242 );
		return $t['term_id'];
	` );
	// Creating a cluster is IGNY8's business (it made it): not reported.
	await sleep( 500 );
	expect( await sim< Record< string, unknown > >( '/terms' ) ).not.toHaveProperty( String( termId ) );

	php( `wp_update_term( ${ termId }, 'igny8_clusters', array( 'name' => '${ name } renamed' ) ); return true;` );
	await expect
		.poll( async () => ( await sim< Record< string, Record< string, unknown > > >( '/terms' ) )[ String( termId ) ], { timeout: 15_000 } )
		.toMatchObject( { event: 'term_renamed', taxonomy: 'igny8_clusters', term_id: termId, name: `${ name } renamed`, igny8_id: 4242 } );
	// The IGNY8 id stays in term meta across the rename; the outbox entry is cleared once IGNY8 has it.
	expect( php< string >( `return get_term_meta( ${ termId }, '_igny8_cluster_id', true );` ) ).toBe( '4242' );
	await expect.poll( () => php< boolean >( `return false !== get_option( 'igny8_sync_term_${ termId }' );` ), { timeout: 10_000 } ).toBe( false );

	php( `wp_delete_term( ${ termId }, 'igny8_clusters' ); return true;` );
	await expect
		.poll( async () => ( await sim< Record< string, Record< string, unknown > > >( '/terms' ) )[ String( termId ) ], { timeout: 15_000 } )
		.toMatchObject( { event: 'term_deleted', taxonomy: 'igny8_clusters', term_id: termId, igny8_id: 4242 } );
	const reports = ( await simReceived( '/api/v1/integration/webhooks/wordpress/metadata/' ) ).filter( ( r ) => r.body.term_id === termId );
	expect( reports.map( ( r ) => r.body.event ) ).toEqual( [ 'term_renamed', 'term_deleted' ] );
	expect( reports[ 0 ]?.body.site_url ).toMatch( /^http/ );

	// New category and tag: reported created. A term IGNY8's own publish creates (inside Sync_Guard) echoes nothing.
	const cat = `Reported cat ${ uid() }`;
	const tag = `Reported tag ${ uid() }`;
	const quiet = `Quiet cat ${ uid() }`;
	const ids = php< { cat: number; tag: number; quiet: number } >( `
		$c = wp_insert_term( '${ cat }', 'category' );
		$t = wp_insert_term( '${ tag }', 'post_tag' );
		$q = \\Igny8\\Bridge\\Sync\\Sync_Guard::suppress( static function () { return wp_insert_term( '${ quiet }', 'category' ); } );
		return array( 'cat' => $c['term_id'], 'tag' => $t['term_id'], 'quiet' => $q['term_id'] );
	` );
	await expect
		.poll( async () => {
			const terms = await sim< Record< string, Record< string, unknown > > >( '/terms' );
			return [ terms[ String( ids.cat ) ]?.event, terms[ String( ids.tag ) ]?.event ];
		}, { timeout: 15_000 } )
		.toEqual( [ 'term_created', 'term_created' ] );
	await sleep( 500 );
	expect( await sim< Record< string, unknown > >( '/terms' ) ).not.toHaveProperty( String( ids.quiet ) );
	expect( php< boolean >( `return false !== get_option( 'igny8_sync_term_${ ids.quiet }' );` ) ).toBe( false );
	php( `wp_delete_term( ${ ids.cat }, 'category' ); wp_delete_term( ${ ids.quiet }, 'category' ); wp_delete_term( ${ ids.tag }, 'post_tag' ); return true;` );
} );

test( 'IGNY8 down during a structure push: "Sync site structure" is retried and nothing is lost', async () => {
	const siteId = await freshSite();
	const marker = `Outage cat ${ uid() }`;
	php( `wp_insert_term( '${ marker }', 'category' ); return true;` );
	await simFault( { pathPrefix: '/api/v1/system/sites', status: 503, count: 3 } );

	const reply = await asAdmin< { success: boolean; data: { queued: boolean } } >( '/wp-json/igny8/v1/settings/sync-structure', { method: 'POST', body: '{}' } );
	expect( reply.status, JSON.stringify( reply.body ) ).toBe( 200 );
	expect( reply.body.data.queued ).toBe( true );

	await expect
		.poll( async () => Object.keys( await sim< Record< string, unknown > >( '/structures' ) ), { timeout: 20_000, message: 'the push gets through after the outage' } )
		.toContain( siteId );
	const structures = await sim< Record< string, Structure > >( '/structures' );
	expect( categoryNames( structures[ siteId ] ) ).toContain( marker );
	const attempts = await imports( siteId );
	expect( attempts.length, 'three refused, then one accepted' ).toBeGreaterThanOrEqual( 4 );
	await sleep( 1_000 );
	expect( ( await imports( siteId ) ).length, 'no extra push once accepted' ).toBe( attempts.length );
	php( `$t = get_term_by( 'name', '${ marker }', 'category' ); if ( $t ) { wp_delete_term( $t->term_id, 'category' ); } return true;` );
} );
