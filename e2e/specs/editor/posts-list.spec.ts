/**
 * The "IGNY8" column of Posts → All Posts: each post's sync state from post meta, escaped.
 */
import { expect, test } from '../../support/editor-test';
import { freshContentId, publishSample } from '../../support/igny8-ui';
import { wpEval } from '../../support/stack';

test( 'the posts list shows each post\'s IGNY8 sync state', async ( { admin, page, requestUtils }, testInfo ) => {
	const synced = await publishSample( freshContentId(), { title: 'Column synced post' } );
	const failed = await publishSample( freshContentId(), { title: 'Column failed post' } );
	const pending = await publishSample( freshContentId(), { title: 'Column pending post' } );
	const plain = ( await requestUtils.rest( {
		path: '/wp/v2/posts',
		method: 'POST',
		data: { title: 'Column plain post', status: 'draft' },
	} ) ) as { id: number };
	// Each publish's synced state is written back by the sidecar in batches, some time after the publish (up to ~0.5 s
	// under a flow of deliveries since 4077662, more under load): the states below go in once those have landed, or
	// a late write-back overwrites them (CI at 6648d87: "Synced 1 second ago" where "Pending" was set).
	await expect
		.poll( () => wpEval( `echo implode( ',', array_map( static fn ( $id ) => (string) get_post_meta( $id, '_igny8_sync_state', true ), array( ${ synced }, ${ failed }, ${ pending } ) ) );` ).trim(), { timeout: 30_000 } )
		.toBe( 'synced,synced,synced' );
	// Sync states as the sync mirrors them into post meta; the error carries markup that must stay text.
	wpEval(
		`update_post_meta( ${ failed }, '_igny8_sync_state', 'failed' );` +
			`update_post_meta( ${ failed }, '_igny8_sync_error', wp_slash( 'IGNY8 answered 500 <script>alert(1)</script> for task' ) );` +
			`update_post_meta( ${ pending }, '_igny8_sync_state', 'pending' );`
	);

	await admin.visitAdminPage( 'edit.php', 'post_type=post' );
	await expect( page.locator( 'thead' ).getByRole( 'columnheader', { name: 'IGNY8', exact: true } ) ).toBeVisible();
	const cell = ( postId: number ) => page.locator( `#post-${ postId } td.column-igny8` );
	await expect( cell( synced ) ).toHaveText( /^Synced \d+ (second|seconds|min|mins) ago$/ );
	await expect( cell( failed ) ).toHaveText( 'Failed: IGNY8 answered 500 <script>alert(1)</script> for task' );
	await expect( cell( failed ).locator( 'script' ) ).toHaveCount( 0 );
	await expect( cell( pending ) ).toHaveText( 'Pending' );
	await expect( cell( plain.id ) ).toHaveText( /—\s*Not managed by IGNY8/ );
	await page.locator( '.wp-list-table' ).screenshot( { path: testInfo.outputPath( 'posts-list-column.png' ) } );
} );
