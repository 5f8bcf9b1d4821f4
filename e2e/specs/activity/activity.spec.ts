/**
 * Tools → IGNY8 Activity in a real wp-admin (issue #14 §1): an IGNY8 outage (the simulator answering 500 for 30 s)
 * followed by recovery shows as failed, then retried, then delivered rows for the post, newest first; the filters
 * and the CSV export work on what the sidecar logged.
 */
import { readFileSync } from 'node:fs';

import type { Page } from '@playwright/test';

import { expect, test } from '../../support/editor-test';
import { createManagedPosts, expectTasks, setStatus, simFault, simReset, taskIds } from '../../support/sync';

const OUTAGE_MS = 30_000;

async function filterByPost( page: Page, postId: number ) {
	await page.getByLabel( 'Post id' ).fill( String( postId ) );
	await page.getByRole( 'button', { name: 'Filter' } ).click();
}

const rows = ( page: Page ) => page.locator( '.igny8-activity-table tbody tr' );

test.describe( 'Tools → IGNY8 Activity', () => {
	test.use( { viewport: { width: 1600, height: 1000 } } );

	test( 'an IGNY8 outage and its recovery: failed, then retried, then delivered rows; CSV export', async ( { admin, page }, testInfo ) => {
		test.setTimeout( 120_000 );
		await simReset();
		const tasks = taskIds( 1 );
		const [ postId ] = createManagedPosts( tasks ) as [ number ];
		const outageEnds = Date.now() + OUTAGE_MS;
		await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 500, durationMs: OUTAGE_MS } );
		setStatus( [ postId ], 'publish' );

		await admin.visitAdminPage( 'tools.php', 'page=igny8-activity' );
		await expect( page.getByRole( 'heading', { level: 1, name: 'IGNY8 Activity' } ) ).toBeVisible();
		await filterByPost( page, postId );
		// During the outage: failed attempts, each with its next retry and the error.
		await expect
			.poll(
				async () => {
					await page.getByRole( 'button', { name: 'Refresh' } ).click();
					return page.locator( 'tr[data-outcome="failed"]' ).count();
				},
				{ timeout: 20_000 }
			)
			.toBeGreaterThanOrEqual( 2 );
		const firstFailure = page.locator( 'tr[data-outcome="failed"]' ).last();
		await expect( firstFailure ).toContainText( 'HTTP 500' );
		await expect( firstFailure ).toContainText( `tasks/${ tasks[ 0 ] }` );

		// After the outage: delivered, on a retry.
		await expectTasks( { [ tasks[ 0 ] as number ]: { wordpress_status: 'publish' } }, { timeout: outageEnds - Date.now() + 15_000 } );
		await expect
			.poll(
				async () => {
					await page.getByRole( 'button', { name: 'Refresh' } ).click();
					return page.locator( 'tr[data-outcome="delivered"][data-kind="status"]' ).count();
				},
				{ timeout: 15_000 }
			)
			.toBe( 1 );
		const outcomes = await rows( page ).evaluateAll( ( trs ) => trs.map( ( tr ) => `${ tr.getAttribute( 'data-kind' ) }:${ tr.getAttribute( 'data-outcome' ) }` ) );
		// Newest first: the delivery on top, the failures below it, the first failure last.
		expect( outcomes[ 0 ] ).toBe( 'status:delivered' );
		expect( outcomes.slice( 1 ).every( ( outcome ) => outcome === 'status:failed' ) ).toBe( true );
		expect( outcomes.length ).toBeGreaterThanOrEqual( 3 );
		const delivered = page.locator( 'tr[data-outcome="delivered"]' );
		await expect( delivered ).toContainText( '(retry)' );
		await expect( page.locator( 'tr[data-outcome="failed"]' ).first() ).toContainText( '(retry)' );
		await expect( firstFailure.locator( 'td' ).nth( 7 ) ).toHaveText( '1' );

		await page.screenshot( { path: testInfo.outputPath( 'activity.png' ), fullPage: true } );
		await testInfo.attach( 'activity', { path: testInfo.outputPath( 'activity.png' ), contentType: 'image/png' } );

		// The outcome filter narrows to the delivery; the CSV export has the post's rows.
		await page.getByLabel( 'Outcome' ).selectOption( 'delivered' );
		await expect( rows( page ) ).toHaveCount( 1 );
		await page.getByLabel( 'Outcome' ).selectOption( '' );
		const [ download ] = await Promise.all( [ page.waitForEvent( 'download' ), page.getByRole( 'button', { name: 'Export CSV' } ).click() ] );
		const csv = readFileSync( ( await download.path() ) as string, 'utf8' ).trim().split( '\r\n' );
		expect( csv[ 0 ] ).toMatch( /^id,at,direction,kind,route,target,content_id,post_id,outcome,/ );
		expect( csv.length - 1 ).toBe( outcomes.length );
		expect( csv[ 1 ] ).toContain( `,out,status,,tasks/${ tasks[ 0 ] },` );
		expect( csv.slice( 1 ).every( ( line ) => line.includes( `,${ postId },` ) ) ).toBe( true );

		// Search by content id finds the same rows.
		await page.getByLabel( 'Post id' ).fill( '' );
		await page.getByLabel( 'Content id or request id' ).fill( String( ( tasks[ 0 ] as number ) + 500000000 ) );
		await page.getByRole( 'button', { name: 'Filter' } ).click();
		await expect( rows( page ) ).toHaveCount( outcomes.length );
	} );
} );
