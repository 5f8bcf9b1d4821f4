/**
 * Issue #14 §3: `wp igny8` with the real WP-CLI 2.10.0 (vendor/wp-cli, checksum-verified, unpacked into .igny8)
 * against the stack's WordPress, real sidecar and the IGNY8 simulator. Every command goes through the plugin's REST
 * routes in the wp process (shim → sidecar proxy), so what it reports is what the sidecar knows.
 */
import { expect, test } from '@playwright/test';

import { stack, wpCli, wpCliSpawn, wpCliWith } from '../support/stack';
import { createManagedPosts, expectTasks, setStatus, simFault, simReset, syncMeta, taskIds, taskUpdates } from '../support/sync';

test.beforeEach( async () => {
	await simReset();
} );

test( 'help comes from the docblocks: every subcommand and the sync options', async () => {
	const top = await wpCli( 'help', 'igny8' );
	expect( top.status, top.stderr ).toBe( 0 );
	for ( const sub of [ 'status', 'sync', 'resync', 'doctor', 'reconcile', 'secret' ] ) {
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

type ResyncProgress = { state: string; pass: number; total: number; processed: number; enqueued: number; cursor: number };

/** The PUTs IGNY8 received per task. */
const putsPerTask = async ( tasks: number[] ) => {
	const puts = await taskUpdates();
	return tasks.map( ( task ) => puts.filter( ( r ) => r.path === `/api/v1/writer/tasks/${ task }/` ).length );
};

test( 'resync --all delivers each managed post once with a progress bar; interrupted it resumes; done stays done unless --restart', async () => {
	test.setTimeout( 240_000 );
	const help = await wpCli( 'help', 'igny8', 'resync' );
	expect( help.stdout ).toContain( '--restart' );
	expect( help.stdout ).toContain( 'Delivers every IGNY8-managed post' );
	const tasks = taskIds( 40 );
	const ids = createManagedPosts( tasks, { status: 'publish' } );
	const status = async () => {
		const got = await wpCli( 'igny8', 'resync', '--status', '--format=json' );
		expect( got.status, got.stderr ).toBe( 0 );
		return ( JSON.parse( got.stdout ) as ResyncProgress[] )[ 0 ] as ResyncProgress;
	};

	// A new pass one post per request, interrupted (SIGKILL: no chance to tidy up) once the bar shows progress.
	const child = wpCliSpawn( { SHELL_PIPE: '0' }, 'igny8', 'resync', '--all', '--restart', '--batch=1' );
	let out = '';
	child.stdout?.on( 'data', ( chunk: Buffer ) => ( out += chunk.toString() ) );
	child.stderr?.on( 'data', ( chunk: Buffer ) => ( out += chunk.toString() ) );
	const exited = new Promise< void >( ( resolve ) => child.on( 'exit', () => resolve() ) );
	await expect.poll( () => /Resyncing IGNY8-managed posts\s+([1-9]\d?)\s*%/.test( out ), { timeout: 60_000, intervals: [ 50 ] } ).toBe( true );
	process.kill( -( child.pid as number ), 'SIGKILL' );
	await exited;
	const cut = await status();
	expect( cut.state, out ).toBe( 'running' );
	expect( cut.processed ).toBeGreaterThan( 0 );
	expect( cut.processed ).toBeLessThan( cut.total );

	// Run again: it continues from the cursor, the bar reaches 100%, and the pass ends.
	const resumed = await wpCliWith( { SHELL_PIPE: '0' }, 'igny8', 'resync', '--all', '--batch=20', '--format=json' );
	expect( resumed.status, resumed.stdout + resumed.stderr ).toBe( 0 );
	// With a terminal (SHELL_PIPE=0) WP-CLI colours "Success:".
	const resumedOut = resumed.stdout.replace( /\x1b\[[0-9;]*m/g, '' );
	expect( resumedOut ).toContain( `Resuming resync pass ${ cut.pass } after post ` );
	expect( resumedOut ).toMatch( /Resyncing IGNY8-managed posts\s+100\s*%/ );
	expect( resumedOut ).toMatch( new RegExp( `Success: Resync pass ${ cut.pass } done: \\d+ managed posts` ) );
	const done = await status();
	expect( done ).toMatchObject( { state: 'done', pass: cut.pass } );
	expect( done.processed ).toBeGreaterThanOrEqual( ids.length );

	// Each of these posts reached IGNY8 exactly once in this pass, in its current state.
	await expectTasks( Object.fromEntries( tasks.map( ( task, i ) => [ task, { wordpress_status: 'publish', assigned_post_id: ids[ i ] } ] ) ), { timeout: 60_000 } );
	await expect.poll( () => putsPerTask( tasks ), { timeout: 30_000 } ).toEqual( tasks.map( () => 1 ) );

	// Run again: the pass is done; nothing is delivered.
	const again = await wpCli( 'igny8', 'resync', '--all' );
	expect( again.status, again.stderr ).toBe( 0 );
	expect( again.stdout ).toContain( `Success: Nothing to do: resync pass ${ cut.pass } finished at ` );
	expect( again.stdout ).toContain( 'Run with --restart for a new pass.' );
	await new Promise( ( resolve ) => setTimeout( resolve, 2_000 ) );
	expect( await putsPerTask( tasks ) ).toEqual( tasks.map( () => 1 ) );

	// --restart: a new pass, each post delivered once more.
	const restarted = await wpCli( 'igny8', 'resync', '--all', '--restart', '--batch=100' );
	expect( restarted.status, restarted.stderr ).toBe( 0 );
	expect( restarted.stdout ).toContain( `Success: Resync pass ${ cut.pass + 1 } done:` );
	await expect.poll( () => putsPerTask( tasks ), { timeout: 60_000 } ).toEqual( tasks.map( () => 2 ) );

	const bad = await wpCli( 'igny8', 'resync' );
	expect( bad.status ).toBe( 1 );
	expect( bad.stderr ).toContain( 'Give --all' );
} );
