/**
 * Issue #13 §4/§5 with IGNY8 down: what the sidecar owes IGNY8 after IGNY8's own publish (the task update
 * `PUT /writer/tasks/{id}/`, the keyword bulk update, with the keyword ids read from `GET /writer/tasks/{id}/` when the
 * payload had none, and the task brief) is retried while the simulator answers 503 and all of it arrives once it is
 * back. And a WordPress edit still queued when IGNY8 republishes the post is never sent after the republish.
 */
import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { sim, simFault, simReceived, simReset, simTasks, syncState, taskUpdates } from '../support/sync';
import { stack, wpEval } from '../support/stack';

type Published = { success: boolean; data: { post_id: number } };

let next = 800_000 + Math.floor( Math.random() * 100_000 );

const postMeta = ( postId: number, key: string ): string =>
	wpEval( `echo get_post_meta( ${ postId }, ${ JSON.stringify( key ) }, true );` ).trim();

test.beforeEach( async () => {
	await simReset();
} );

test( 'IGNY8 down during publish: task update, keyword bulk update (ids from the task) and brief are retried, nothing lost', async () => {
	test.setTimeout( 90_000 );
	const withIds = next++;
	const withoutIds = next++;
	const task = ( id: number ) => 10_000 + id;
	await sim( `/tasks/${ task( withoutIds ) }`, { keyword_ids: [ 9101, 9102 ], title: 'Seeded task' } );
	for ( const id of [ withIds, withoutIds ] ) {
		await sim( `/briefs/${ task( id ) }`, { outline: [ `Outline ${ id }` ], notes: `Brief of ${ id }` } );
	}
	const outageMs = 15_000;
	const outageEnds = Date.now() + outageMs;
	for ( const pathPrefix of [ '/api/v1/writer/', '/api/v1/planner/' ] ) {
		await simFault( { pathPrefix, status: 503, durationMs: outageMs } );
	}

	const posts: Record< number, number > = {};
	for ( const [ id, keywordIds ] of [ [ withIds, [ 9001, 9002 ] ], [ withoutIds, [] ] ] as const ) {
		const res = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { status: 'completed', keywordIds: [ ...keywordIds ] } ) ) );
		expect( res.status, JSON.stringify( res.body ) ).toBe( 201 );
		posts[ id ] = ( res.body as Published ).data.post_id;
	}

	// During the outage: the calls are tried again and again, and IGNY8 holds nothing yet.
	await expect.poll( async () => ( await taskUpdates( task( withIds ) ) ).length, { timeout: 10_000 } ).toBeGreaterThan( 1 );
	await expect.poll( async () => ( await simReceived( `/api/v1/writer/tasks/${ task( withoutIds ) }/brief/` ) ).length, { timeout: 10_000 } ).toBeGreaterThan( 1 );
	expect( Date.now(), 'the retries above happened during the outage' ).toBeLessThan( outageEnds );
	expect( ( await simTasks() )[ task( withIds ) ]?.assigned_post_id ).toBeUndefined();
	expect( postMeta( posts[ withIds ] as number, '_igny8_brief_cached_at' ) ).toBe( '' );

	// Back up: everything arrives.
	const settled = { timeout: outageEnds - Date.now() + 20_000 };
	for ( const id of [ withIds, withoutIds ] ) {
		await expect
			.poll( async () => ( await simTasks() )[ task( id ) ], settled )
			.toMatchObject( { assigned_post_id: posts[ id ], wordpress_status: 'publish', status: 'completed', content_id: id } );
		await expect.poll( () => postMeta( posts[ id ] as number, '_igny8_brief_cached_at' ), settled ).toMatch( /^\d{4}-\d{2}-\d{2}T/ );
		expect( JSON.parse( postMeta( posts[ id ] as number, '_igny8_task_brief' ) ) ).toMatchObject( { notes: `Brief of ${ id }` } );
	}
	const bulkAfter = async () =>
		( await simReceived( '/api/v1/planner/keywords/bulk-update/' ) ).filter( ( r ) => r.at >= outageEnds ).map( ( r ) => r.body );
	await expect.poll( bulkAfter, settled ).toContainEqual( { keyword_ids: [ 9001, 9002 ], status: 'published' } );
	await expect.poll( bulkAfter, settled ).toContainEqual( { keyword_ids: [ 9101, 9102 ], status: 'published' } );
	const bulkDuring = ( await simReceived( '/api/v1/planner/keywords/bulk-update/' ) ).filter( ( r ) => r.at < outageEnds );
	const readDuring = ( await simReceived( `/api/v1/writer/tasks/${ task( withoutIds ) }/` ) ).filter( ( r ) => r.method === 'GET' && r.at < outageEnds );
	test.info().annotations.push( { type: 'calls-during-outage', description: `keyword bulk ${ bulkDuring.length }, task read ${ readDuring.length }` } );
	expect( readDuring.length, 'the keyword-id read of the task was retried too' ).toBeGreaterThan( 0 );

	// Nothing loops back into a publish: after the write-backs, no further task PUTs.
	const puts = ( await taskUpdates( task( withIds ) ) ).length;
	await new Promise( ( resolve ) => setTimeout( resolve, 2_000 ) );
	expect( ( await taskUpdates( task( withIds ) ) ).length ).toBe( puts );
} );

test( 'a WordPress edit still queued when IGNY8 republishes is never sent afterwards', async () => {
	test.setTimeout( 60_000 );
	const id = next++;
	// No task: IGNY8 knows the post by its content only (a task publish also re-records the post's job for its update).
	const c = sampleContent( id, { status: 'completed', taskId: undefined } );
	const first = await publish( stack.wpUrl, stack.apiKey, payloadA( c ) );
	expect( first.status, JSON.stringify( first.body ) ).toBe( 201 );
	const postId = ( first.body as Published ).data.post_id;

	const outageMs = 8_000;
	const outageEnds = Date.now() + outageMs;
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/content/', status: 503, durationMs: outageMs } );
	// The editor's change (php-cli as the admin: the save hook records it, shutdown tells the sidecar).
	wpEval( `wp_set_current_user( 1 ); wp_update_post( array( 'ID' => ${ postId }, 'post_title' => 'Editor title ${ id }', 'post_content' => '<p>Editor body ${ id }</p>' ) );` );
	const contentPath = `/api/v1/writer/content/${ id }/`;
	await expect.poll( async () => ( await simReceived( contentPath ) ).length, { timeout: 10_000 } ).toBeGreaterThan( 0 );

	// IGNY8 republishes while the edit waits for it.
	const republished = await publish( stack.wpUrl, stack.apiKey, payloadA( { ...c, title: `IGNY8 title ${ id }`, html: `<p>IGNY8 body ${ id }</p>` } ) );
	expect( republished.status, JSON.stringify( republished.body ) ).toBe( 200 );
	const republishedAt = Date.now();

	await new Promise( ( resolve ) => setTimeout( resolve, Math.max( 0, outageEnds - Date.now() ) + 4_000 ) );
	const sent = await simReceived( contentPath );
	expect( sent.filter( ( r ) => r.at > republishedAt + 500 ), 'no content update after the republish' ).toEqual( [] );
	const contents = await sim< Record< string, { title?: string } > >( '/contents' );
	expect( contents[ String( id ) ], 'IGNY8 never stored the editor’s older version' ).toBeUndefined();
	expect( wpEval( `echo get_post( ${ postId } )->post_title;` ).trim() ).toBe( `IGNY8 title ${ id }` );
	const state = await syncState( postId );
	expect( state.state, JSON.stringify( state ) ).toBe( 'synced' );
} );
