/**
 * Issue #14 §4 in the real browser (6.1, 6.5, 6.6-RC3): the posts list's "Sync state" filter and "IGNY8 sync
 * failed" view, the failed + dead count on Settings → IGNY8 (core's pending-comments bubble), and the
 * "Sync to IGNY8" bulk action delivering the selected posts through the sidecar to the IGNY8 simulator.
 */
import { expect, test } from '../../support/editor-test';
import { connectToSimulator, freshContentId, publishSample, simulator } from '../../support/igny8-ui';
import { wpEval } from '../../support/stack';

type State = 'synced' | 'pending' | 'failed' | 'dead' | 'never';

/** Failed + dead managed posts, counted straight from the table (not through the plugin's query). */
const failedInDatabase = (): number =>
	Number(
		wpEval(
			`global $wpdb; echo (int) $wpdb->get_var( "SELECT COUNT(DISTINCT p.ID) FROM {$wpdb->posts} p JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = '_igny8_sync_state' AND s.meta_value IN ('failed','dead') JOIN {$wpdb->postmeta} c ON c.post_id = p.ID AND c.meta_key IN ('_igny8_content_id','_igny8_task_id') WHERE p.post_type = 'post' AND p.post_status <> 'auto-draft'" );`
		)
	);

/** One managed post in each sync state, titled with a tag the list can be searched for. */
async function postsInEachState( tag: string ): Promise< Record< State, number > > {
	const ids = {} as Record< State, number >;
	for ( const state of [ 'synced', 'pending', 'failed', 'dead', 'never' ] as State[] ) {
		ids[ state ] = await publishSample( freshContentId(), { title: `${ tag } ${ state }` } );
	}
	// Each publish's task update is delivered and its synced state written back by the sidecar, in batches and some
	// time after the publish (more under load); the states below replace what those write-backs leave, so they go in
	// once every write-back has landed.
	await expect
		.poll( () => wpEval( `echo implode( ',', array_map( static fn ( $id ) => (string) get_post_meta( $id, '_igny8_sync_state', true ), array( ${ Object.values( ids ).join( ', ' ) } ) ) );` ).trim(), { timeout: 30_000 } )
		.toBe( 'synced,synced,synced,synced,synced' );
	// The states as the sidecar's write-backs and the change recorder leave them in post meta. Pending: a change
	// held by manual sync mode (a bare marker would be picked up and delivered by the sidecar's reconciler).
	wpEval( `
		update_post_meta( ${ ids.pending }, '_igny8_sync_state', 'pending_manual' );
		update_post_meta( ${ ids.failed }, '_igny8_sync_state', 'failed' );
		update_post_meta( ${ ids.failed }, '_igny8_sync_error', 'IGNY8 task refused (HTTP 422)' );
		update_post_meta( ${ ids.dead }, '_igny8_sync_state', 'dead' );
		update_post_meta( ${ ids.dead }, '_igny8_sync_error', 'Gave up after 8 attempts' );
		delete_post_meta( ${ ids.never }, '_igny8_last_synced' );
		delete_post_meta( ${ ids.never }, '_igny8_sync_state' );
	` );
	return ids;
}

test( 'filter by sync state, the failed view and the menu bubble', async ( { admin, page }, testInfo ) => {
	// Five publishes, seven list loads and a dozen php-cli reads: ~40 s on a quiet machine.
	test.setTimeout( 240_000 );
	const tag = `Filter ${ Date.now() }`;
	const ids = await postsInEachState( tag );

	const rowOf = ( id: number ) => page.locator( `#post-${ id }` );
	const listed = async (): Promise< State[] > => {
		const out: State[] = [];
		for ( const [ state, id ] of Object.entries( ids ) as Array< [ State, number ] > ) {
			if ( ( await rowOf( id ).count() ) > 0 ) {
				out.push( state );
			}
		}
		return out;
	};

	// Each state of the dropdown lists exactly its post among ours.
	await admin.visitAdminPage( 'edit.php', `post_type=post&s=${ encodeURIComponent( tag ) }` );
	await expect( rowOf( ids.never ) ).toBeVisible();
	expect( await listed() ).toEqual( [ 'synced', 'pending', 'failed', 'dead', 'never' ] );
	const filter = page.getByRole( 'combobox', { name: 'Filter by IGNY8 sync state' } );
	for ( const state of [ 'synced', 'pending', 'failed', 'dead', 'never' ] as State[] ) {
		await filter.selectOption( state );
		await page.locator( '#post-query-submit' ).click();
		await expect( page ).toHaveURL( new RegExp( `igny8_sync_state=${ state }` ) );
		await expect( filter ).toHaveValue( state );
		await expect( rowOf( ids[ state ] ) ).toBeVisible();
		expect( await listed(), state ).toEqual( [ state ] );
	}

	// The bubble counts every failed and dead post of the site; the view lists them in one click.
	const expected = failedInDatabase();
	expect( expected ).toBeGreaterThanOrEqual( 2 );
	await admin.visitAdminPage( 'edit.php', `post_type=post&s=${ encodeURIComponent( tag ) }` );
	const menuItem = page.locator( '#adminmenu a[href="options-general.php?page=igny8-bridge"]' );
	await expect( menuItem.locator( '.awaiting-mod .pending-count' ) ).toHaveText( String( expected ) );
	const view = page.locator( '.subsubsub' ).getByRole( 'link', { name: /IGNY8 sync failed/ } );
	await expect( view ).toContainText( `(${ expected })` );
	await view.click();
	await expect( page ).toHaveURL( /igny8_sync_state=failed(%2C|,)dead/ );
	await expect( rowOf( ids.failed ) ).toBeVisible();
	await expect( rowOf( ids.dead ) ).toBeVisible();
	await expect( rowOf( ids.synced ) ).toHaveCount( 0 );
	await page.hover( '#menu-settings' );
	await page.locator( '#wpbody' ).screenshot( { path: testInfo.outputPath( 'posts-list-failed-view.png' ) } );
	await page.screenshot( { path: testInfo.outputPath( 'posts-list-failed-view-full.png' ), fullPage: false } );

} );

test( 'the bulk action "Sync to IGNY8" delivers the selected posts and names the ones it could not send', async ( { admin, page, requestUtils } ) => {
	test.setTimeout( 120_000 );
	await connectToSimulator( requestUtils );
	const tag = `Bulk ${ Date.now() }`;
	const ids = await postsInEachState( tag );
	const rowOf = ( id: number ) => page.locator( `#post-${ id }` );

	// The failed and the dead post: both delivered to IGNY8 and marked synced again.
	const before = await simulator< Array< { body?: { assigned_post_id?: number } } > >( 'GET', '/received?path=/api/v1/writer/tasks/' );
	await admin.visitAdminPage( 'edit.php', `post_type=post&s=${ encodeURIComponent( tag ) }` );
	await rowOf( ids.failed ).locator( 'th.check-column input[type="checkbox"]' ).check();
	await rowOf( ids.dead ).locator( 'th.check-column input[type="checkbox"]' ).check();
	await page.locator( '#bulk-action-selector-top' ).selectOption( { label: 'Sync to IGNY8' } );
	await page.locator( '#doaction' ).click();
	await expect( page.locator( '.notice-success' ) ).toContainText( '2 posts queued for IGNY8.' );
	await expect( page ).not.toHaveURL( /igny8_queued/ );
	await expect
		.poll(
			() =>
				wpEval( `echo get_post_meta( ${ ids.failed }, '_igny8_sync_state', true ) . '|' . get_post_meta( ${ ids.dead }, '_igny8_sync_state', true );` ),
			{ timeout: 20_000 }
		)
		.toBe( 'synced|synced' );
	const after = await simulator< Array< { body?: { assigned_post_id?: number } } > >( 'GET', '/received?path=/api/v1/writer/tasks/' );
	const delivered = after.slice( before.length ).map( ( r ) => r.body?.assigned_post_id );
	expect( delivered ).toEqual( expect.arrayContaining( [ ids.failed, ids.dead ] ) );
	await page.reload();
	await expect( rowOf( ids.failed ).locator( 'td.column-igny8' ) ).toHaveText( /^Synced/ );

	// A post IGNY8 does not manage is refused by name, not silently skipped.
	const plain = ( await requestUtils.rest( { path: '/wp/v2/posts', method: 'POST', data: { title: `${ tag } plain`, status: 'draft' } } ) ) as { id: number };
	await admin.visitAdminPage( 'edit.php', `post_type=post&s=${ encodeURIComponent( tag ) }` );
	await rowOf( plain.id ).locator( 'th.check-column input[type="checkbox"]' ).check();
	await page.locator( '#bulk-action-selector-top' ).selectOption( { label: 'Sync to IGNY8' } );
	await page.locator( '#doaction' ).click();
	await expect( page.locator( '.notice-error' ).filter( { hasText: 'Not sent to IGNY8' } ) ).toContainText( `posts ${ plain.id }.` );
} );
