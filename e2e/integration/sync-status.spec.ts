/**
 * SPEC §6 / §10: a WordPress-side status change of an IGNY8-managed post reaches IGNY8 (the simulator's
 * `PUT /api/v1/writer/tasks/{id}/`) with the mapped status, the raw WordPress status, the post URL and the post
 * id; the result is written back to WordPress (sync meta, marker cleared). Real WordPress, real sidecar.
 */
import { expect, test } from '@playwright/test';

import {
	asAdmin,
	createManagedPosts,
	expectTasks,
	permalinks,
	setStatus,
	simReceived,
	taskUpdates,
	simReset,
	syncMeta,
	syncState,
	taskIds,
} from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

const CHANGES: Array< [ string, string ] > = [
	[ 'publish', 'completed' ],
	[ 'pending', 'pending' ],
	[ 'private', 'completed' ],
	[ 'future', 'completed' ],
	[ 'trash', 'archived' ],
];

test( 'each status change reaches IGNY8 mapped, with the raw status, post_url and assigned_post_id', async () => {
	const tasks = taskIds( CHANGES.length );
	const ids = createManagedPosts( tasks );
	for ( const [ index, [ status ] ] of CHANGES.entries() ) {
		setStatus( [ ids[ index ] as number ], status );
	}
	const urls = permalinks( ids );
	const expected = Object.fromEntries(
		CHANGES.map( ( [ wpStatus, igny8 ], index ) => [
			tasks[ index ],
			{ status: igny8, wordpress_status: wpStatus, assigned_post_id: ids[ index ], post_url: urls[ ids[ index ] as number ], post_type: 'post' },
		] )
	);
	const got = await expectTasks( expected );
	for ( const [ index, task ] of tasks.entries() ) {
		expect( got[ task ]?.synced_at ).toMatch( /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/ );
		expect( got[ task ]?.content_id ).toBe( task + 500000000 );
		expect( ids[ index ] ).toBeGreaterThan( 0 );
	}

	// WordPress learns the result: marker cleared, state synced, the status IGNY8 has.
	await expect
		.poll( () => Object.values( syncMeta( ids ) ).filter( ( m ) => m._igny8_sync_state === 'synced' && m._igny8_sync_pending === '' ).length, {
			timeout: 10_000,
		} )
		.toBe( ids.length );
	const meta = syncMeta( ids );
	CHANGES.forEach( ( [ wpStatus ], index ) => {
		expect( meta[ ids[ index ] as number ]?._igny8_wordpress_status ).toBe( wpStatus );
		expect( meta[ ids[ index ] as number ]?._igny8_last_synced ).toMatch( /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/ );
	} );
	const state = await syncState( ids[ 0 ] as number );
	expect( state ).toMatchObject( { post_id: ids[ 0 ], state: 'synced', attempts: 0, last_error: null } );
	expect( Date.parse( state.last_synced_at ?? '' ) ).toBeGreaterThan( Date.now() - 120_000 );
} );

test( 'back to draft, untrash and a permanent delete are reported too; the latest state wins', async () => {
	const tasks = taskIds( 3 );
	const ids = createManagedPosts( tasks, { status: 'publish' } ) as [ number, number, number ];
	setStatus( [ ids[ 0 ] ], 'draft' );
	setStatus( [ ids[ 1 ] ], 'trash' );
	setStatus( [ ids[ 1 ] ], 'untrash' );
	setStatus( [ ids[ 2 ] ], 'trash' );
	await expectTasks( { [ tasks[ 2 ] as number ]: { wordpress_status: 'trash' } } );
	setStatus( [ ids[ 2 ] ], 'delete' );

	await expectTasks( {
		[ tasks[ 0 ] as number ]: { status: 'draft', wordpress_status: 'draft', assigned_post_id: ids[ 0 ] },
		// wp_untrash_post() restores a post as a draft (WordPress 5.6+).
		[ tasks[ 1 ] as number ]: { status: 'draft', wordpress_status: 'draft', assigned_post_id: ids[ 1 ] },
		[ tasks[ 2 ] as number ]: { status: 'archived', wordpress_status: 'deleted', assigned_post_id: null },
	} );
	// The deleted post's outbox entry is cleared once IGNY8 has it.
	await expect.poll( () => syncMeta( [ ids[ 2 ] ] )[ ids[ 2 ] ]?.outbox, { timeout: 10_000 } ).toBe( '' );
} );

test( 'a REST save as the editor is recorded and delivered; publishing also updates the keyword statuses', async () => {
	const [ task ] = taskIds( 1 ) as [ number ];
	const [ id ] = createManagedPosts( [ task ], { keywordIds: [ 11, 12 ] } ) as [ number ];
	const save = await asAdmin( `/wp-json/wp/v2/posts/${ id }`, { method: 'POST', body: JSON.stringify( { status: 'publish' } ) } );
	expect( save.status ).toBe( 200 );
	await expectTasks( { [ task ]: { status: 'completed', wordpress_status: 'publish', assigned_post_id: id } } );
	await expect
		.poll( async () => ( await simReceived( '/api/v1/planner/keywords/bulk-update/' ) ).map( ( r ) => r.body ), { timeout: 10_000 } )
		.toContainEqual( { keyword_ids: [ 11, 12 ], status: 'published' } );

	// The block editor's double save (same status, permalink and title) is one change, not two deliveries.
	const before = ( await taskUpdates( task ) ).length;
	for ( let i = 0; i < 2; i++ ) {
		expect( ( await asAdmin( `/wp-json/wp/v2/posts/${ id }`, { method: 'POST', body: JSON.stringify( { content: `Edited ${ i }` } ) } ) ).status ).toBe( 200 );
	}
	await new Promise( ( resolve ) => setTimeout( resolve, 1500 ) );
	expect( ( await taskUpdates( task ) ).length ).toBe( before );
} );

test( 'IGNY8’s own publish does not echo back', async () => {
	const [ task ] = taskIds( 1 ) as [ number ];
	const [ id ] = createManagedPosts( [ task ] ) as [ number ];
	// Operations run by the executor are suppressed: simulate one with the guard, as the executor does.
	const { wpEval } = await import( '../support/stack' );
	wpEval( `Igny8\\Bridge\\Sync\\Sync_Guard::suppress( function () { wp_update_post( array( 'ID' => ${ id }, 'post_status' => 'publish' ) ); } );` );
	await new Promise( ( resolve ) => setTimeout( resolve, 1500 ) );
	expect( await simReceived( `/api/v1/writer/tasks/${ task }/` ), 'nothing at all is sent' ).toEqual( [] );
	expect( syncMeta( [ id ] )[ id ]?._igny8_sync_pending ).toBe( '' );
} );

test( 'a scheduled post published by cron (DISABLE_WP_CRON: /wp-cron.php is requested) is reported as publish', async () => {
	const [ task ] = taskIds( 1 ) as [ number ];
	const [ id ] = createManagedPosts( [ task ] ) as [ number ];
	const { wpEval, stack } = await import( '../support/stack' );
	setStatus( [ id ], 'future' ); // a week ahead (WordPress makes anything under a minute ahead `publish` at once)
	await expectTasks( { [ task ]: { wordpress_status: 'future', status: 'completed' } } );
	// Time passes: move the date into the past and the cron event to now, without saving the post.
	wpEval( `
		global $wpdb;
		$past = time() - 60;
		$wpdb->update( $wpdb->posts, array( 'post_date_gmt' => gmdate( 'Y-m-d H:i:s', $past ), 'post_date' => get_date_from_gmt( gmdate( 'Y-m-d H:i:s', $past ) ) ), array( 'ID' => ${ id } ) );
		clean_post_cache( ${ id } );
		wp_clear_scheduled_hook( 'publish_future_post', array( ${ id } ) );
		wp_schedule_single_event( time() - 1, 'publish_future_post', array( ${ id } ) );
	` );
	const cron = await fetch( `${ stack.wpUrl }/wp-cron.php` );
	expect( cron.status ).toBe( 200 );
	await expectTasks( { [ task ]: { wordpress_status: 'publish', status: 'completed', assigned_post_id: id } } );
} );

test( 'Sync now re-delivers the current state; manual sync mode holds changes until "Sync all pending"', async () => {
	const tasks = taskIds( 3 );
	const ids = createManagedPosts( tasks ) as [ number, number, number ];
	setStatus( [ ids[ 0 ] ], 'publish' );
	await expectTasks( { [ tasks[ 0 ] as number ]: { wordpress_status: 'publish' } } );
	const before = ( await taskUpdates( tasks[ 0 ] as number ) ).length;
	const now = await asAdmin< { data: { post_id: number; state: string } } >( `/wp-json/igny8/v1/editor/posts/${ ids[ 0 ] }/sync`, { method: 'POST' } );
	expect( now.status ).toBe( 200 );
	expect( now.body.data.post_id ).toBe( ids[ 0 ] );
	await expect.poll( async () => ( await taskUpdates( tasks[ 0 ] as number ) ).length, { timeout: 10_000 } ).toBe( before + 1 );

	const { saveSettings } = await import( '../support/sync' );
	expect( ( await saveSettings( { sync_mode: 'manual' } ) ).status ).toBe( 200 );
	try {
		// Five status changes over two posts: nothing goes out, both show "pending (manual)" (queue and mirrored meta).
		setStatus( [ ids[ 1 ] ], 'publish' );
		setStatus( [ ids[ 2 ] ], 'pending' );
		setStatus( [ ids[ 1 ] ], 'pending' );
		setStatus( [ ids[ 2 ] ], 'publish' );
		setStatus( [ ids[ 1 ] ], 'private' );
		for ( const id of [ ids[ 1 ], ids[ 2 ] ] ) {
			await expect.poll( async () => ( await syncState( id ) ).state, { timeout: 10_000 } ).toBe( 'pending_manual' );
		}
		expect( Object.values( syncMeta( [ ids[ 1 ], ids[ 2 ] ] ) ).map( ( m ) => m._igny8_sync_state ) ).toEqual( [ 'pending_manual', 'pending_manual' ] );
		await new Promise( ( resolve ) => setTimeout( resolve, 1_000 ) );
		expect( await taskUpdates( tasks[ 1 ] as number ) ).toEqual( [] );
		expect( await taskUpdates( tasks[ 2 ] as number ) ).toEqual( [] );
		const all = await asAdmin< { data: { released: number } } >( '/wp-json/igny8/v1/settings/sync-all-pending', { method: 'POST' } );
		expect( all.status ).toBe( 200 );
		expect( all.body.data.released ).toBeGreaterThanOrEqual( 2 );
		// The latest state of each post, exactly once.
		await expectTasks( {
			[ tasks[ 1 ] as number ]: { wordpress_status: 'private', status: 'completed' },
			[ tasks[ 2 ] as number ]: { wordpress_status: 'publish', status: 'completed' },
		} );
		await new Promise( ( resolve ) => setTimeout( resolve, 1_000 ) );
		for ( const task of [ tasks[ 1 ], tasks[ 2 ] ] ) {
			expect( await taskUpdates( task as number ), `task ${ task } delivered once` ).toHaveLength( 1 );
		}
	} finally {
		expect( ( await saveSettings( { sync_mode: 'auto' } ) ).status ).toBe( 200 );
	}
} );
