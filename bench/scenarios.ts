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

export function publishTo( stack: Stack, route: string, contentId: number, timing = false ): Promise< Timed > {
	return timed( stack.wpUrl + route, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', 'X-IGNY8-API-KEY': stack.apiKey, ...( timing ? { 'X-IGNY8-Bench-Timing': '1' } : {} ) },
		body: JSON.stringify( payloadA( sampleContent( contentId, { status: 'completed' } ) ) ),
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
	/** Median milliseconds per phase, from the bench plugin's Server-Timing and the sidecar's own log. */
	profile: {
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

	// Profile: the bare bootstrap, the phases inside PHP, and the sidecar's own compute time.
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

	return {
		perSide,
		rounds,
		ours: { p50: median( ours.filter( ok ).map( ( r ) => r.ms ) ), p95: p95( ours.filter( ok ).map( ( r ) => r.ms ) ), errors: ours.filter( ( r ) => ! ok( r ) ).length },
		baseline: { p50: median( base.filter( ok ).map( ( r ) => r.ms ) ), p95: p95( base.filter( ok ).map( ( r ) => r.ms ) ), errors: base.filter( ( r ) => ! ok( r ) ).length },
		ratioP50: median( ours.filter( ok ).map( ( r ) => r.ms ) ) / median( base.filter( ok ).map( ( r ) => r.ms ) ),
		ratioP50Rounds: spread( roundRatios ),
		profile: {
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

interface SaveTiming {
	php: number;
	shutdown: number;
}

/** The bench plugin's timing lines of saves of one post, written since byte `from` of its log. */
function readSaveTimings( file: string, from: number, postId: number ): SaveTiming[] {
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
		.map( ( line ) => JSON.parse( line ) as { method: string; uri: string; php: number | null; shutdown: number | null } )
		.filter( ( t ) => t.method === 'POST' && t.uri.startsWith( `/wp-json/wp/v2/posts/${ postId }` ) && t.php !== null && t.shutdown !== null )
		.map( ( t ) => ( { php: t.php as number, shutdown: t.shutdown as number } ) );
}

export interface ToggleResult {
	rounds: number;
	perBlock: number;
	save: {
		activeP50: number;
		inactiveP50: number;
		ratio: Spread;
		errors: number;
		/** PHP time until the reply was built, and the shutdown work after it (the sync notify), medians in ms. */
		profile: { active: { restP50: number; shutdownP50: number }; inactive: { restP50: number; shutdownP50: number } };
	};
	frontPage: { activeP50: number; inactiveP50: number; ratio: Spread };
	permalink: { activeP50: number; inactiveP50: number; ratio: Spread };
}

/**
 * Plugin active vs inactive, in blocks (deactivating is a php-cli run): ABBA over `rounds` rounds. In each block:
 * REST saves of an IGNY8-managed post (application password) and unrelated front-end views (home page, and the
 * permalink of a post that is not IGNY8's).
 */
export async function pluginToggle( stack: Stack, rounds: number, perBlock: number, log: ( m: string ) => void ): Promise< ToggleResult > {
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
	const saveTimings = { active: [] as SaveTiming[], inactive: [] as SaveTiming[] };
	const block = async ( state: 'active' | 'inactive' ) => {
		const logStart = fs.existsSync( timingLog ) ? fs.statSync( timingLog ).size : 0;
		const out = { save: [] as number[], front: [] as number[], link: [] as number[] };
		// One untimed request of each kind: the first after a toggle pays for rebuilt option caches.
		await save();
		await timed( `${ stack.wpUrl }/` );
		for ( let i = 0; i < perBlock; i++ ) {
			const s = await save();
			if ( s.status !== 200 ) {
				errors++;
			}
			out.save.push( s.ms );
			out.front.push( ( await timed( `${ stack.wpUrl }/` ) ).ms );
			out.link.push( ( await timed( plain.url ) ).ms );
		}
		saveTimings[ state ].push( ...readSaveTimings( timingLog, logStart, postId ).slice( 1 ) );
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
		save: {
			activeP50: median( samples.active.save ),
			inactiveP50: median( samples.inactive.save ),
			ratio: spread( ratios.save ),
			errors,
			profile: {
				active: { restP50: median( saveTimings.active.map( ( t ) => t.php ) ), shutdownP50: median( saveTimings.active.map( ( t ) => t.shutdown ) ) },
				inactive: { restP50: median( saveTimings.inactive.map( ( t ) => t.php ) ), shutdownP50: median( saveTimings.inactive.map( ( t ) => t.shutdown ) ) },
			},
		},
		frontPage: { activeP50: median( samples.active.front ), inactiveP50: median( samples.inactive.front ), ratio: spread( ratios.front ) },
		permalink: { activeP50: median( samples.active.link ), inactiveP50: median( samples.inactive.link ), ratio: spread( ratios.link ) },
	};
}

// ------------------------------------------------------------------------------------------------------ 4. sync

export type SyncResult =
	| { available: false; reason: string }
	| {
			available: true;
			latency: { samples: number; p50: number; p95: number; max: number; missed: number };
			/** recordSeconds: the php-cli run making the changes; seconds: from its start to the last receipt;
			 * deliverySeconds: first to last receipt (jobsPerSecond is over this window). */
			drain: { jobs: number; recordSeconds: number; seconds: number; deliverySeconds: number; jobsPerSecond: number; received: number; complete: boolean };
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

	// Drain: `drainJobs` changes recorded in one request (one notify at its shutdown), then the time until IGNY8
	// has received every one of them.
	const drainFirst = firstTask + samples + 1000;
	const drainIds = await createManagedPosts( stack, drainFirst, drainJobs );
	const t0 = Date.now();
	await stack.wpEval( `foreach ( json_decode( '${ JSON.stringify( drainIds ) }', true ) as $id ) { wp_update_post( array( 'ID' => $id, 'post_status' => 'publish' ) ); }` );
	const recorded = Date.now();
	const want = new Set( Array.from( { length: drainJobs }, ( _v, i ) => `${ TASKS_PATH }${ drainFirst + i }/` ) );
	const deadline = Date.now() + 600_000;
	let received = 0;
	let doneAt = 0;
	while ( Date.now() < deadline ) {
		const seen = new Set( stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.at >= t0 && want.has( r.path ) ).map( ( r ) => r.path ) );
		received = seen.size;
		if ( received >= drainJobs ) {
			doneAt = Math.max( ...stack.simulator.received.filter( ( r ) => want.has( r.path ) && r.at >= t0 ).map( ( r ) => r.at ) );
			break;
		}
		await sleep( 100 );
	}
	const arrivals = stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.at >= t0 && want.has( r.path ) ).map( ( r ) => r.at );
	const firstAt = arrivals.length ? Math.min( ...arrivals ) : recorded;
	const seconds = Math.max( 0.001, ( ( doneAt || Date.now() ) - t0 ) / 1000 );
	const window = Math.max( 0.001, ( ( doneAt || Date.now() ) - firstAt ) / 1000 );
	log(
		`  sync drain: ${ received }/${ drainJobs } received ${ seconds.toFixed( 1 ) } s after the recording request started ` +
			`(it took ${ ( ( recorded - t0 ) / 1000 ).toFixed( 1 ) } s); deliveries spanned ${ window.toFixed( 1 ) } s = ${ ( received / window ).toFixed( 0 ) } jobs/s`
	);
	return {
		available: true,
		latency: { samples: latencies.length, p50: median( latencies ), p95: p95( latencies ), max: Math.max( ...latencies ), missed },
		drain: { jobs: drainJobs, recordSeconds: ( recorded - t0 ) / 1000, seconds, deliverySeconds: window, jobsPerSecond: received / window, received, complete: received >= drainJobs },
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
