/**
 * SPEC §3 rule 5 / §10: IGNY8 answers 500 for 30 s. Nothing is lost: the sidecar retries with backoff, coalesces
 * the changes of each post, and once IGNY8 is back every post arrives in its latest state.
 */
import { expect, test } from '@playwright/test';

import { createManagedPosts, expectTasks, setStatus, simFault, simReset, simTasks, syncState, taskIds, taskUpdates } from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

test( 'IGNY8 down (500) for 30 s: every change arrives afterwards, latest state per post', async () => {
	test.setTimeout( 60_000 );
	const tasks = taskIds( 12 );
	const ids = createManagedPosts( tasks );
	const outageMs = 30_000;
	const outageEnds = Date.now() + outageMs;
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 500, durationMs: outageMs } );

	// Changes spread over the outage; several posts change more than once.
	setStatus( ids, 'publish' );
	await new Promise( ( resolve ) => setTimeout( resolve, 4_000 ) );
	setStatus( ids.slice( 0, 6 ), 'draft' );
	await new Promise( ( resolve ) => setTimeout( resolve, 4_000 ) );
	setStatus( ids.slice( 0, 3 ), 'pending' );
	setStatus( ids.slice( 9 ), 'trash' );

	// During the outage: IGNY8 has nothing, the queue retries and says why.
	await expect.poll( async () => ( await taskUpdates() ).length, { timeout: 10_000 } ).toBeGreaterThan( 12 );
	expect( Object.keys( await simTasks() ) ).toEqual( [] );
	const waiting = await syncState( ids[ 0 ] as number );
	expect( [ 'pending', 'in_flight' ] ).toContain( waiting.state );
	expect( waiting.last_error ?? '' ).toMatch( /HTTP 500/ );
	expect( waiting.attempts ).toBeGreaterThan( 0 );

	const latest = ( index: number ) => ( index < 3 ? 'pending' : index < 6 ? 'draft' : index >= 9 ? 'trash' : 'publish' );
	const igny8 = { pending: 'pending', draft: 'draft', publish: 'completed', trash: 'archived' } as const;
	const expected = Object.fromEntries(
		tasks.map( ( task, index ) => [ task, { wordpress_status: latest( index ), status: igny8[ latest( index ) ], assigned_post_id: ids[ index ] } ] )
	);
	await expectTasks( expected, { timeout: outageEnds - Date.now() + 10_000 } );
	const recovered = Date.now() - outageEnds;
	test.info().annotations.push( { type: 'recovered-after-outage-ms', description: String( recovered ) } );

	// Coalesced: after the outage each post was delivered in its latest state, not replayed change by change.
	const after = ( await taskUpdates() ).filter( ( r ) => r.at >= outageEnds );
	for ( const [ index, task ] of tasks.entries() ) {
		const puts = after.filter( ( r ) => r.path === `/api/v1/writer/tasks/${ task }/` );
		expect( puts.length, `task ${ task }` ).toBeGreaterThanOrEqual( 1 );
		expect( puts.at( -1 )?.body.wordpress_status ).toBe( latest( index ) );
	}
	expect( ( await syncState( ids[ 0 ] as number ) ).state ).toBe( 'synced' );
} );
