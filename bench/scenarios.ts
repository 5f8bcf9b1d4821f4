/**
 * The measurements of `npm run bench` (scripts/bench.ts runs them in order on one fresh site). Every comparison is
 * measured side by side in the same run, alternating the two sides, in several rounds: the machine is shared, so
 * only ratios and medians of rounds mean something.
 */
import { spawn } from 'node:child_process';
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
	sidecarRss,
	sleep,
	spread,
	stackCpu,
	timed,
	trimmedLogMean,
	wpJson,
	type ProcessKind,
	type Spread,
	type StackCpu,
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
	lookupOurs: 1_800_000,
	lookupBase: 1_800_100,
} as const;

export function publishTo( stack: Stack, route: string, contentId: number, timing = false, status = 'completed', profile = false ): Promise< Timed > {
	return timed( stack.wpUrl + route, {
		method: 'POST',
		headers: {
			'Content-Type': 'application/json',
			'X-IGNY8-API-KEY': stack.apiKey,
			...( timing || profile ? { 'X-IGNY8-Bench-Timing': '1' } : {} ),
			...( profile ? { 'X-IGNY8-Bench-Queries': '1' } : {} ),
		},
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

export async function publishLatency( stack: Stack, perSide: number, rounds: number, log: ( m: string ) => void, gapMs = 0 ): Promise< LatencyResult > {
	// Warm up both paths (opcache, term creation, the sidecar's JIT) outside the measurement.
	for ( let i = 0; i < 10; i++ ) {
		await publishTo( stack, OURS_PATH, IDS.warmup + i );
		await publishTo( stack, BASELINE_PATH, IDS.warmup + 100 + i );
	}
	const timingLog = timingLogOf( stack );
	const logFrom = logSize( timingLog );
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
			// gapMs after each publish: the sidecar's work after ours (its delivery to IGNY8) then ends before the
			// next publish is timed instead of landing on it (BENCH_PUBLISH_GAP_MS).
			const gap = () => ( gapMs > 0 ? sleep( gapMs ) : Promise.resolve() );
			if ( n % 2 === 0 ) {
				o.push( await publishTo( stack, OURS_PATH, IDS.latencyOurs + n, true ) );
				await gap();
				b.push( await publishTo( stack, BASELINE_PATH, IDS.latencyBase + n, true ) );
				await gap();
			} else {
				b.push( await publishTo( stack, BASELINE_PATH, IDS.latencyBase + n, true ) );
				await gap();
				o.push( await publishTo( stack, OURS_PATH, IDS.latencyOurs + n, true ) );
				await gap();
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
	onSample?: ( clients: number ) => void
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
					onSample?.( clients );
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
	/** `active`, or `inactive` for a request run as if IGNY8 Bridge were deactivated (bench/mu-plugin). */
	plugin?: string;
	bench_id?: string;
	/** Each query with its first caller outside core (only with the header X-IGNY8-Bench-Queries). */
	sql?: string[];
}

export const timingLogOf = ( stack: Stack ) => path.join( stack.stateDir, 'site/wp-content/igny8-bench-timing.log' );
const logSize = ( file: string ) => ( fs.existsSync( file ) ? fs.statSync( file ).size : 0 );

/** The bench plugin's timing lines written since byte `from` of its log. */
export function readTimings( file: string, from: number ): ServerTiming[] {
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

type Side = 'active' | 'inactive';

/** One comparison of plugin active vs inactive, interleaved per request in adjacent pairs. */
export interface PairedMeasure {
	activeP50: number;
	inactiveP50: number;
	/**
	 * Median over rounds of the round's ratio, and its range. A round's ratio is the 20%-trimmed mean of the logs of
	 * its pair ratios (active / inactive of two requests adjacent in time, same kind of edit; trimmedLogMean): the
	 * machine's slow drift and its load bursts longer than a pair cancel within the pair; a burst that hits one
	 * request of a pair is an outlier the trimming drops. (Until 2026-12-04 it was the median of the pair ratios.)
	 */
	ratio: Spread;
	/** Measured pairs per round (after the warm-up pairs, which are discarded): the median of pairsByRound. */
	pairsPerRound: number;
	/** Measured pairs of each round: a round stops once its ratios are tight (ToggleResult.ci) or at the cap. */
	pairsByRound: number[];
	/** Each round's 95% confidence half-width of its log ratio (0.02 ≈ ±2%), client time and CPU time. */
	ci95ByRound: { ms: number[]; cpuMs: number[] };
	errors: number;
	/** Inside PHP (bench plugin's log), medians: request start → reply built, the shutdown work after it, start → end. */
	server: Record< Side, { php: number; shutdown: number; total: number; queries: number } >;
	/**
	 * The same pairs by the CPU time the instance spent while the client waited for the reply (every thread of the web
	 * server, PHP, the database and the sidecar): the request's cost without the wait for CPUs other processes hold,
	 * so it stays steady on a loaded machine where the client time does not. `afterP50`: the CPU spent in the settling
	 * gap after the reply (an active save's notify under PHP-FPM, the sidecar's delivery to IGNY8), not in the ratio.
	 */
	cpu: { activeP50: number; inactiveP50: number; ratio: Spread; afterP50: Record< Side, number > };
	/**
	 * Every measured pair, per round: [ active, inactive ] client ms, instance CPU ms until the reply, after it (in the
	 * gap), the instance's run-queue wait until the reply, and the sidecar's share of the CPU until the reply.
	 */
	pairs: Array< Array< { ms: [ number, number ]; cpuMs: [ number, number ]; afterCpuMs: [ number, number ]; waitMs: [ number, number ]; sidecarCpuMs: [ number, number ] } > >;
}

/** The pairs a toggle run measured, e.g. `24–96 save (measured 24–60) / 48–192 view pairs (48–120)`. */
export function togglePairsText( t: ToggleResult ): string {
	const counts = ( ms: PairedMeasure[] ) => {
		const all = ms.flatMap( ( m ) => m.pairsByRound ?? [ m.pairsPerRound ] );
		return `${ Math.min( ...all ) }–${ Math.max( ...all ) }`;
	};
	const saves = [ t.save, t.saveStatus, t.saveUnseen ];
	const views = [ t.frontPage, t.permalink ];
	if ( ! ( ( t.ci ?? 0 ) > 0 ) ) {
		return `${ t.savePairs } save / ${ t.viewPairs } view pairs`;
	}
	const pct = ( x: number ) => `±${ ( x * 100 ).toFixed( 1 ) }%`;
	return `${ t.savePairs }–${ t.maxSavePairs } save (measured ${ counts( saves ) }) / ${ t.viewPairs }–${ t.maxViewPairs } view pairs (${ counts( views ) }), a round until its CPU ratio is known to ${ pct( t.ci ) }${ ( t.ciClient ?? 0 ) > 0 ? ` and its client-time ratio to ${ pct( t.ciClient ) }` : '' } (95%)`;
}

export interface ToggleResult {
	rounds: number;
	/** The least measured pairs per save kind and round (BENCH_TOGGLE_PAIRS); maxSavePairs the cap (BENCH_TOGGLE_MAX_PAIRS). */
	savePairs: number;
	/** The same for each page-view kind (BENCH_VIEW_PAIRS, BENCH_VIEW_MAX_PAIRS). */
	viewPairs: number;
	maxSavePairs: number;
	maxViewPairs: number;
	/**
	 * BENCH_TOGGLE_CI: a round of a kind stops (after at least savePairs / viewPairs, at an even count) once the 95%
	 * confidence half-width of its CPU log ratio is at most this (0.04 ≈ ±4%), or at the cap; 0: fixed counts.
	 */
	ci: number;
	/**
	 * BENCH_TOGGLE_CI_CLIENT: the same bound for the client-time ratio, required too when > 0 (default 0: on a
	 * loaded machine one pair's client-time ratio spreads 2–3 × as much as its CPU ratio, so most rounds would run
	 * to the cap).
	 */
	ciClient: number;
	/** How a round's ratio is made from its pair ratios. */
	estimator: string;
	warmupPairs: number;
	saveGapMs: number;
	/** IGNY8 posts published for the front page before the rounds (BENCH_VIEW_IGNY8_POSTS): it lists them and the two saved posts. */
	frontPagePosts?: number;
	/** A save IGNY8 sees, the status kept (the title changes: recorded and notified). */
	save: PairedMeasure;
	/** A save IGNY8 sees that changes the status too (publish ⇄ draft: the term recounts and the structure bump). */
	saveStatus: PairedMeasure;
	/** A body-only save: a local edit (issue #13 §4), recorded and sent while the content sync is on. */
	saveUnseen: PairedMeasure;
	frontPage: PairedMeasure;
	permalink: PairedMeasure;
}

/**
 * Plugin active vs inactive, interleaved per request in adjacent pairs, A B then B A (bench/mu-plugin/
 * igny8-bench-toggle.php runs a request with `X-IGNY8-Bench-Plugin: inactive` as if the plugin were deactivated).
 * Kinds: REST saves of an IGNY8-managed post (application password): title only, title + status, body only; the
 * home page and the permalink of a post that is not IGNY8's. Each side saves its own managed post (published the
 * same way), so the two requests of a pair make the same edit: the same status transition, never a status change on
 * one side and none on the other (that mix made each side's median jump between two modes, ±30% per round). Every
 * save is followed by `saveGapMs` on both sides, so the sync work after an active save (the notify, the sidecar's
 * delivery) is over before the next request is timed. `warmupPairs` pairs per kind and round are run and discarded
 * (the first requests after the other kinds, each `php -S` worker's first sight of the route), 4 × as many in the
 * first round.
 */
export async function pluginToggle(
	stack: Stack,
	options: { rounds: number; savePairs: number; viewPairs: number; warmupPairs: number; saveGapMs: number; maxSavePairs?: number; maxViewPairs?: number; ci?: number; ciClient?: number; frontPagePosts?: number },
	log: ( m: string ) => void
): Promise< ToggleResult > {
	const { rounds, saveGapMs, warmupPairs } = options;
	// Even counts: each side's status saves come back to `publish` at the end of every round.
	const even = ( n: number ) => Math.max( 2, n + ( n % 2 ) );
	const savePairs = even( options.savePairs );
	const viewPairs = even( options.viewPairs );
	const ci = options.ci ?? 0;
	const ciClient = ci > 0 ? options.ciClient ?? 0 : 0;
	const maxSavePairs = ci > 0 ? Math.max( savePairs, even( options.maxSavePairs ?? 4 * savePairs ) ) : savePairs;
	const maxViewPairs = ci > 0 ? Math.max( viewPairs, even( options.maxViewPairs ?? 4 * viewPairs ) ) : viewPairs;
	const warmup = even( warmupPairs );
	const auth = await adminBasicAuth( stack );
	// The front page's posts, the same whatever ran before (the full bench's publishes, or nothing): `frontPagePosts`
	// IGNY8 posts (a cluster, a sector, categories and tags each, as IGNY8 publishes them), then the two saved posts,
	// then the unrelated one; 10 a page. Core's work for the plugin's taxonomies on a page view grows with the IGNY8
	// terms of the posts it lists (callgrind: +1.7M instructions on a front page of 7 posts without IGNY8 terms,
	// +4.1M with 5 of them IGNY8's), so a toggle-only run (2 IGNY8 posts listed) read lower than the full bench
	// (10 IGNY8 posts listed).
	const frontPagePosts = Math.max( 0, Math.min( 8, options.frontPagePosts ?? 7 ) );
	for ( let i = 0; i < frontPagePosts; i++ ) {
		const published = await publishTo( stack, OURS_PATH, IDS.editor + 20 + i, false, 'completed' );
		if ( ! ok( published ) ) {
			throw new Error( `editor bench: could not publish a front-page post (${ published.status } ${ published.text.slice( 0, 200 ) })` );
		}
	}
	const posts = {} as Record< Side, number >;
	for ( const [ side, contentId ] of [ [ 'active', IDS.editor ], [ 'inactive', IDS.editor + 10 ] ] as const ) {
		const published = await publishTo( stack, OURS_PATH, contentId );
		const postId = Number( ( published.body.data as { post_id?: number } | undefined )?.post_id );
		if ( ! postId ) {
			throw new Error( `editor bench: could not create the managed post (${ published.status } ${ published.text.slice( 0, 200 ) })` );
		}
		posts[ side ] = postId;
	}
	const plain = await wpJson< { id: number; url: string } >(
		stack,
		`$id = wp_insert_post( array( 'post_title' => 'Unrelated page view', 'post_content' => '<p>Not IGNY8.</p>', 'post_status' => 'publish' ) ); return array( 'id' => $id, 'url' => get_permalink( $id ) );`
	);
	const count: Record< Side, number > = { active: 0, inactive: 0 };
	const statusSaves: Record< Side, number > = { active: 0, inactive: 0 };
	const headers = ( side: Side, id: string ) => ( { 'X-IGNY8-Bench-Timing': '1', 'X-IGNY8-Bench-Plugin': side, 'X-IGNY8-Bench-Id': id } );
	const save = ( side: Side, id: string, body: Record< string, string > ) =>
		timed( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ posts[ side ] }`, {
			method: 'POST',
			headers: { Authorization: auth, 'Content-Type': 'application/json', ...headers( side, id ) },
			body: JSON.stringify( body ),
		} );
	const kinds = {
		// A real edit each time, so every save writes and fires the sync hook.
		save: ( side: Side, id: string ) => save( side, id, { title: `Edited ${ ++count[ side ] }` } ),
		// The nth status save of each side: draft, publish, draft, …; the two saves of a pair make the same transition.
		saveStatus: ( side: Side, id: string ) => {
			const n = ++count[ side ];
			return save( side, id, { title: `Edited ${ n }`, status: statusSaves[ side ]++ % 2 === 0 ? 'draft' : 'publish' } );
		},
		saveUnseen: ( side: Side, id: string ) => save( side, id, { content: `<!-- wp:paragraph --><p>Body edit ${ ++count[ side ] }.</p><!-- /wp:paragraph -->` } ),
		frontPage: ( side: Side, id: string ) => timed( `${ stack.wpUrl }/`, { headers: headers( side, id ) } ),
		permalink: ( side: Side, id: string ) => timed( plain.url, { headers: headers( side, id ) } ),
	} as const;
	type Kind = keyof typeof kinds;
	const kindNames = Object.keys( kinds ) as Kind[];
	const isSave = ( kind: Kind ) => kind.startsWith( 'save' );
	const timingLog = timingLogOf( stack );
	const from = logSize( timingLog );
	type Sample = { ms: number; cpuMs: number; afterCpuMs: number; waitMs: number; sidecarCpuMs: number };
	type Pair = { active: Sample; inactive: Sample };
	const measured: Record< Kind, Pair[][] > = { save: [], saveStatus: [], saveUnseen: [], frontPage: [], permalink: [] };
	const cpu = stackCpu( stack );
	const errors: Record< Kind, number > = { save: 0, saveStatus: 0, saveUnseen: 0, frontPage: 0, permalink: 0 };
	/** One pair, the two requests back to back: A B for an even index, B A for an odd one. */
	const pair = async ( kind: Kind, id: string, index: number ): Promise< Pair > => {
		const got = {} as Pair;
		for ( const side of index % 2 === 0 ? ( [ 'active', 'inactive' ] as const ) : ( [ 'inactive', 'active' ] as const ) ) {
			const before = cpu.read();
			const r = await kinds[ kind ]( side, `${ id }:${ side }` );
			const replied = cpu.read();
			if ( r.status !== 200 && ! id.startsWith( 'warmup' ) ) {
				errors[ kind ]++;
			}
			// Until what the request left behind (the notify, the sidecar's delivery) is over, so the next request's
			// window holds its own work only: at least saveGapMs after a save, then until the instance is quiet.
			await cpu.settle( isSave( kind ) ? saveGapMs : 0 );
			const after = cpu.read();
			got[ side ] = {
				ms: r.ms,
				cpuMs: ( replied.cpuNs - before.cpuNs ) / 1e6,
				afterCpuMs: ( after.cpuNs - replied.cpuNs ) / 1e6,
				waitMs: ( replied.waitNs - before.waitNs ) / 1e6,
				sidecarCpuMs: ( replied.sidecarNs - before.sidecarNs ) / 1e6,
			};
		}
		return got;
	};
	const roundFit = ( pairs: Pair[], key: 'ms' | 'cpuMs' ) => trimmedLogMean( pairs.map( ( p ) => p.active[ key ] / p.inactive[ key ] ) );
	const roundRatio = ( pairs: Pair[], key: 'ms' | 'cpuMs' = 'ms' ) => roundFit( pairs, key ).ratio;
	for ( let round = 0; round < rounds; round++ ) {
		for ( const kind of kindNames ) {
			// The first round warms up longer: the sidecar's notify path and each PHP worker are still cold there.
			for ( let i = 0; i < ( round === 0 ? 4 * warmup : warmup ); i++ ) {
				await pair( kind, `warmup:${ kind }:${ round }:${ i }`, i );
			}
			const got: Pair[] = [];
			const least = isSave( kind ) ? savePairs : viewPairs;
			const most = isSave( kind ) ? maxSavePairs : maxViewPairs;
			for ( let i = 0; i < most; i++ ) {
				got.push( await pair( kind, `${ kind }:${ round }:${ i }`, i ) );
				// Stop at an even count (A B then B A balanced) once the ratio is known to ±ci (95%).
				if ( ci > 0 && got.length >= least && got.length % 2 === 0 && roundFit( got, 'cpuMs' ).ci95 <= ci && ( ciClient <= 0 || roundFit( got, 'ms' ).ci95 <= ciClient ) ) {
					break;
				}
			}
			measured[ kind ].push( got );
		}
		const last = ( kind: Kind ) => {
			const got = measured[ kind ].at( -1 )!;
			const ms = roundFit( got, 'ms' );
			const c = roundFit( got, 'cpuMs' );
			return `${ ms.ratio.toFixed( 2 ) }±${ ( ms.ci95 * 100 ).toFixed( 0 ) }% (cpu ×${ c.ratio.toFixed( 2 ) }±${ ( c.ci95 * 100 ).toFixed( 0 ) }%, ${ got.length } pairs)`;
		};
		log( `  toggle round ${ round + 1 }/${ rounds }: save ×${ last( 'save' ) }, status save ×${ last( 'saveStatus' ) }, body save ×${ last( 'saveUnseen' ) }, home ×${ last( 'frontPage' ) }, permalink ×${ last( 'permalink' ) }` );
	}
	await sleep( 1000 );
	const lines = readTimings( timingLog, from );
	const measure = ( kind: Kind ): PairedMeasure => {
		const server = ( side: Side ) => {
			const rows = lines.filter( ( t ) => ( t.bench_id ?? '' ).startsWith( `${ kind }:` ) && ( t.bench_id ?? '' ).endsWith( `:${ side }` ) );
			const of = ( key: 'php' | 'shutdown' | 'total' | 'queries' ) => median( rows.map( ( t ) => t[ key ] ).filter( ( v ): v is number => typeof v === 'number' ) );
			return { php: of( 'php' ), shutdown: of( 'shutdown' ), total: of( 'total' ), queries: of( 'queries' ) };
		};
		const all = measured[ kind ].flat();
		const r1 = ( v: number ) => Math.round( v * 10 ) / 10;
		return {
			activeP50: median( all.map( ( p ) => p.active.ms ) ),
			inactiveP50: median( all.map( ( p ) => p.inactive.ms ) ),
			ratio: spread( measured[ kind ].map( ( pairs ) => roundRatio( pairs ) ) ),
			cpu: {
				activeP50: median( all.map( ( p ) => p.active.cpuMs ) ),
				inactiveP50: median( all.map( ( p ) => p.inactive.cpuMs ) ),
				ratio: spread( measured[ kind ].map( ( pairs ) => roundRatio( pairs, 'cpuMs' ) ) ),
				afterP50: { active: median( all.map( ( p ) => p.active.afterCpuMs ) ), inactive: median( all.map( ( p ) => p.inactive.afterCpuMs ) ) },
			},
			pairsPerRound: median( measured[ kind ].map( ( pairs ) => pairs.length ) ),
			pairsByRound: measured[ kind ].map( ( pairs ) => pairs.length ),
			ci95ByRound: {
				ms: measured[ kind ].map( ( pairs ) => Math.round( roundFit( pairs, 'ms' ).ci95 * 1e4 ) / 1e4 ),
				cpuMs: measured[ kind ].map( ( pairs ) => Math.round( roundFit( pairs, 'cpuMs' ).ci95 * 1e4 ) / 1e4 ),
			},
			errors: errors[ kind ],
			server: { active: server( 'active' ), inactive: server( 'inactive' ) },
			pairs: measured[ kind ].map( ( pairs ) =>
				pairs.map( ( p ) => ( {
					ms: [ r1( p.active.ms ), r1( p.inactive.ms ) ] as [ number, number ],
					cpuMs: [ r1( p.active.cpuMs ), r1( p.inactive.cpuMs ) ] as [ number, number ],
					afterCpuMs: [ r1( p.active.afterCpuMs ), r1( p.inactive.afterCpuMs ) ] as [ number, number ],
					waitMs: [ r1( p.active.waitMs ), r1( p.inactive.waitMs ) ] as [ number, number ],
					sidecarCpuMs: [ r1( p.active.sidecarCpuMs ), r1( p.inactive.sidecarCpuMs ) ] as [ number, number ],
				} ) )
			),
		};
	};
	return {
		rounds,
		savePairs,
		viewPairs,
		maxSavePairs,
		maxViewPairs,
		ci,
		ciClient,
		estimator: 'round ratio: 20%-trimmed mean of the log pair ratios; the row: median of the round ratios',
		warmupPairs: warmup,
		saveGapMs,
		frontPagePosts,
		save: measure( 'save' ),
		saveStatus: measure( 'saveStatus' ),
		saveUnseen: measure( 'saveUnseen' ),
		frontPage: measure( 'frontPage' ),
		permalink: measure( 'permalink' ),
	};
}

/** The SQL of one request of each kind, active and inactive (profile: which queries the plugin adds to a save). */
export async function saveQueries( stack: Stack ): Promise< Record< string, string[] > > {
	const auth = await adminBasicAuth( stack );
	const post = await publishTo( stack, OURS_PATH, IDS.editor + 1 );
	const postId = Number( ( post.body.data as { post_id?: number } | undefined )?.post_id );
	const out: Record< string, string[] > = {};
	let n = 0;
	for ( const [ kind, body ] of [
		[ 'save', () => ( { title: `Profiled ${ ++n }`, status: n % 2 ? 'draft' : 'publish' } ) ],
		[ 'saveUnseen', () => ( { content: `<p>Profiled body ${ ++n }</p>` } ) ],
	] as const ) {
		// The steady state, not the first save after the publish: the last of 3 saves per side (A B, A B, A B), each
		// after the sync write-back of the one before settled.
		for ( let i = 0; i < 3; i++ ) {
			for ( const side of [ 'active', 'inactive' ] as const ) {
				const from = logSize( timingLogOf( stack ) );
				await timed( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ postId }`, {
					method: 'POST',
					headers: { Authorization: auth, 'Content-Type': 'application/json', 'X-IGNY8-Bench-Timing': '1', 'X-IGNY8-Bench-Queries': '1', 'X-IGNY8-Bench-Plugin': side },
					body: JSON.stringify( body() ),
				} );
				await sleep( 700 );
				out[ `${ kind }:${ side }` ] = readTimings( timingLogOf( stack ), from ).find( ( t ) => t.method === 'POST' )?.sql ?? [];
			}
		}
	}
	// One publish of a new post each side, ours and the baseline (the latency bench's case).
	for ( const [ side, route, id ] of [ [ 'ours', OURS_PATH, IDS.editor + 2 ], [ 'baseline', BASELINE_PATH, IDS.editor + 3 ] ] as const ) {
		const from = logSize( timingLogOf( stack ) );
		await publishTo( stack, route, id, false, 'completed', true );
		await sleep( 500 );
		out[ `publish:${ side }` ] = readTimings( timingLogOf( stack ), from ).find( ( t ) => t.method === 'POST' && t.uri === route )?.sql ?? [];
	}
	return out;
}

// ------------------------------------------------------------------------------------------------ lookups

export interface LookupResult {
	perSide: number;
	ours: { p50: number; errors: number };
	baseline: { p50: number; errors: number };
	ratio: Spread;
	queries: { ours: number; baseline: number };
	/**
	 * The instance's CPU per lookup (ms, mean over a pass of its own after the timed rounds, one lookup at a time, each
	 * window until the instance is quiet again), in all and by process kind: what a lookup costs the machine, which its
	 * wall time under load does not say.
	 */
	cpu?: { ours: LookupCpu; baseline: LookupCpu };
}
export interface LookupCpu {
	totalMs: number;
	totalP50Ms: number;
	byProcessMs: Record< ProcessKind, number >;
}

/**
 * `/post-by-content-id/{id}` and `/post-status/{id}`, ours vs the baseline plugin's all-PHP lookups, interleaved per
 * request (A B B A), on posts each side published.
 */
export async function lookups( stack: Stack, rounds: number, pairs: number, log: ( m: string ) => void ): Promise< LookupResult > {
	const count = 10;
	for ( let i = 0; i < count; i++ ) {
		await publishTo( stack, OURS_PATH, IDS.lookupOurs + i );
		await publishTo( stack, BASELINE_PATH, IDS.lookupBase + i );
	}
	const get = ( side: 'ours' | 'baseline', i: number ) =>
		timed( `${ stack.wpUrl }/wp-json/${ side === 'ours' ? 'igny8' : 'igny8-baseline' }/v1/${ i % 2 === 0 ? 'post-by-content-id' : 'post-status' }/${ ( side === 'ours' ? IDS.lookupOurs : IDS.lookupBase ) + ( i % count ) }`, {
			headers: { 'X-IGNY8-API-KEY': stack.apiKey, 'X-IGNY8-Bench-Timing': '1', 'X-IGNY8-Bench-Id': `lookup:${ side }` },
		} );
	for ( let i = 0; i < 10; i++ ) {
		await get( 'ours', i );
		await get( 'baseline', i );
	}
	const from = logSize( timingLogOf( stack ) );
	const all = { ours: [] as Timed[], baseline: [] as Timed[] };
	const ratios: number[] = [];
	for ( let round = 0; round < rounds; round++ ) {
		const got = { ours: [] as Timed[], baseline: [] as Timed[] };
		for ( let i = 0; i < pairs; i++ ) {
			const order = i % 2 === 0 ? ( [ 'ours', 'baseline' ] as const ) : ( [ 'baseline', 'ours' ] as const );
			for ( const side of order ) {
				got[ side ].push( await get( side, i ) );
			}
		}
		ratios.push( median( got.ours.filter( ok ).map( ( r ) => r.ms ) ) / median( got.baseline.filter( ok ).map( ( r ) => r.ms ) ) );
		all.ours.push( ...got.ours );
		all.baseline.push( ...got.baseline );
		log( `  lookup round ${ round + 1 }/${ rounds }: ratio ${ ratios.at( -1 )!.toFixed( 2 ) }` );
	}
	// The CPU of each lookup, in a pass of its own after the timed rounds (those stay back to back): one lookup at a
	// time, each window until the instance is quiet again and at least 150 ms, since the sidecar writes a lookup's
	// activity row 100 ms after the reply (FLUSH_DELAY_MS).
	const cpu = stackCpu( stack );
	const spent = { ours: [] as Array< ReturnType< StackCpu[ 'read' ] > >, baseline: [] as Array< ReturnType< StackCpu[ 'read' ] > > };
	await cpu.settle( 150, 1000 );
	for ( let i = 0; i < 2 * pairs; i++ ) {
		for ( const side of i % 2 === 0 ? ( [ 'ours', 'baseline' ] as const ) : ( [ 'baseline', 'ours' ] as const ) ) {
			const before = cpu.read();
			await get( side, i );
			await cpu.settle( 150, 1000 );
			const after = cpu.read();
			spent[ side ].push( {
				cpuNs: after.cpuNs - before.cpuNs,
				waitNs: after.waitNs - before.waitNs,
				sidecarNs: after.sidecarNs - before.sidecarNs,
				byProcess: { sidecar: after.byProcess.sidecar - before.byProcess.sidecar, php: after.byProcess.php - before.byProcess.php, web: after.byProcess.web - before.byProcess.web, db: after.byProcess.db - before.byProcess.db },
			} );
		}
	}
	const lines = readTimings( timingLogOf( stack ), from );
	const q = ( side: string ) => median( lines.filter( ( t ) => t.bench_id === `lookup:${ side }` ).map( ( t ) => t.queries ) );
	return {
		perSide: all.ours.length,
		ours: { p50: median( all.ours.filter( ok ).map( ( r ) => r.ms ) ), errors: all.ours.filter( ( r ) => ! ok( r ) ).length },
		baseline: { p50: median( all.baseline.filter( ok ).map( ( r ) => r.ms ) ), errors: all.baseline.filter( ( r ) => ! ok( r ) ).length },
		ratio: spread( ratios ),
		queries: { ours: q( 'ours' ), baseline: q( 'baseline' ) },
		cpu: { ours: lookupCpu( spent.ours ), baseline: lookupCpu( spent.baseline ) },
	};
}

function lookupCpu( reads: Array< ReturnType< StackCpu[ 'read' ] > > ): LookupCpu {
	const ok = reads.filter( ( r ) => Number.isFinite( r.cpuNs ) );
	const mean = ( f: ( r: ( typeof ok )[ number ] ) => number ) => ok.reduce( ( sum, r ) => sum + f( r ), 0 ) / Math.max( 1, ok.length ) / 1e6;
	return {
		totalMs: mean( ( r ) => r.cpuNs ),
		totalP50Ms: median( ok.map( ( r ) => r.cpuNs / 1e6 ) ),
		byProcessMs: { sidecar: mean( ( r ) => r.byProcess.sidecar ), php: mean( ( r ) => r.byProcess.php ), web: mean( ( r ) => r.byProcess.web ), db: mean( ( r ) => r.byProcess.db ) },
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

/** Sizes of plugin-php-shim/build/*.js: each file (sidebar = the block editor's, settings = the settings screen's) and all. */
export function editorBundle( root: string ): { files: Record< string, { rawKiB: number; gzipKiB: number } >; rawKiB: number; gzipKiB: number } | undefined {
	const dir = path.join( root, 'plugin-php-shim/build' );
	const names = fs.existsSync( dir ) ? fs.readdirSync( dir ).filter( ( f ) => f.endsWith( '.js' ) ) : [];
	if ( ! names.length ) {
		return undefined;
	}
	const files: Record< string, { rawKiB: number; gzipKiB: number } > = {};
	for ( const name of names ) {
		const bytes = fs.readFileSync( path.join( dir, name ) );
		files[ name ] = { rawKiB: bytes.length / 1024, gzipKiB: zlib.gzipSync( bytes, { level: 9 } ).length / 1024 };
	}
	const all = Object.values( files );
	return { files, rawKiB: all.reduce( ( n, f ) => n + f.rawKiB, 0 ), gzipKiB: all.reduce( ( n, f ) => n + f.gzipKiB, 0 ) };
}

/**
 * `npm start` `runs` times on its own site (ports and state dir given): spawn → the "dev stack ready" line, in ms.
 * The first run may install WordPress or build the bundle; the later ones are warm (nothing changed).
 */
export async function npmStartTimes( root: string, env: Record< string, string >, runs: number, log: ( m: string ) => void ): Promise< number[] > {
	const out: number[] = [];
	for ( let run = 0; run < runs; run++ ) {
		const t0 = performance.now();
		const child = spawn( 'npm', [ 'start' ], { cwd: root, detached: true, env: { ...process.env, ...env }, stdio: [ 'ignore', 'pipe', 'pipe' ] } );
		let output = '';
		const ready = await new Promise< boolean >( ( resolve ) => {
			const timer = setTimeout( () => resolve( false ), 300_000 );
			const onData = ( chunk: Buffer ) => {
				output += chunk.toString( 'utf8' );
				if ( output.includes( 'dev stack ready' ) ) {
					clearTimeout( timer );
					resolve( true );
				}
			};
			child.stdout.on( 'data', onData );
			child.stderr.on( 'data', onData );
			child.once( 'exit', () => {
				clearTimeout( timer );
				resolve( false );
			} );
		} );
		const ms = performance.now() - t0;
		const exited = new Promise( ( resolve ) => ( child.exitCode !== null ? resolve( undefined ) : child.once( 'exit', resolve ) ) );
		try {
			process.kill( -( child.pid as number ), 'SIGTERM' );
		} catch {
			// Already gone.
		}
		await Promise.race( [ exited, sleep( 30_000 ) ] );
		if ( ! ready ) {
			throw new Error( `npm start did not get ready: ${ output.slice( -500 ) }` );
		}
		out.push( ms );
		log( `  npm start run ${ run + 1 }/${ runs }: ${ ( ms / 1000 ).toFixed( 1 ) } s to the printed URL` );
	}
	return out;
}

export { sidecarRss };
