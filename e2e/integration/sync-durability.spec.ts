/**
 * SPEC §3 rule 5: a change that must reach IGNY8 is durable before the sidecar hears of it, and the sidecar's
 * queue survives a crash. `kill -9` with 100 queued changes, and a sidecar that is down while posts are saved:
 * afterwards every post reaches IGNY8 in its latest state.
 */
import { expect, test } from '@playwright/test';

import { stack } from '../support/stack';
import { createManagedPosts, expectTasks, setStatus, simFault, simReceived, simReset, syncMeta, taskIds } from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

test.afterEach( async () => {
	// Whatever happened, leave a running sidecar for the next test.
	await stack.sidecar( 'start' ).catch( () => undefined );
} );

test( 'kill -9 with 100 queued changes: after the restart all 100 posts reach IGNY8 in their latest state', async () => {
	test.setTimeout( 90_000 );
	const tasks = taskIds( 100 );
	const ids = createManagedPosts( tasks );
	// IGNY8 is slow and failing, so the changes pile up in the queue (some in flight when the process dies). A
	// failing fault, not a pure delay: a delayed request would still be applied by the simulator after the kill.
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 503, delayMs: 1_500, durationMs: 60_000 } );
	setStatus( ids, 'publish' );
	setStatus( ids.slice( 0, 50 ), 'pending' );
	await expect.poll( async () => ( await simReceived( '/api/v1/writer/tasks/' ) ).length, { timeout: 10_000 } ).toBeGreaterThan( 0 );

	await stack.sidecar( 'kill' );
	// While it is dead, a few posts change again (the notify fails; the marker is what counts).
	setStatus( ids.slice( 90 ), 'draft' );
	const meta = syncMeta( ids );
	expect( Object.values( meta ).filter( ( m ) => m._igny8_sync_pending !== '' ) ).toHaveLength( 100 );

	await simReset();
	const restarted = Date.now();
	await stack.sidecar( 'start' );
	const latest = ( index: number ) => ( index < 50 ? 'pending' : index >= 90 ? 'draft' : 'publish' );
	await expectTasks(
		Object.fromEntries( tasks.map( ( task, index ) => [ task, { wordpress_status: latest( index ), assigned_post_id: ids[ index ] } ] ) ),
		{ timeout: 30_000 }
	);
	test.info().annotations.push( { type: 'drain-100-after-restart-ms', description: String( Date.now() - restarted ) } );
	await expect
		.poll( () => Object.values( syncMeta( ids ) ).filter( ( m ) => m._igny8_sync_pending === '' && m._igny8_sync_state === 'synced' ).length, { timeout: 15_000 } )
		.toBe( 100 );
} );

test( 'the sidecar is down while 20 posts are saved: after it starts, the reconciler delivers all 20', async () => {
	const tasks = taskIds( 20 );
	const ids = createManagedPosts( tasks );
	await stack.sidecar( 'stop' );
	for ( const [ index, id ] of ids.entries() ) {
		if ( index % 5 === 0 ) {
			setStatus( ids.slice( index, index + 5 ), index % 10 === 0 ? 'publish' : 'private' );
		}
		expect( id ).toBeGreaterThan( 0 );
	}
	expect( Object.values( syncMeta( ids ) ).every( ( m ) => m._igny8_sync_state === 'pending' && m._igny8_sync_pending !== '' ) ).toBe( true );
	expect( await simReceived( '/api/v1/writer/tasks/' ) ).toEqual( [] );

	const started = Date.now();
	await stack.sidecar( 'start' );
	await expectTasks(
		Object.fromEntries(
			tasks.map( ( task, index ) => [ task, { status: 'completed', wordpress_status: Math.floor( index / 5 ) % 2 === 0 ? 'publish' : 'private', assigned_post_id: ids[ index ] } ] )
		),
		{ timeout: 20_000 }
	);
	test.info().annotations.push( { type: 'reconcile-20-after-start-ms', description: String( Date.now() - started ) } );
} );
