/**
 * SPEC §6 / §10 auth rules against the simulator's real, short-lived JWTs:
 * - an access token that expires mid-run is refreshed (before expiry) without a failed delivery;
 * - a revoked refresh token leads to a fresh login (the password is kept);
 * - wrong credentials park the jobs as failed with a clear error, visible in the editor's sync route, and saving
 *   the right credentials resumes them.
 */
import { expect, test } from '@playwright/test';

import { stack } from '../support/stack';
import {
	asAdmin,
	createManagedPosts,
	expectTasks,
	saveSettings,
	setStatus,
	sim,
	simFault,
	simReceived,
	taskUpdates,
	simReset,
	syncMeta,
	syncState,
	taskIds,
} from '../support/sync';

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

test.beforeEach( async () => {
	await simReset();
} );

test.afterEach( async () => {
	await sim( '/config', { accessTtlSeconds: 900 } );
	// Whatever a test did to the credentials, the next tests (and spec files) need the right ones.
	await saveSettings( { email: 'dev@igny8.test', password: 'igny8-dev-password' } );
} );

test( 'an access token expiring mid-run is refreshed without a failed delivery', async () => {
	test.setTimeout( 60_000 );
	await sim( '/config', { accessTtlSeconds: 2 } );
	// One 401 makes the sidecar drop its current (long-lived) token: from then on it holds 2-second tokens.
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 401, count: 1 } );
	const rounds = 5;
	const tasks = taskIds( rounds * 2 );
	const ids = createManagedPosts( tasks );
	for ( let round = 0; round < rounds; round++ ) {
		setStatus( ids.slice( round * 2, round * 2 + 2 ), 'publish' );
		await expectTasks( { [ tasks[ round * 2 ] as number ]: { wordpress_status: 'publish' }, [ tasks[ round * 2 + 1 ] as number ]: { wordpress_status: 'publish' } } );
		await sleep( 1_500 );
	}
	const puts = await taskUpdates();
	// Exactly one PUT per change plus the one that met the injected 401: no PUT was refused for an expired token.
	expect( puts.length ).toBe( tasks.length + 1 );
	const refreshes = await simReceived( '/api/v1/auth/token/refresh/' );
	expect( refreshes.length ).toBeGreaterThanOrEqual( 3 );
	for ( const id of ids ) {
		expect( ( await syncState( id ) ).attempts ).toBe( 0 );
	}
} );

test( 'a revoked refresh token leads to a fresh login', async () => {
	await sim( '/config', { accessTtlSeconds: 2 } );
	await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 401, count: 1 } );
	const tasks = taskIds( 2 );
	const ids = createManagedPosts( tasks ) as [ number, number ];
	setStatus( [ ids[ 0 ] ], 'publish' );
	await expectTasks( { [ tasks[ 0 ] as number ]: { wordpress_status: 'publish' } } );
	const loginsBefore = ( await simReceived( '/api/v1/auth/login/' ) ).length;

	await sim( '/revoke-refresh-tokens', {} );
	await sleep( 2_500 ); // the access token expires; the refresh token is refused
	setStatus( [ ids[ 1 ] ], 'publish' );
	await expectTasks( { [ tasks[ 1 ] as number ]: { wordpress_status: 'publish', status: 'completed' } } );
	expect( ( await simReceived( '/api/v1/auth/login/' ) ).length ).toBe( loginsBefore + 1 );
	expect( ( await syncState( ids[ 1 ] ) ).attempts ).toBe( 0 );
} );

test( 'wrong credentials park the jobs as failed with a clear error; the right ones resume them', async () => {
	const tasks = taskIds( 3 );
	const ids = createManagedPosts( tasks );

	const wrong = await saveSettings( { email: 'dev@igny8.test', password: 'not-the-password' } );
	expect( wrong.status, JSON.stringify( wrong.body ) ).toBe( 200 );
	expect( wrong.body.data ).toMatchObject( { password_present: true, email: 'dev@igny8.test' } );
	expect( JSON.stringify( wrong.body ) ).not.toContain( 'not-the-password' );

	setStatus( ids, 'publish' );
	for ( const id of ids ) {
		await expect.poll( async () => ( await syncState( id ) ).state, { timeout: 10_000 } ).toBe( 'failed' );
		const state = await syncState( id );
		expect( state.last_error ).toMatch( /IGNY8 login failed \(HTTP 401.*check the email and password/ );
	}
	// Not one login per job: the target is paused after the first refusal. (A site-structure push queued by the
	// settings change may be the one extra attempt that raced the pause.)
	expect( ( await simReceived( '/api/v1/auth/login/' ) ).length ).toBeLessThanOrEqual( 2 );
	await expect.poll( () => syncMeta( ids )[ ids[ 0 ] as number ]?._igny8_sync_state, { timeout: 10_000 } ).toBe( 'failed' );
	expect( syncMeta( ids )[ ids[ 0 ] as number ]?._igny8_sync_error ).toMatch( /IGNY8 login failed/ );
	const settings = await asAdmin< { data: { connection: { state: string; last_error: string } } } >( '/wp-json/igny8/v1/settings' );
	expect( settings.body.data.connection.state ).toBe( 'error' );

	const right = await saveSettings( { email: 'dev@igny8.test', password: 'igny8-dev-password' } );
	expect( right.status ).toBe( 200 );
	await expectTasks( Object.fromEntries( tasks.map( ( task, index ) => [ task, { wordpress_status: 'publish', assigned_post_id: ids[ index ] } ] ) ) );
	for ( const id of ids ) {
		await expect.poll( async () => ( await syncState( id ) ).state, { timeout: 10_000 } ).toBe( 'synced' );
	}
	const test = await asAdmin< { data: { ok: boolean; sites: unknown[] } } >( '/wp-json/igny8/v1/settings/test-connection', { method: 'POST', body: '{}' } );
	expect( test.body.data ).toMatchObject( { ok: true } );
	expect( test.body.data.sites ).toHaveLength( 1 );
	expect( stack.readLog( 'sidecar' ) ).not.toContain( 'not-the-password' );
	expect( stack.readLog( 'sidecar' ) ).not.toContain( 'igny8-dev-password' );
} );
