/**
 * The measurements of `npm run bench` (scripts/bench.ts runs them in order on one fresh site). Every comparison is
 * measured side by side in the same run, alternating the two sides, in several rounds: the machine is shared, so
 * only ratios and medians of rounds mean something.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { payloadA, sampleContent } from '../simulator/src/publisher.js';
import type { Stack } from '../scripts/stack.js';
import {
	adminBasicAuth,
	median,
	p95,
	pool,
	postsPerContentId,
	serverTiming,
	setPluginActive,
	sidecarRss,
	sleep,
	spread,
	timed,
	wpJson,
	type Spread,
	type Timed,
} from './lib.js';

export const OURS_PATH = '/wp-json/igny8/v1/publish-content/';
export const BASELINE_PATH = '/wp-json/igny8-baseline/v1/publish-content/';

/** Content id ranges per scenario and side (both sides write _igny8_content_id: they must never collide). */
export const IDS = {
	warmup: 1_000_000,
	latencyOurs: 1_100_000,
	latencyBase: 1_200_000,
	concurrencyOurs: 1_300_000,
	concurrencyBase: 1_400_000,
	sameIdOurs: 1_500_000,
	sameIdBase: 1_500_001,
	editor: 1_600_000,
	sync: 1_700_000,
} as const;

export function publishTo( stack: Stack, route: string, contentId: number, timing = false, status = 'completed' ): Promise< Timed > {
	return timed( stack.wpUrl + route, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-IGNY8-API-KEY': stack.apiKey, ...( timing ? { 'X-IGNY8-Bench-Timing': '1' } : {} ) },
		body: JSON.stringify( payloadA( sampleContent( contentId, { status } ) ) ),
	} );
}

const ok = ( r: Timed ) => r.status >= 200 && r.status < 300;

// ------------------------------------------------------------------------------------------ 1. publish latency

export interface LatencyResult {
	perSide: number;
	rounds: number;
	ours: { p50: number; p95: number; errors: number };
	baseline: { p50: number; p95: number; errors: number };
	ratioP50: number;
	ratioP50Rounds: Spread;
	/** Median SQL queries per publish. */
	queries: { ours: number; baseline: number };
	/** Median milliseconds per phase, from the bench plugin's Server-Timing and the sidecar's own log. */
	profile: {
		/** p50 ours / baseline when publishing drafts (40 interleaved pairs). */
		draftRatioP50: number;
		bareBootstrapP50: number;
		ours: Record< string, number >;
		baseline: Record< string, number >;
		sidecarComputeP50: number;
	};
}

export async function publishLatency( stack: Stack, perSide: number, rounds: number, log: ( m: string ) => void ): Promise< LatencyResult > {
	// Warm up both paths (opcache, term creation, the sidecar's JIT) outside the measurement.
	for ( let i = 0; i < 10; i++ ) {
		await publishTo( stack, OURS_PATH, IDS.warmup + i );
		await publishTo( stack, BASELINE_PATH, IDS.warmup + 100 + i );
	}
	const timingLog = path.join( stack.stateDir, 'site/wp-content/igny8-bench-timing.log' );
	const logFrom = fs.existsSync( timingLog ) ? fs.statSync( timingLog ).size : 0;
	const ours: Timed[] = [];
	const base: Timed[] = [];
	const roundRatios: number[] = [];
	const perRound = Math.ceil( perSide / rounds );
	let n = 0;
	for ( let round = 0; round < rounds; round++ ) {
		const o: Timed[] = [];
		const b: Timed[] = [];
		for ( let i = 0; i < perRound && n < perSide; i++, n++ ) {
			// ABBA: alternate which side goes first, so drift and caching favour neither.
			if ( n % 2 === 0 ) {
				o.push( await publishTo( stack, OURS_PATH, IDS.latencyOurs + n, true ) );
				b.push( await publishTo( stack, BASELINE_PATH, IDS.latencyBase + n, true ) );
			} else {
				b.push( await publishTo( stack, BASELINE_PATH, IDS.latencyBase + n, true ) );
				o.push( await publishTo( stack, OURS_PATH, IDS.latencyOurs + n, true ) );
			}
		}
		const ratio = median( o.filter( ok ).map( ( r ) => r.ms ) ) / median( b.filter( ok ).map( ( r ) => r.ms ) );
		roundRatios.push( ratio );
		log( `  latency round ${ round + 1 }/${ rounds }: ours p50 ${ median( o.map( ( r ) => r.ms ) ).toFixed( 1 ) } ms, baseline p50 ${ median( b.map( ( r ) => r.ms ) ).toFixed( 1 ) } ms, ratio ${ ratio.toFixed( 2 ) }` );
		ours.push( ...o );
		base.push( ...b );
	}

	// Profile: publishing drafts (ours then skips its last step, moving a new post from draft to its final
	// status once everything else is written), the bare bootstrap, the phases inside PHP, the sidecar's compute.
	const draftOurs: number[] = [];
	const draftBase: number[] = [];
	for ( let i = 0; i < 40; i++ ) {
		const first = i % 2 === 0;
		if ( first ) {
			draftOurs.push( ( await publishTo( stack, OURS_PATH, IDS.latencyOurs + 50_000 + i, false, 'draft' ) ).ms );
		}
		draftBase.push( ( await publishTo( stack, BASELINE_PATH, IDS.latencyBase + 50_000 + i, false, 'draft' ) ).ms );
		if ( ! first ) {
			draftOurs.push( ( await publishTo( stack, OURS_PATH, IDS.latencyOurs + 50_000 + i, false, 'draft' ) ).ms );
		}
	}
	const noop: number[] = [];
	for ( let i = 0; i < 40; i++ ) {
		noop.push( ( await timed( `${ stack.wpUrl }/wp-json/igny8-baseline/v1/noop` ) ).ms );
	}
	const phases = ( rows: Timed[] ) => {
		const timings = rows.filter( ok ).map( ( r ) => ( { ...serverTiming( r.headers ), client: r.ms } ) );
		const out: Record< string, number > = {};
		for ( const key of [ 'client', 'php', 'boot', 'pre', 'lock', 'write', 'post' ] ) {
			const values = timings.map( ( t ) => ( t as Record< string, number > )[ key ] ).filter( ( v ): v is number => typeof v === 'number' );
			if ( values.length ) {
				out[ key ] = median( values );
			}
		}
		return out;
	};

	const lines = readTimings( timingLog, logFrom );
	const queries = ( route: string ) => median( lines.filter( ( t ) => t.method === 'POST' && t.uri === route ).map( ( t ) => t.queries ) );
	return {
		perSide,
		rounds,
		queries: { ours: queries( OURS_PATH ), baseline: queries( BASELINE_PATH ) },
		ours: { p50: median( ours.filter( ok ).map( ( r ) => r.ms ) ), p95: p95( ours.filter( ok ).map( ( r ) => r.ms ) ), errors: ours.filter( ( r ) => ! ok( r ) ).length },
		baseline: { p50: median( base.filter( ok ).map( ( r ) => r.ms ) ), p95: p95( base.filter( ok ).map( ( r ) => r.ms ) ), errors: base.filter( ( r ) => ! ok( r ) ).length },
		ratioP50: median( ours.filter( ok ).map( ( r ) => r.ms ) ) / median( base.filter( ok ).map( ( r ) => r.ms ) ),
		ratioP50Rounds: spread( roundRatios ),
		profile: {
			draftRatioP50: median( draftOurs ) / median( draftBase ),
			bareBootstrapP50: median( noop ),
			ours: phases( ours ),
			baseline: phases( base ),
			sidecarComputeP50: sidecarCompute( stack, ours ),
		},
	};
}

/** Median per publish of the sidecar's own handling time (its request log's `ms`, both rounds of one publish). */
function sidecarCompute( stack: Stack, replies: Timed[] ): number {
	const wanted = new Set( replies.map( ( r ) => String( r.body.request_id ?? '' ) ).filter( Boolean ) );
	const perRequest = new Map< string, number >();
	for ( const line of fs.readFileSync( stack.sidecarLog, 'utf8' ).split( '\n' ) ) {
		if ( ! line.includes( '"msg":"request"' ) ) {
			continue;
		}
		try {
			const entry = JSON.parse( line ) as { request_id?: string; ms?: number };
			if ( entry.request_id && wanted.has( entry.request_id ) && typeof entry.ms === 'number' ) {
				perRequest.set( entry.request_id, ( perRequest.get( entry.request_id ) ?? 0 ) + entry.ms );
			}
		} catch {
			// Not a JSON line.
		}
	}
	return median( [ ...perRequest.values() ] );
}

// ---------------------------------------------------------------------------------------------- 2. concurrency

export interface ConcurrencyRow {
	clients: number;
	side: 'ours' | 'baseline';
	publishes: number;
	postsPerSecond: Spread;
	errors: number;
	duplicates: number;
	missing: number;
}

export interface SameIdRow {
	side: 'ours' | 'baseline';
	clients: number;
	requests: number;
	statuses: Record< string, number >;
	posts: number;
}

export async function concurrency(
	stack: Stack,
	levels: number[],
	perLevel: number,
	rounds: number,
	log: ( m: string ) => void,
	onSample?: () => void
): Promise< { rows: ConcurrencyRow[]; sameId: SameIdRow[] } > {
	const rows: ConcurrencyRow[] = [];
	let offset = 0;
	for ( const clients of levels ) {
		const rates: Record< 'ours' | 'baseline', number[] > = { ours: [], baseline: [] };
		const errors = { ours: 0, baseline: 0 };
		const ranges: Record< 'ours' | 'baseline', [ number, number ] > = {
			ours: [ IDS.concurrencyOurs + offset, IDS.concurrencyOurs + offset + perLevel * rounds - 1 ],
			baseline: [ IDS.concurrencyBase + offset, IDS.concurrencyBase + offset + perLevel * rounds - 1 ],
		};
		for ( let round = 0; round < rounds; round++ ) {
			const order: Array< 'ours' | 'baseline' > = round % 2 === 0 ? [ 'ours', 'baseline' ] : [ 'baseline', 'ours' ];
			for ( const side of order ) {
				const first = ranges[ side ][ 0 ] + round * perLevel;
				const wall = await pool( perLevel, clients, async ( i ) => {
					const r = await publishTo( stack, side === 'ours' ? OURS_PATH : BASELINE_PATH, first + i );
					if ( ! ok( r ) ) {
						errors[ side ]++;
					}
					onSample?.();
				} );
				rates[ side ].push( perLevel / ( wall / 1000 ) );
			}
		}
		for ( const side of [ 'ours', 'baseline' ] as const ) {
			const counted = await postsPerContentId( stack, ...ranges[ side ] );
			rows.push( {
				clients,
				side,
				publishes: perLevel * rounds,
				postsPerSecond: spread( rates[ side ] ),
				errors: errors[ side ],
				duplicates: counted.posts - counted.ids,
				missing: perLevel * rounds - errors[ side ] - counted.ids,
			} );
			log( `  ${ clients } client(s), ${ side }: ${ median( rates[ side ] ).toFixed( 1 ) } posts/s, ${ errors[ side ] } errors, ${ counted.posts - counted.ids } duplicates` );
		}
		offset += 10_000;
	}

	// Every client on the same content id: exactly one post must exist afterwards.
	const sameId: SameIdRow[] = [];
	for ( const side of [ 'ours', 'baseline' ] as const ) {
		const id = side === 'ours' ? IDS.sameIdOurs : IDS.sameIdBase;
		const clients = 8;
		const requests = 24;
		const statuses: Record< string, number > = {};
		await pool( requests, clients, async () => {
			const r = await publishTo( stack, side === 'ours' ? OURS_PATH : BASELINE_PATH, id );
			statuses[ r.status ] = ( statuses[ r.status ] ?? 0 ) + 1;
		} );
		const counted = await postsPerContentId( stack, id, id );
		sameId.push( { side, clients, requests, statuses, posts: counted.posts } );
		log( `  same content id, ${ side }: ${ counted.posts } post(s), statuses ${ JSON.stringify( statuses ) }` );
	}
	return { rows, sameId };
}

// ------------------------------------------------------------------ 3 + 5c. editor save and front-end page view

interface ServerTiming {
	method: string;
	uri: string;
	/** Request start → reply built (REST only). */
	php: number | null;
	/** Reply built → end of the shutdown work (the sync notify runs there). */
	shutdown: number | null;
	/** Request start → end of the shutdown work. */
	total: number | null;
	queries: number;
}

/** The bench plugin's timing lines written since byte `from` of its log. */
function readTimings( file: string, from: number ): ServerTiming[] {
	if ( ! fs.existsSync( file ) ) {
		return [];
	}
	const fd = fs.openSync( file, 'r' );
	const size = fs.fstatSync( fd ).size;
	const buffer = Buffer.alloc( Math.max( 0, size - from ) );
	fs.readSync( fd, buffer, 0, buffer.length, from );
	fs.closeSync( fd );
	return buffer
		.toString( 'utf8' )
		.split( '\n' )
		.filter( Boolean )
		.map( ( line ) => JSON.parse( line ) as ServerTiming );
}

export interface ToggleResult {
	rounds: number;
	perBlock: number;
	saveGapMs: number;
	save: {
		activeP50: number;
		inactiveP50: number;
		ratio: Spread;
		errors: number;
		/** PHP time until the reply was built, the shutdown work after it (the sync notify), SQL queries: medians. */
		profile: Record< 'active' | 'inactive', { restP50: number; shutdownP50: number; queries: number } >;
	};
	/** Client time, and the PHP time measured inside WordPress (request start → end of shutdown), medians. */
	frontPage: { activeP50: number; inactiveP50: number; ratio: Spread; serverActiveP50: number; serverInactiveP50: number; queries: Record< 'active' | 'inactive', number > };
	permalink: { activeP50: number; inactiveP50: number; ratio: Spread; serverActiveP50: number; serverInactiveP50: number; queries: Record< 'active' | 'inactive', number > };
}

/**
 * Plugin active vs inactive, in blocks (deactivating is a php-cli run): ABBA over `rounds` rounds. In each block:
 * REST saves of an IGNY8-managed post (application password) and unrelated front-end views (home page, and the
 * permalink of a post that is not IGNY8's).
 */
export async function pluginToggle( stack: Stack, rounds: number, perBlock: number, saveGapMs: number, log: ( m: string ) => void ): Promise< ToggleResult > {
	const auth = await adminBasicAuth( stack );
	const published = await publishTo( stack, OURS_PATH, IDS.editor );
	const postId = Number( ( published.body.data as { post_id?: number } | undefined )?.post_id );
	if ( ! postId ) {
		throw new Error( `editor bench: could not create the managed post (${ published.status } ${ published.text.slice( 0, 200 ) })` );
	}
	const plain = await wpJson< { id: number; url: string } >(
		stack,
		`$id = wp_insert_post( array( 'post_title' => 'Unrelated page view', 'post_content' => '<p>Not IGNY8.</p>', 'post_status' => 'publish' ) ); return array( 'id' => $id, 'url' => get_permalink( $id ) );`
	);
	let n = 0;
	const save = () =>
		timed( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ postId }`, {
			method: 'POST',
			headers: { Authorization: auth, 'Content-Type': 'application/json', 'X-IGNY8-Bench-Timing': '1' },
			// A real edit each time (title and status alternate), so every save writes and fires the sync hook.
			body: JSON.stringify( { title: `Edited ${ n++ }`, status: n % 2 === 0 ? 'publish' : 'draft' } ),
		} );
	const samples = { active: { save: [] as number[], front: [] as number[], link: [] as number[] }, inactive: { save: [] as number[], front: [] as number[], link: [] as number[] } };
	const ratios = { save: [] as number[], front: [] as number[], link: [] as number[] };
	let errors = 0;

	const timingLog = path.join( stack.stateDir, 'site/wp-content/igny8-bench-timing.log' );
	const timingHeader = { 'X-IGNY8-Bench-Timing': '1' };
	const linkPath = new URL( plain.url ).pathname + new URL( plain.url ).search;
	const of = ( state: 'active' | 'inactive', kind: 'save' | 'front' | 'link' ) =>
		serverTimings[ state ].filter( ( t ) =>
			kind === 'save' ? t.method === 'POST' && t.uri.startsWith( `/wp-json/wp/v2/posts/${ postId }` ) : t.method === 'GET' && t.uri === ( kind === 'front' ? '/' : linkPath )
		);
	const medianOf = ( rows: ServerTiming[], key: 'php' | 'shutdown' | 'total' | 'queries' ) =>
		median( rows.map( ( t ) => t[ key ] ).filter( ( v ): v is number => typeof v === 'number' ) );
	const serverTimings = { active: [] as ServerTiming[], inactive: [] as ServerTiming[] };
	const block = async ( state: 'active' | 'inactive' ) => {
		const out = { save: [] as number[], front: [] as number[], link: [] as number[] };
		// One untimed request of each kind: the first after a toggle pays for rebuilt option caches.
		await save();
		await timed( `${ stack.wpUrl }/` );
		const from = fs.existsSync( timingLog ) ? fs.statSync( timingLog ).size : 0;
		// Page views first, on a quiet site: a save makes the sidecar write sync results back a moment later
		// (only while the plugin is active), and that work must not land inside a page view being timed.
		for ( let i = 0; i < perBlock; i++ ) {
			out.front.push( ( await timed( `${ stack.wpUrl }/`, { headers: timingHeader } ) ).ms );
			out.link.push( ( await timed( plain.url, { headers: timingHeader } ) ).ms );
		}
		// Saves spaced the way an editor saves (BENCH_SAVE_GAP_MS), so each one's sync settles before the next.
		for ( let i = 0; i < perBlock; i++ ) {
			const s = await save();
			if ( s.status !== 200 ) {
				errors++;
			}
			out.save.push( s.ms );
			await sleep( saveGapMs );
		}
		await sleep( 1000 );
		serverTimings[ state ].push( ...readTimings( timingLog, from ) );
		samples[ state ].save.push( ...out.save );
		samples[ state ].front.push( ...out.front );
		samples[ state ].link.push( ...out.link );
		return out;
	};

	for ( let round = 0; round < rounds; round++ ) {
		const order: Array< 'active' | 'inactive' > = round % 2 === 0 ? [ 'active', 'inactive' ] : [ 'inactive', 'active' ];
		const got: Record< string, { save: number[]; front: number[]; link: number[] } > = {};
		for ( const state of order ) {
			await setPluginActive( stack, state === 'active' );
			got[ state ] = await block( state );
		}
		ratios.save.push( median( got.active!.save ) / median( got.inactive!.save ) );
		ratios.front.push( median( got.active!.front ) / median( got.inactive!.front ) );
		ratios.link.push( median( got.active!.link ) / median( got.inactive!.link ) );
		log( `  toggle round ${ round + 1 }/${ rounds }: save ×${ ratios.save.at( -1 )!.toFixed( 2 ) }, home ×${ ratios.front.at( -1 )!.toFixed( 2 ) }, permalink ×${ ratios.link.at( -1 )!.toFixed( 2 ) }` );
	}
	await setPluginActive( stack, true );
	return {
		rounds,
		perBlock,
		saveGapMs,
		save: {
			activeP50: median( samples.active.save ),
			inactiveP50: median( samples.inactive.save ),
			ratio: spread( ratios.save ),
			errors,
			profile: {
				active: { restP50: medianOf( of( 'active', 'save' ), 'php' ), shutdownP50: medianOf( of( 'active', 'save' ), 'shutdown' ), queries: medianOf( of( 'active', 'save' ), 'queries' ) },
				inactive: { restP50: medianOf( of( 'inactive', 'save' ), 'php' ), shutdownP50: medianOf( of( 'inactive', 'save' ), 'shutdown' ), queries: medianOf( of( 'inactive', 'save' ), 'queries' ) },
			},
		},
		frontPage: {
			activeP50: median( samples.active.front ),
			inactiveP50: median( samples.inactive.front ),
			ratio: spread( ratios.front ),
			serverActiveP50: medianOf( of( 'active', 'front' ), 'total' ),
			serverInactiveP50: medianOf( of( 'inactive', 'front' ), 'total' ),
			queries: { active: medianOf( of( 'active', 'front' ), 'queries' ), inactive: medianOf( of( 'inactive', 'front' ), 'queries' ) },
		},
		permalink: {
			activeP50: median( samples.active.link ),
			inactiveP50: median( samples.inactive.link ),
			ratio: spread( ratios.link ),
			serverActiveP50: medianOf( of( 'active', 'link' ), 'total' ),
			serverInactiveP50: medianOf( of( 'inactive', 'link' ), 'total' ),
			queries: { active: medianOf( of( 'active', 'link' ), 'queries' ), inactive: medianOf( of( 'inactive', 'link' ), 'queries' ) },
		},
	};
}

// ------------------------------------------------------------------------------------------------------ 4. sync

export type SyncResult =
	| { available: false; reason: string }
	| {
			available: true;
			latency: { samples: number; p50: number; p95: number; max: number; missed: number };
			/** recordSeconds: the php-cli run making the changes (held by manual mode; `early` arrived anyway);
			 * seconds: from "Sync all pending" to the last receipt (jobsPerSecond is over it); deliverySeconds: first
			 * to last receipt. */
			drain: { jobs: number; recordSeconds: number; early: number; seconds: number; deliverySeconds: number; jobsPerSecond: number; received: number; complete: boolean };
	  };

const TASKS_PATH = '/api/v1/writer/tasks/';

/** IGNY8-managed posts made in one php-cli run; meta is added after the insert, so creating them syncs nothing. */
async function createManagedPosts( stack: Stack, firstTask: number, count: number ): Promise< number[] > {
	return wpJson< number[] >(
		stack,
		`$ids = array();
		for ( $i = 0; $i < ${ count }; $i++ ) {
			$task = ${ firstTask } + $i;
			$id = wp_insert_post( array( 'post_title' => 'Sync bench ' . $task, 'post_content' => 'Body', 'post_status' => 'draft', 'post_author' => 1 ), true );
			if ( is_wp_error( $id ) ) { throw new Exception( $id->get_error_message() ); }
			update_post_meta( $id, '_igny8_task_id', $task );
			update_post_meta( $id, '_igny8_content_id', ${ IDS.sync } + $task );
			$ids[] = $id;
		}
		return $ids;`
	);
}

const deliveriesOf = ( stack: Stack, task: number, after: number ) =>
	stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.path === `${ TASKS_PATH }${ task }/` && r.at >= after );

export async function syncBench( stack: Stack, samples: number, drainJobs: number, log: ( m: string ) => void ): Promise< SyncResult > {
	const hasRecorder = ( await stack.wpEval( `echo class_exists( 'Igny8\\\\Bridge\\\\Sync\\\\Change_Recorder' ) ? 'yes' : 'no';` ) ).trim().endsWith( 'yes' );
	if ( ! hasRecorder ) {
		return { available: false, reason: 'the shim has no sync change recorder yet' };
	}
	const auth = await adminBasicAuth( stack );
	const firstTask = 900_000 + ( Date.now() % 50_000 ) * 10;
	const ids = await createManagedPosts( stack, firstTask, samples + 1 );

	// Probe: does one change arrive at all (sync configured and running)?
	const change = ( id: number, status: string ) =>
		timed( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ id }`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify( { status } ) } );
	const waitFor = async ( task: number, after: number, timeoutMs: number ) => {
		const deadline = Date.now() + timeoutMs;
		while ( Date.now() < deadline ) {
			const got = deliveriesOf( stack, task, after );
			if ( got.length ) {
				return got[ 0 ]!.at;
			}
			await sleep( 5 );
		}
		return undefined;
	};
	const probeStart = Date.now();
	await change( ids[ 0 ] as number, 'publish' );
	if ( ( await waitFor( firstTask, probeStart, 15_000 ) ) === undefined ) {
		return { available: false, reason: 'a status change did not reach the simulator within 15 s' };
	}

	// Latency: one change at a time, from just before the save request to the simulator's receipt.
	const latencies: number[] = [];
	let missed = 0;
	for ( let i = 1; i <= samples; i++ ) {
		const t0 = Date.now();
		const r = await change( ids[ i ] as number, i % 2 === 0 ? 'publish' : 'pending' );
		const at = r.status === 200 ? await waitFor( firstTask + i, t0, 10_000 ) : undefined;
		if ( at === undefined ) {
			missed++;
		} else {
			latencies.push( at - t0 );
		}
	}
	log( `  sync latency: p50 ${ median( latencies ).toFixed( 0 ) } ms, p95 ${ p95( latencies ).toFixed( 0 ) } ms over ${ latencies.length } changes` );

	// Drain: `drainJobs` changes queued while sync mode is `manual` (recorded, held), then "Sync all pending"
	// releases them at once: the time from that call until IGNY8 has received every one of them.
	const drainFirst = firstTask + samples + 1000;
	const drainIds = await createManagedPosts( stack, drainFirst, drainJobs );
	await stack.wpEval( `update_option( 'igny8_sync_mode', 'manual' );` );
	// Any proxied request carries the settings to the sidecar.
	await timed( `${ stack.wpUrl }/wp-json/igny8/v1/site-metadata/`, { headers: { 'X-IGNY8-API-KEY': stack.apiKey } } );
	const recordStart = Date.now();
	await stack.wpEval( `foreach ( json_decode( '${ JSON.stringify( drainIds ) }', true ) as $id ) { wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) ); }` );
	const recorded = Date.now();
	const early = stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.at >= recordStart && r.path.startsWith( TASKS_PATH ) ).length;
	const release = await timed( `${ stack.wpUrl }/wp-json/igny8/v1/settings/sync-all-pending`, { method: 'POST', headers: { Authorization: auth } } );
	const t0 = Date.now();
	log( `  sync drain: ${ drainJobs } changes recorded in ${ ( ( recorded - recordStart ) / 1000 ).toFixed( 1 ) } s (manual mode; ${ early } delivered early), release: HTTP ${ release.status } ${ JSON.stringify( release.body.message ?? release.body.code ?? '' ) }` );
	const want = new Set( Array.from( { length: drainJobs }, ( _v, i ) => `${ TASKS_PATH }${ drainFirst + i }/` ) );
	const deadline = Date.now() + 600_000;
	let received = 0;
	let doneAt = 0;
	while ( Date.now() < deadline ) {
		const seen = new Set( stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.at >= recordStart && want.has( r.path ) ).map( ( r ) => r.path ) );
		received = seen.size;
		if ( received >= drainJobs ) {
			doneAt = Math.max( ...stack.simulator.received.filter( ( r ) => want.has( r.path ) && r.at >= recordStart ).map( ( r ) => r.at ) );
			break;
		}
		await sleep( 100 );
	}
	await stack.wpEval( `update_option( 'igny8_sync_mode', 'auto' );` );
	const arrivals = stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.at >= t0 && want.has( r.path ) ).map( ( r ) => r.at );
	const firstAt = arrivals.length ? Math.min( ...arrivals ) : t0;
	const seconds = Math.max( 0.001, ( ( doneAt || Date.now() ) - t0 ) / 1000 );
	const window = Math.max( 0.001, ( ( doneAt || Date.now() ) - firstAt ) / 1000 );
	log( `  sync drain: ${ received }/${ drainJobs } received ${ seconds.toFixed( 1 ) } s after the release = ${ ( received / seconds ).toFixed( 0 ) } jobs/s` );
	return {
		available: true,
		latency: { samples: latencies.length, p50: median( latencies ), p95: p95( latencies ), max: Math.max( ...latencies ), missed },
		drain: { jobs: drainJobs, recordSeconds: ( recorded - recordStart ) / 1000, early, seconds, deliverySeconds: window, jobsPerSecond: received / seconds, received, complete: received >= drainJobs },
	};
}

// --------------------------------------------------------------------------------------------- 5. footprint

export function editorBundle( root: string ): { files: number; rawKiB: number; gzipKiB: number } | undefined {
	const dir = path.join( root, 'plugin-php-shim/build' );
	if ( ! fs.existsSync( dir ) ) {
		return undefined;
	}
	const files = fs.readdirSync( dir ).filter( ( f ) => f.endsWith( '.js' ) );
	if ( ! files.length ) {
		return undefined;
	}
	let raw = 0;
	let gz = 0;
	for ( const file of files ) {
		const bytes = fs.readFileSync( path.join( dir, file ) );
		raw += bytes.length;
		gz += zlib.gzipSync( bytes, { level: 9 } ).length;
	}
	return { files: files.length, rawKiB: raw / 1024, gzipKiB: gz / 1024 };
}

export { sidecarRss };
