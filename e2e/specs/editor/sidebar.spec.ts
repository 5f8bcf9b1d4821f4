/**
 * The IGNY8 sidebar in the real block editor (6.1: editor in the page; 6.5: iframed canvas): what it shows for
 * content IGNY8 published, and the sync state going pending → synced, and failed → synced with Sync now.
 */
import type { Page } from '@playwright/test';

import { expect, test } from '../../support/editor-test';
import {
	connectToSimulator,
	editorSettings,
	freshContentId,
	openIgny8Sidebar,
	openPublishedPost,
	publishSample,
	simulator,
	syncState,
} from '../../support/igny8-ui';

/** Publishes the opened draft from the editor UI: a status change (draft → publish) and a save. */
async function publishFromEditor( page: Page ) {
	const topBar = page.getByRole( 'region', { name: 'Editor top bar' } );
	await topBar.getByRole( 'button', { name: 'Publish', exact: true } ).click();
	await page.getByRole( 'region', { name: 'Editor publish' } ).getByRole( 'button', { name: 'Publish', exact: true } ).click();
	await expect( page.getByRole( 'button', { name: 'Dismiss this notice' } ).filter( { hasText: 'published' } ) ).toBeVisible();
	// The post-publish panel covers the top bar; close it as a user would.
	await page.getByRole( 'region', { name: 'Editor publish' } ).getByRole( 'button', { name: 'Close panel' } ).click();
}

test.describe( 'IGNY8 sidebar', () => {
	test.afterEach( async () => {
		await simulator( 'DELETE', '/faults' );
	} );

	test( 'content published by IGNY8 shows its cluster, sector, keywords, ids and "synced"', async ( { admin, page }, testInfo ) => {
		const contentId = freshContentId();
		const postId = await publishSample( contentId );
		const cluster = 100 + ( contentId % 5 );
		const sector = 200 + ( contentId % 3 );

		await openPublishedPost( admin, page, postId );

		// The document panel summary (Post tab).
		const summaryToggle = editorSettings( page ).getByRole( 'button', { name: 'IGNY8', exact: true } );
		await expect( summaryToggle ).toBeVisible();
		if ( ( await summaryToggle.getAttribute( 'aria-expanded' ) ) !== 'true' ) {
			await summaryToggle.click();
		}
		const summary = editorSettings( page ).locator( '.igny8-summary-panel' );
		await expect( syncState( summary ) ).toContainText( 'Synced' );
		await expect( summary ).toContainText( `Cluster ${ 100 + ( contentId % 5 ) }` );
		await expect( summary ).toContainText( String( contentId ) );
		await summary.screenshot( { path: testInfo.outputPath( 'document-panel-summary.png' ) } );

		const sidebar = await openIgny8Sidebar( page );
		const row = ( label: string ) => sidebar.locator( '.igny8-details__row' ).filter( { has: page.locator( 'dt', { hasText: new RegExp( `^${ label }$` ) } ) } );
		await expect( row( 'Cluster' ) ).toContainText( `Cluster ${ cluster }` );
		await expect( row( 'Cluster' ) ).toContainText( `ID ${ cluster }` );
		await expect( row( 'Sector' ) ).toContainText( `Sector ${ sector }` );
		await expect( row( 'Sector' ) ).toContainText( `ID ${ sector }` );
		await expect( row( 'Content ID' ) ).toContainText( String( contentId ) );
		await expect( row( 'Task ID' ) ).toContainText( String( 10_000 + contentId ) );
		await expect( row( 'Primary' ) ).toContainText( `keyword ${ contentId }` );
		await expect( row( 'Secondary' ).getByRole( 'listitem' ) ).toHaveText( [ `secondary ${ contentId }a`, `secondary ${ contentId }b` ] );
		await expect( row( 'WordPress status' ) ).toHaveText( /Draft/ );
		await expect( row( 'IGNY8 status' ) ).toHaveText( /Draft/ );
		await expect( syncState( sidebar ) ).toContainText( /Synced/ );
		await expect( syncState( sidebar ) ).toContainText( /ago/ );

		// Tall enough that the whole sidebar is in the picture.
		await page.setViewportSize( { width: 1440, height: 1200 } );
		await sidebar.screenshot( { path: testInfo.outputPath( 'sidebar-published.png' ) } );
		await page.screenshot( { path: testInfo.outputPath( 'editor-with-sidebar.png' ) } );
	} );

	test( 'term names WordPress stores HTML-escaped show as written (Food & drink, not Food &amp; drink)', async ( { admin, page } ) => {
		const contentId = freshContentId();
		// A fresh IGNY8 id, so the names are this test's own terms and not one an earlier test created.
		const postId = await publishSample( contentId, {
			cluster: { id: 900_000 + ( contentId % 100_000 ), name: `Beans & brews ${ contentId }` },
			sector: { id: 900_000 + ( contentId % 100_000 ), name: `Food & drink ${ contentId }` },
		} );
		await openPublishedPost( admin, page, postId );
		const sidebar = await openIgny8Sidebar( page );
		const row = ( label: string ) => sidebar.locator( '.igny8-details__row' ).filter( { has: page.locator( 'dt', { hasText: new RegExp( `^${ label }$` ) } ) } );
		await expect( row( 'Cluster' ) ).toContainText( `Beans & brews ${ contentId }` );
		await expect( row( 'Sector' ) ).toContainText( `Food & drink ${ contentId }` );
		await expect( row( 'Sector' ) ).not.toContainText( '&amp;' );
	} );

	test( 'a post IGNY8 does not manage says so, in the sidebar and the document panel', async ( { admin, page } ) => {
		await admin.createNewPost();
		const sidebar = await openIgny8Sidebar( page );
		await expect( sidebar.getByText( 'Not managed by IGNY8' ) ).toBeVisible();
		await expect( sidebar.getByRole( 'button', { name: 'Sync now' } ) ).toHaveCount( 0 );
	} );

	test( 'saving a status change shows pending, then synced, without a reload', async ( { admin, page, requestUtils } ) => {
		await connectToSimulator( requestUtils );
		const contentId = freshContentId();
		const postId = await publishSample( contentId, { status: 'draft' } );
		// IGNY8's publish queues its own task update first (#13 §5): let it land before delaying the next one.
		await expect.poll( async () => ( await simulator< Record< string, unknown > >( 'GET', '/tasks' ) )[ String( 10_000 + contentId ) ] ).toBeTruthy();
		// Hold IGNY8's answer for a moment so "pending" is observable, not just theoretically there.
		await simulator( 'POST', '/faults', { method: 'PUT', pathPrefix: '/api/v1/writer/tasks', delayMs: 2500, count: 1 } );

		await openPublishedPost( admin, page, postId );
		const sidebar = await openIgny8Sidebar( page );
		await expect( syncState( sidebar ) ).toContainText( 'Synced' );
		// A marker in the page's window: a reload would drop it.
		await page.evaluate( () => Object.assign( window, { igny8NoReload: true } ) );

		await publishFromEditor( page );
		await openIgny8Sidebar( page );
		await expect( syncState( sidebar ) ).toContainText( 'Pending' );
		await expect( syncState( sidebar ) ).toContainText( 'Synced', { timeout: 20_000 } );
		const row = sidebar.locator( '.igny8-details__row' );
		await expect( row.filter( { hasText: 'WordPress status' } ) ).toContainText( 'Published' );
		await expect( row.filter( { hasText: 'IGNY8 status' } ) ).toContainText( 'Completed' );
		expect( await page.evaluate( () => 'igny8NoReload' in window ), 'no reload' ).toBe( true );

		const tasks = await simulator< Record< string, { status?: string } > >( 'GET', '/tasks' );
		expect( tasks[ String( 10_000 + contentId ) ]?.status ).toBe( 'completed' );
	} );

	test( 'a failing IGNY8 shows "failed" with the error; Sync now after recovery brings it back to synced', async ( {
		admin,
		page,
		requestUtils,
	}, testInfo ) => {
		await connectToSimulator( requestUtils );
		const postId = await publishSample( freshContentId(), { status: 'draft' } );
		await simulator( 'POST', '/faults', { pathPrefix: '/api/v1/writer/tasks', status: 500, durationMs: 120_000 } );

		await openPublishedPost( admin, page, postId );
		await publishFromEditor( page );
		const sidebar = await openIgny8Sidebar( page );
		await expect( syncState( sidebar ) ).toContainText( 'Failed', { timeout: 30_000 } );
		const error = sidebar.locator( '.igny8-sync-error' );
		await expect( error ).toContainText( 'Last error:' );
		await expect( error.locator( '.igny8-sync-error__message' ) ).not.toBeEmpty();
		await expect( sidebar.locator( '.igny8-details__row' ).filter( { hasText: 'Attempts' } ) ).toContainText( /\d/ );
		await page.setViewportSize( { width: 1440, height: 1200 } );
		await sidebar.screenshot( { path: testInfo.outputPath( 'sidebar-failed.png' ) } );

		await simulator( 'DELETE', '/faults' );
		const syncNow = sidebar.getByRole( 'button', { name: 'Sync now' } );
		await syncNow.click();
		await expect( syncState( sidebar ) ).toContainText( 'Synced', { timeout: 20_000 } );
		await expect( error ).toHaveCount( 0 );
		await sidebar.screenshot( { path: testInfo.outputPath( 'sidebar-recovered.png' ) } );
	} );
} );
