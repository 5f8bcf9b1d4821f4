/**
 * Issue #13 §5 against real WordPress, the real sidecar and the simulator: after IGNY8 publishes a post with a
 * task, the sidecar queues one task update (post id, URL, statuses) and nothing publishes again; a post without
 * keyword ids gets them from the task before the keyword bulk update; the task brief is fetched, cached in the post
 * meta and shown in the sidebar as escaped text; "Refresh brief" fetches it again.
 */
import { expect, test } from '../../support/editor-test';
import { connectToSimulator, freshContentId, openIgny8Sidebar, openPublishedPost, publishSample, simulator } from '../../support/igny8-ui';
import { wpEval } from '../../support/stack';

interface Received {
	method: string;
	path: string;
	body: Record< string, unknown >;
}

const HOSTILE = '<img src=x onerror="window.igny8Pwned=1"><script>window.igny8Pwned=1</script>';

/** A post meta value read with WP-CLI (the brief keys are not in core REST). */
function postMeta( postId: number, key: string ): string {
	return wpEval( `echo get_post_meta( ${ postId }, ${ JSON.stringify( key ) }, true );` ).trim();
}

test.describe( 'IGNY8 task after publish and the task brief', () => {
	test( 'one task update, keyword ids from the task, the brief cached and shown escaped; Refresh brief', async ( { admin, page, requestUtils }, testInfo ) => {
		await connectToSimulator( requestUtils );
		const contentId = freshContentId();
		const taskId = 10_000 + contentId;
		await simulator( 'POST', `/tasks/${ taskId }`, { keyword_ids: [ 7001, 7002 ], title: 'Seeded task' } );
		await simulator( 'POST', `/briefs/${ taskId }`, {
			outline: [ 'Introduction', `Why ${ HOSTILE }` ],
			target_keywords: [ 'green tea', 'matcha' ],
			notes: `Keep it short. ${ HOSTILE }`,
		} );

		const postId = await publishSample( contentId, { status: 'publish', keywordIds: [] } );

		// One task PUT with the fields, the keyword ids read from the task before the bulk update.
		const taskPath = `/api/v1/writer/tasks/${ taskId }/`;
		await expect
			.poll( async () => ( await simulator< Received[] >( 'GET', `/received?path=${ encodeURIComponent( '/api/v1/planner/keywords/' ) }` ) ).map( ( r ) => r.body ), { timeout: 20_000 } )
			.toContainEqual( { keyword_ids: [ 7001, 7002 ], status: 'published' } );
		const taskCalls = await simulator< Received[] >( 'GET', `/received?path=${ encodeURIComponent( taskPath ) }` );
		const puts = taskCalls.filter( ( r ) => r.method === 'PUT' && r.path === taskPath );
		expect( puts ).toHaveLength( 1 );
		expect( puts[ 0 ]?.body ).toMatchObject( { assigned_post_id: postId, wordpress_status: 'publish', status: 'completed', content_id: contentId } );
		expect( String( puts[ 0 ]?.body.post_url ) ).toMatch( /^http/ );
		const gets = taskCalls.filter( ( r ) => r.method === 'GET' ).map( ( r ) => r.path );
		expect( gets ).toEqual( expect.arrayContaining( [ taskPath, `${ taskPath }brief/` ] ) );

		// Cached in the post meta as IGNY8 sent it.
		await expect.poll( () => postMeta( postId, '_igny8_brief_cached_at' ), { timeout: 20_000 } ).toMatch( /^\d{4}-\d{2}-\d{2}T/ );
		expect( JSON.parse( postMeta( postId, '_igny8_task_brief' ) ) ).toMatchObject( { target_keywords: [ 'green tea', 'matcha' ] } );

		// Nothing loops back: after the write-backs settle, still one task PUT and no other publish-side traffic.
		await page.waitForTimeout( 1500 );
		const after = await simulator< Received[] >( 'GET', `/received?path=${ encodeURIComponent( taskPath ) }` );
		expect( after.filter( ( r ) => r.method === 'PUT' ) ).toHaveLength( 1 );

		// The sidebar: a collapsed panel; opened, the brief shows as text, the hostile HTML as its characters.
		await openPublishedPost( admin, page, postId );
		const sidebar = await openIgny8Sidebar( page );
		const toggle = sidebar.getByRole( 'button', { name: 'Task brief' } );
		await expect( toggle ).toHaveAttribute( 'aria-expanded', 'false' );
		await toggle.click();
		const panel = sidebar.locator( '.igny8-brief' );
		await expect( panel ).toContainText( 'Target keywords' );
		await expect( panel.getByRole( 'listitem' ).filter( { hasText: 'matcha' } ) ).toBeVisible();
		await expect( panel ).toContainText( HOSTILE );
		expect( await panel.locator( 'img, script' ).count() ).toBe( 0 );
		expect( await page.evaluate( () => 'igny8Pwned' in window ) ).toBe( false );
		await page.setViewportSize( { width: 1440, height: 1400 } );
		await panel.scrollIntoViewIfNeeded();
		await sidebar.screenshot( { path: testInfo.outputPath( 'sidebar-task-brief.png' ) } );

		// Refresh brief: IGNY8 changed it; the panel shows the new version without a reload.
		await simulator( 'POST', `/briefs/${ taskId }`, { notes: 'Second version of the brief' } );
		await panel.getByRole( 'button', { name: 'Refresh brief' } ).click();
		await expect( panel ).toContainText( 'Second version of the brief', { timeout: 20_000 } );
		await expect( panel ).not.toContainText( 'matcha' );
		expect( JSON.parse( postMeta( postId, '_igny8_task_brief' ) ) ).toEqual( { notes: 'Second version of the brief' } );
	} );
} );
