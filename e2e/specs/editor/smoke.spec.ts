/**
 * The plugin is active and its editor bundle loads in the real block editor without console errors
 * (the @wordpress/e2e-test-utils-playwright fixture fails a test on any console error or warning).
 */
import { expect, test } from '../../support/editor-test';

test( 'the block editor opens with the IGNY8 sidebar available', async ( { admin, page }, testInfo ) => {
	await admin.createNewPost();
	// The document panel summary is rendered by our bundle.
	const toggle = page.getByRole( 'button', { name: 'IGNY8', exact: true } ).first();
	await expect( toggle ).toBeVisible();
	await page.getByRole( 'region', { name: 'Editor top bar' } ).getByRole( 'button', { name: 'IGNY8' } ).click();
	await expect( page.getByRole( 'region', { name: 'Editor settings' } ).getByText( 'Not managed by IGNY8' ).first() ).toBeVisible();
	await page.screenshot( { path: testInfo.outputPath( 'editor-sidebar.png' ) } );
} );
