/**
 * Issue #14 §5: "Resync everything" on Settings → IGNY8, with progress: the same job as `wp igny8 resync --all`.
 * Clicking it walks every managed post (one batch per request, through the shim), the bar reaches the end, and each
 * post reaches IGNY8 (the simulator) once; clicking again runs a new pass.
 */
import { expect, test } from '../../support/editor-test';
import { createManagedPosts, simReset, taskIds, taskUpdates } from '../../support/sync';

const putsPerTask = async ( tasks: number[] ) => {
	const puts = await taskUpdates();
	return tasks.map( ( task ) => puts.filter( ( r ) => r.path === `/api/v1/writer/tasks/${ task }/` ).length );
};

test( 'Resync everything shows progress to done and delivers each managed post once', async ( { admin, page }, testInfo ) => {
	test.setTimeout( 180_000 );
	const tasks = taskIds( 30 );
	createManagedPosts( tasks, { status: 'publish' } );
	await simReset();

	await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
	const button = page.getByRole( 'button', { name: 'Resync everything' } );
	await expect( button ).toBeVisible();
	await button.click();
	const status = page.locator( '.igny8-resync [role="status"]' );
	await expect( status ).toHaveAttribute( 'data-state', 'done', { timeout: 90_000 } );
	await expect( status ).toContainText( /Resync done: \d+ managed posts, \d+ queued for delivery\./ );
	await expect( page.getByRole( 'progressbar', { name: 'Resync progress' } ) ).toHaveAttribute( 'value', '100' );
	await page.locator( '.igny8-resync' ).screenshot( { path: testInfo.outputPath( 'resync-done.png' ) } );
	await expect.poll( () => putsPerTask( tasks ), { timeout: 60_000 } ).toEqual( tasks.map( () => 1 ) );

	// A reload shows the finished pass; a second click is a new pass, each post delivered once more.
	await page.reload();
	await expect( page.locator( '.igny8-resync [role="status"]' ) ).toHaveAttribute( 'data-state', 'done' );
	await page.getByRole( 'button', { name: 'Resync everything' } ).click();
	await expect.poll( () => putsPerTask( tasks ), { timeout: 60_000 } ).toEqual( tasks.map( () => 2 ) );
} );
