/**
 * Isolation between sites on one hosted deployment (issue #16 §1, Tests): site A (6.1 SQLite) and site B (6.5 SQLite)
 * of the hosted instance (e2e/hosted.config.ts), enrolled on the same two replicas, each with its own IGNY8 (its own
 * simulator: base URL and credentials).
 *
 * - A's token cannot read or write B: a shim request signed with A's keys that names B's site id is refused before
 *   any handler runs, the same request signed with B's keys is served (so the refusal is about the key), and A's own
 *   valid notify only ever reaches A's IGNY8.
 * - A's IGNY8 outage, and a flood of A's changes, do not delay B's sync beyond its latency target (1 s, the quiet-site
 *   target of the hosted benchmark): B's changes are delivered, each within 1 s of the WordPress change, while A's
 *   deliveries are still failing or still queued; afterwards A's changes all arrive.
 */
import { createHash } from 'node:crypto';

import { expect, test } from '@playwright/test';

import { rawRequest } from '../support/raw-http';
import { newJti, now, onSite, shimRequestClaims, signTransportJwt, stack, wpEval } from '../support/stack';
import { createManagedPosts, expectTasks, sim, simFault, simReceived, simReset, taskUpdates, taskIds } from '../support/sync';

const A = 'hosted-6.1-sqlite';
const B = 'hosted-6.5-sqlite';
/** The quiet site's delivery latency target (issue #16 Benchmark, docs/hosted-sidecar.md). */
const TARGET_MS = 1_000;

test.describe.configure( { mode: 'serial' } );

const hostedUrl = () => process.env.IGNY8_HOSTED_URL as string;
const lastLine = ( out: string ) => out.trim().split( '\n' ).pop() as string;

interface SiteKeys {
	sid: string;
	secret: Buffer;
	wpUrl: string;
}

/** The site's id and the secret it registered at enrolment (the option the shim keeps it in). */
const keysOf = ( project: string ) =>
	onSite( project, (): SiteKeys => ( {
		sid: stack.siteId(),
		secret: Buffer.from( lastLine( wpEval( `echo "\\n" . get_option( 'igny8_sidecar_secret' );` ) ), 'base64url' ),
		wpUrl: stack.wpUrl,
	} ) );

/**
 * The context a site's shim sends with every request (Sidecar\Context::build: its site facts and all its settings).
 * The sidecar takes a verified request's settings as the site's current ones, so a hand-made request must carry the
 * real ones: with an empty `settings` the site's IGNY8 base URL becomes the sidecar's default, its credentials (bound
 * to its own IGNY8's URL) no longer apply, and its deliveries park until the site's next real request.
 */
const shimContextOf = ( project: string ) =>
	onSite( project, () => JSON.parse( lastLine( wpEval( `echo "\\n" . wp_json_encode( \\Igny8\\Bridge\\Sidecar\\Context::build( new WP_REST_Request( 'GET', '/igny8/v1/status' ), 'status', 'e2e' ) );` ) ) ) as Record< string, unknown > );

/**
 * A shim → sidecar request straight to the hosted front, as the PHP proxy of site `as` sends it (its context), signed
 * with `secret` for `sid`.
 */
async function shimCall(
	request: { method: string; route: string; routeId: string; body?: string; params?: Record< string, string > },
	sign: { as: string; secret: Buffer; sid: string; wpUrl: string; kid?: string }
) {
	const base = await onSite( sign.as, () => shimRequestClaims( request, { sid: sign.sid, jti: newJti(), iat: now(), exp: now() + 30 } ) );
	const context = await shimContextOf( sign.as );
	const claims = {
		...base,
		ctx: { ...context, request_id: base.ctx.request_id, route_id: request.routeId, params: request.params ?? {}, site: { ...( context.site as object ), home_url: sign.wpUrl } },
	};
	const token = signTransportJwt( 'shim->sidecar', claims, { secret: sign.secret, ...( sign.kid === undefined ? {} : { kid: sign.kid } ) } );
	return rawRequest( hostedUrl() + request.route, { method: request.method, headers: { Authorization: `Bearer ${ token }` }, ...( request.body === undefined ? {} : { body: request.body } ) } );
}

/** The shim's shutdown notify for one post (`POST /_shim/events`). */
function notifyBody( post: { id: number; task: number; wpUrl: string } ): string {
	return JSON.stringify( {
		events: [
			{
				post_id: post.id,
				seq: String( BigInt( Date.now() ) * 1_000_000n + BigInt( Math.floor( Math.random() * 1_000_000 ) ) ),
				wordpress_status: 'publish',
				post_url: `${ post.wpUrl }/?p=${ post.id }`,
				post_type: 'post',
				title: `Isolation ${ post.task }`,
				content_id: post.task + 500000000,
				task_id: post.task,
				keyword_ids: [],
			},
		],
	} );
}

/**
 * Publishes each post of the current site in its own php-cli run and returns, per post, the ms from the WordPress
 * change (microtime just before wp_update_post; the shim notifies at the end of that request) to the PUT arriving at
 * the site's IGNY8.
 */
async function timedChanges( ids: number[], tasks: number[] ): Promise< number[] > {
	const changedAt: number[] = [];
	for ( const id of ids ) {
		changedAt.push( Number( lastLine( wpEval( `$t = microtime( true ); wp_update_post( array( 'ID' => ${ id }, 'post_status' => 'publish' ) ); echo "\\n" . (int) round( $t * 1000 );` ) ) ) );
	}
	await expectTasks( Object.fromEntries( tasks.map( ( task ) => [ task, { wordpress_status: 'publish' } ] ) ), { timeout: 20_000 } );
	return Promise.all(
		tasks.map( async ( task, i ) => {
			const [ first ] = await taskUpdates( task );
			return ( first?.at ?? Infinity ) - ( changedAt[ i ] as number );
		} )
	);
}

test( "site A's token cannot read or write site B: refused before any handler; B's own keys are served", async () => {
	const a = await keysOf( A );
	const b = await keysOf( B );
	expect( a.sid ).not.toBe( b.sid );
	const [ tasksB, idsB ] = await onSite( B, async () => {
		await simReset();
		const tasks = taskIds( 2 );
		return [ tasks, createManagedPosts( tasks ) ] as const;
	} );
	const [ forged, control ] = [ { id: idsB[ 0 ] as number, task: tasksB[ 0 ] as number }, { id: idsB[ 1 ] as number, task: tasksB[ 1 ] as number } ];
	const read = ( postId: number ) => ( { method: 'GET', route: `/igny8/v1/editor/posts/${ postId }/sync`, routeId: 'editor_sync_state', params: { post_id: String( postId ) } } );
	const write = ( post: { id: number; task: number } ) => ( { method: 'POST', route: '/_shim/events', routeId: 'sync_events', body: notifyBody( { ...post, wpUrl: b.wpUrl } ) } );

	// A's keys claiming B's site id, and B's address in the context: with A's key id in the header (B's sidecar keys
	// do not include it: 503 SIDECAR_AUTH_MISMATCH, so a shim shows "keys do not match") or with B's (the signature
	// fails: 401). Either way unsigned, before any handler, and nothing of B's in the reply (not even B's key id).
	const asB = { as: B, sid: b.sid, wpUrl: b.wpUrl };
	const bKid = createHash( 'sha256' ).update( b.secret ).digest( 'hex' ).slice( 0, 16 );
	for ( const [ what, request ] of [ [ 'read', read( forged.id ) ], [ 'write', write( forged ) ] ] as const ) {
		for ( const [ kid, status, code ] of [ [ undefined, 503, 'SIDECAR_AUTH_MISMATCH' ], [ bKid, 401, 'SIGNATURE_INVALID' ] ] as const ) {
			const refused = await shimCall( request, { ...asB, secret: a.secret, ...( kid === undefined ? {} : { kid } ) } );
			expect( refused.status, `${ what } with A's key (${ kid === undefined ? "A's" : "B's" } kid): ${ JSON.stringify( refused.body ) }` ).toBe( status );
			expect( refused.body ).toMatchObject( { success: false, code } );
			expect( refused.signed, 'a refusal before authentication is never signed' ).toBe( false );
			expect( JSON.stringify( refused.body ) ).not.toContain( 'Isolation' );
			expect( JSON.stringify( refused.body ) ).not.toContain( '"state"' );
			expect( JSON.stringify( refused.body ), "B's key id is nobody else's" ).not.toContain( bKid );
		}
	}
	// B's own keys: the same requests are served: the read gets B's pipeline's signed answer, the write queues B's
	// change and B's IGNY8 gets it.
	const served = await shimCall( read( control.id ), { ...asB, secret: b.secret } );
	expect( served.status, JSON.stringify( served.body ) ).toBe( 200 );
	expect( served.signed ).toBe( true );
	expect( served.body ).toMatchObject( { kind: 'respond' } );
	const accepted = await shimCall( write( control ), { ...asB, secret: b.secret } );
	expect( accepted.status, JSON.stringify( accepted.body ) ).toBe( 202 );
	expect( accepted.body ).toMatchObject( { success: true, data: { accepted: 1, rejected: 0 } } );
	await onSite( B, () => expectTasks( { [ control.task ]: { wordpress_status: 'publish' } } ) );

	// A's own valid notify naming B's post and task is A's change: it goes to A's IGNY8, never to B's.
	await onSite( A, () => simReset() );
	const own = await shimCall( write( forged ), { as: A, sid: a.sid, wpUrl: a.wpUrl, secret: a.secret } );
	expect( own.status, JSON.stringify( own.body ) ).toBe( 202 );
	expect( own.body ).toMatchObject( { success: true, data: { accepted: 1 } } );
	await expect.poll( () => onSite( A, async () => ( await simReceived( `/api/v1/writer/tasks/${ forged.task }/` ) ).length ), { timeout: 15_000 } ).toBeGreaterThan( 0 );
	await new Promise( ( resolve ) => setTimeout( resolve, 1_000 ) );
	expect( await onSite( B, () => taskUpdates( forged.task ) ), "nothing of A's reached B's IGNY8" ).toEqual( [] );
} );

test( "site A's IGNY8 outage does not delay site B's sync beyond its latency target", async () => {
	test.setTimeout( 120_000 );
	const tasksA = taskIds( 20 );
	await onSite( A, async () => {
		await simReset();
		// A's IGNY8 is down: every task PUT hangs 2 s, then 503 (A's delivery slots stay busy the whole time).
		await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', status: 503, delayMs: 2_000, durationMs: 120_000 } );
		const ids = createManagedPosts( tasksA );
		wpEval( `foreach ( json_decode( '${ JSON.stringify( ids ) }', true ) as $id ) { wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) ); }` );
		await expect.poll( async () => ( await taskUpdates() ).length, { timeout: 15_000, message: "A's deliveries meet the outage" } ).toBeGreaterThanOrEqual( 4 );
	} );

	const latencies = await onSite( B, async () => {
		await simReset();
		const tasks = taskIds( 3 );
		return timedChanges( createManagedPosts( tasks ), tasks );
	} );
	test.info().annotations.push( { type: 'b-latency-ms-during-a-outage', description: latencies.map( Math.round ).join( ',' ) } );
	expect( await onSite( A, async () => Object.keys( await sim< Record< string, unknown > >( '/tasks' ) ).length ), "A's IGNY8 was still down (nothing of A's got through)" ).toBe( 0 );
	for ( const ms of latencies ) {
		expect( ms, `B's change reached B's IGNY8 ${ Math.round( ms ) } ms after it was made` ).toBeLessThanOrEqual( TARGET_MS );
	}

	// A's IGNY8 comes back: every change of A's arrives (retries, nothing lost).
	await onSite( A, async () => {
		await fetch( `${ stack.simulatorUrl }/__sim/faults`, { method: 'DELETE' } );
		await expectTasks( Object.fromEntries( tasksA.map( ( task ) => [ task, { wordpress_status: 'publish' } ] ) ), { timeout: 60_000 } );
	} );
} );

test( "a flood of site A's changes does not delay site B's sync beyond its latency target", async () => {
	test.setTimeout( 180_000 );
	const FLOOD = 300;
	const tasksA = taskIds( FLOOD );
	await onSite( A, async () => {
		await simReset();
		// A's IGNY8 answers each PUT after 200 ms: A's backlog lasts (300 jobs / 4 slots × 200 ms ≥ 15 s).
		await simFault( { method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', delayMs: 200, durationMs: 180_000 } );
		const ids = createManagedPosts( tasksA );
		wpEval( `foreach ( json_decode( '${ JSON.stringify( ids ) }', true ) as $id ) { wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) ); }` );
		await expect.poll( async () => ( await taskUpdates() ).length, { timeout: 15_000, message: "A's flood is being delivered" } ).toBeGreaterThanOrEqual( 8 );
	} );

	const latencies = await onSite( B, async () => {
		await simReset();
		const tasks = taskIds( 3 );
		return timedChanges( createManagedPosts( tasks ), tasks );
	} );
	const lastB = Math.max( ...( await onSite( B, () => taskUpdates() ) ).map( ( r ) => r.at ) );
	for ( const ms of latencies ) {
		expect( ms, `B's change reached B's IGNY8 ${ Math.round( ms ) } ms after it was made` ).toBeLessThanOrEqual( TARGET_MS );
	}

	// The whole flood arrives, each change once at least (0 lost), and it was still arriving after B's last change.
	await onSite( A, () => expectTasks( Object.fromEntries( tasksA.map( ( task ) => [ task, { wordpress_status: 'publish' } ] ) ), { timeout: 120_000 } ) );
	const putsA = ( await onSite( A, () => taskUpdates() ) ).map( ( r ) => r.at );
	const beforeB = putsA.filter( ( at ) => at <= lastB ).length;
	test.info().annotations.push( { type: 'b-latency-ms-during-a-flood', description: `${ latencies.map( Math.round ).join( ',' ) } (A delivered ${ beforeB }/${ FLOOD } by B's last)` } );
	expect( beforeB, "A's backlog was still draining when B's changes were delivered" ).toBeLessThan( FLOOD );
} );
