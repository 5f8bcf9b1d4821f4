/**
 * Issue #14 §3: `wp igny8` with the real WP-CLI 2.10.0 (vendor/wp-cli, checksum-verified, unpacked into .igny8)
 * against the stack's WordPress, real sidecar and the IGNY8 simulator. Every command goes through the plugin's REST
 * routes in the wp process (shim → sidecar proxy), so what it reports is what the sidecar knows.
 */
import { expect, test } from '@playwright/test';

import { stack, wpCli } from '../support/stack';
import { createManagedPosts, expectTasks, setStatus, simFault, simReset, syncMeta, taskIds } from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

test( 'help comes from the docblocks: every subcommand and the sync options', async () => {
	const top = await wpCli( 'help', 'igny8' );
	expect( top.status, top.stderr ).toBe( 0 );
	for ( const sub of [ 'status', 'sync', 'doctor', 'reconcile', 'secret' ] ) {
		expect( top.stdout ).toContain( sub );
	}
	const sync = await wpCli( 'help', 'igny8', 'sync' );
	expect( sync.stdout ).toContain( '--failed' );
	expect( sync.stdout ).toContain( '--all-pending' );
	expect( sync.stdout ).toContain( 'Deliver every failed or dead post again' );
} );

test( 'status --format=json is the status route as the sidecar answers it', async () => {
	// /status is served stale-while-refreshing: a spec that stopped the sidecar earlier on this instance may have left
	// a degraded copy that the next refresh replaces.
	await expect
		.poll( async () => {
			const status = await wpCli( 'igny8', 'status', '--format=json' );
			expect( status.status, status.stderr ).toBe( 0 );
			return ( JSON.parse( status.stdout ) as Array< { sidecar?: { reachable?: boolean } } > )[ 0 ]?.sidecar?.reachable;
		}, { timeout: 20_000 } )
		.toBe( true );
	const table = await wpCli( 'igny8', 'status' );
	expect( table.stdout ).toMatch( /sidecar\.reachable\s+true/ );
} );

test( 'sync --failed clears the failed posts: delivered again, marked synced in WordPress', async () => {
	const tasks = taskIds( 3 );
	const ids = createManagedPosts( tasks );
	// IGNY8 refuses the first three deliveries (a 4xx other than 401/429 parks the job as failed).
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 422, count: 3 } );
	setStatus( ids, 'publish' );
	await expect
		.poll( () => Object.values( syncMeta( ids ) ).map( ( m ) => m._igny8_sync_state ), { timeout: 15_000 } )
		.toEqual( [ 'failed', 'failed', 'failed' ] );

	const retry = await wpCli( 'igny8', 'sync', '--failed' );
	expect( retry.status, retry.stderr ).toBe( 0 );
	expect( retry.stdout ).toMatch( /Success: \d+ failed posts? queued again\./ );
	expect( Number( /(\d+) failed/.exec( retry.stdout )?.[ 1 ] ) ).toBeGreaterThanOrEqual( 3 );

	await expectTasks( Object.fromEntries( tasks.map( ( task, i ) => [ task, { wordpress_status: 'publish', assigned_post_id: ids[ i ] } ] ) ) );
	await expect
		.poll( () => Object.values( syncMeta( ids ) ).map( ( m ) => `${ m._igny8_sync_state }|${ m._igny8_sync_error }` ), { timeout: 15_000 } )
		.toEqual( [ 'synced|', 'synced|', 'synced|' ] );

	// These three are not failed any more: the next run retries at most what earlier specs left failed on this
	// shared instance (the first run's count minus these three).
	const first = Number( /(\d+) failed/.exec( retry.stdout )?.[ 1 ] );
	const again = await wpCli( 'igny8', 'sync', '--failed' );
	expect( again.stdout ).toMatch( /Success: \d+ failed posts? queued again\./ );
	expect( Number( /(\d+) failed/.exec( again.stdout )?.[ 1 ] ) ).toBeLessThanOrEqual( first - 3 );
} );

test( 'sync <post-id>… queues those posts; a bad id fails the command (exit 1) after the others', async () => {
	const tasks = taskIds( 2 );
	const ids = createManagedPosts( tasks, { status: 'publish' } );
	const ok = await wpCli( 'igny8', 'sync', ...ids.map( String ), '--format=json' );
	expect( ok.status, ok.stderr ).toBe( 0 );
	const rows = JSON.parse( /^\[.*\]/m.exec( ok.stdout )?.[ 0 ] ?? '' ) as Array< { post_id: string; state: string } >;
	expect( rows.map( ( r ) => Number( r.post_id ) ) ).toEqual( ids );
	expect( ok.stdout ).toContain( 'Success: 2 posts queued.' );
	await expectTasks( Object.fromEntries( tasks.map( ( task, i ) => [ task, { wordpress_status: 'publish', assigned_post_id: ids[ i ] } ] ) ) );

	const bad = await wpCli( 'igny8', 'sync', String( ids[ 0 ] ), 'abc', '999999' );
	expect( bad.status ).toBe( 1 );
	expect( bad.stderr ).toContain( 'abc: not a post id.' );
	expect( bad.stderr ).toMatch( /Post 999999: .*\(POST_NOT_FOUND\)/ );
	expect( bad.stderr ).toContain( 'Error: 2 of 3 posts could not be queued.' );

	const none = await wpCli( 'igny8', 'sync' );
	expect( none.status ).toBe( 1 );
	expect( none.stderr ).toContain( 'Give post ids, --all-pending or --failed' );
} );

test( 'doctor passes on a paired stack, and exits 1 naming the cause when the sidecar is stopped', async () => {
	const healthy = await wpCli( 'igny8', 'doctor' );
	expect( healthy.status, healthy.stdout + healthy.stderr ).toBe( 0 );
	expect( healthy.stdout ).toMatch( /sidecar\s+pass/ );
	expect( healthy.stdout ).toMatch( /fingerprints\s+pass/ );
	// The same nine checks as Site Health.
	for ( const check of [ 'connection', 'queue', 'failed_jobs', 'reconciler', 'cron', 'authorization', 'base_url' ] ) {
		expect( healthy.stdout ).toMatch( new RegExp( `\\b${ check }\\s+(pass|warn)` ) );
	}
	expect( healthy.stdout ).toContain( 'Success: No check failed.' );

	await stack.sidecar( 'stop' );
	try {
		const down = await wpCli( 'igny8', 'doctor', '--format=json' );
		expect( down.status ).toBe( 1 );
		const checks = JSON.parse( down.stdout ) as Array< { check: string; status: string; message: string } >;
		expect( checks[ 0 ] ).toMatchObject( { check: 'sidecar', status: 'fail', action: expect.stringContaining( 'Start the sidecar' ) } );
		expect( checks.find( ( c ) => c.check === 'queue' ) ).toMatchObject( { status: 'skip' } );
		expect( down.stderr ).toContain( `The sidecar does not answer at ${ stack.sidecarUrl }` );
		expect( down.stderr ).toContain( 'SIDECAR_UNAVAILABLE' );
	} finally {
		await stack.sidecar( 'start' );
	}
} );

test( 'reconcile runs a reconciler pass and prints its counts', async () => {
	const run = await wpCli( 'igny8', 'reconcile', '--format=json' );
	expect( run.status, run.stdout + run.stderr ).toBe( 0 );
	expect( run.stdout ).toMatch( /Success: Reconciled: \d+ listed, \d+ enqueued, \d+ write-backs owed\./ );
	expect( JSON.parse( /^\[.*\]/m.exec( run.stdout )?.[ 0 ] ?? '' )[ 0 ] ).toEqual( { listed: expect.any( Number ), enqueued: expect.any( Number ), writebacks: expect.any( Number ) } );

	await stack.sidecar( 'stop' );
	try {
		const down = await wpCli( 'igny8', 'reconcile' );
		expect( down.status ).toBe( 1 );
		expect( down.stderr ).toContain( 'SIDECAR_UNAVAILABLE' );
	} finally {
		await stack.sidecar( 'start' );
	}
} );

test( 'secret show prints the sidecar lines with the secret; rotate refuses a secret set in wp-config', async () => {
	const show = await wpCli( 'igny8', 'secret', 'show' );
	expect( show.status, show.stderr ).toBe( 0 );
	expect( show.stdout ).toContain( `IGNY8_SIDECAR_SECRET=${ stack.secret().toString( 'base64url' ) }\n` );
	const rotate = await wpCli( 'igny8', 'secret', 'rotate' );
	expect( rotate.status ).toBe( 1 );
	expect( rotate.stderr ).toContain( 'IGNY8_SIDECAR_SECRET in wp-config.php' );
	expect( rotate.stderr ).toContain( '(CONFLICT)' );
} );

test( 'log shows the activity log: --kind, --since, --outcome, --post and the three formats', async () => {
	const tasks = taskIds( 1 );
	const [ postId ] = createManagedPosts( tasks ) as [ number ];
	const before = Math.floor( Date.now() / 1000 ) - 1;
	// One refused attempt (parked), then Sync now delivers it.
	await simFault( { method: 'PUT', pathPrefix: `/api/v1/writer/tasks/${ tasks[ 0 ] }/`, status: 422, count: 1 } );
	setStatus( [ postId ], 'publish' );
	await expect.poll( () => syncMeta( [ postId ] )[ postId ]?._igny8_sync_state, { timeout: 15_000 } ).toBe( 'failed' );
	expect( ( await wpCli( 'igny8', 'sync', String( postId ) ) ).status ).toBe( 0 );
	await expectTasks( { [ tasks[ 0 ] as number ]: { wordpress_status: 'publish' } } );

	type Row = { post_id: number | null; kind: string; outcome: string; attempts: number | null; target: string | null; at: string };
	let rows: Row[] = [];
	await expect
		.poll( async () => {
			const json = await wpCli( 'igny8', 'log', `--post=${ postId }`, '--kind=status', `--since=${ before }`, '--format=json' );
			expect( json.status, json.stderr ).toBe( 0 );
			rows = JSON.parse( json.stdout ) as Row[];
			return rows.map( ( row ) => row.outcome );
		}, { timeout: 15_000 } )
		.toEqual( [ 'delivered', 'parked' ] );
	expect( rows[ 1 ] ).toMatchObject( { post_id: postId, kind: 'status', target: `tasks/${ tasks[ 0 ] }`, attempts: 1 } );

	const table = await wpCli( 'igny8', 'log', `--post=${ postId }`, '--outcome=parked' );
	expect( table.status, table.stderr ).toBe( 0 );
	expect( table.stdout ).toMatch( /outcome/ );
	expect( table.stdout ).toMatch( /parked/ );
	expect( table.stdout ).not.toMatch( /delivered/ );

	const csv = await wpCli( 'igny8', 'log', `--post=${ postId }`, '--format=csv' );
	expect( csv.stdout.split( '\n' )[ 0 ] ).toMatch( /^id,at,direction,kind,/ );

	const future = await wpCli( 'igny8', 'log', '--since=+1 day' );
	expect( future.status ).toBe( 0 );
	expect( future.stdout ).toContain( 'No activity matches.' );

	const bad = await wpCli( 'igny8', 'log', '--kind=nonsense' );
	expect( bad.status ).toBe( 1 );
	expect( bad.stderr ).toContain( 'VALIDATION_FAILED' );
	const help = await wpCli( 'help', 'igny8', 'log' );
	expect( help.stdout ).toContain( '--since=<time>' );
} );
