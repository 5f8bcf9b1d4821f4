/**
 * Bench: Tools → IGNY8 Activity at 100,000 rows (issue #14 must-hold: the first page in under 300 ms). The sidecar
 * is stopped, its activity log filled with 100,000 rows (calls in and delivery attempts out, over 200 posts), then
 * started again; the first page is fetched through WordPress exactly as the screen fetches it (admin REST call →
 * shim → sidecar, one bootstrap), unfiltered and with each filter. Times are client-side, full round trip.
 */
import path from 'node:path';

import type { Stack } from '../scripts/stack.js';
import { ROOT } from '../scripts/stack.js';
import { adminBasicAuth, median, p95, timed } from './lib.js';

export interface ActivityBenchRow {
	query: string;
	p50: number;
	p95: number;
	errors: number;
}

export interface ActivityBenchResult {
	rows: number;
	fillSeconds: number;
	samples: number;
	/** `total` of the unfiltered first page (the rows the sidecar serves). */
	total: number;
	/** The same admin, same auth, `GET /wp/v2/users/me` interleaved with the first-page loads: a bare REST bootstrap. */
	reference: { p50: number; p95: number };
	/** The sidecar's own time for the first page (SqliteActivityLog.query in-process), p50 / max of 20. */
	sidecarQueryMs: { p50: number; max: number };
	queries: ActivityBenchRow[];
}

interface ActivityLogModule {
	SqliteActivityLog: {
		open( options: { dir: string } ): {
			recordMany( entries: unknown[] ): void;
			query( query: { perPage: number } ): unknown;
			count(): number;
			close(): void;
		};
	};
}

const KINDS_OUT = [ 'status', 'status', 'status', 'keywords', 'content_update', 'term' ];
const OUTCOMES_OUT = [ 'delivered', 'delivered', 'delivered', 'failed', 'parked' ];

/** 100k plausible rows: 1 in 4 a call in, the rest delivery attempts, spread over 200 posts. */
function entry( i: number ): Record< string, unknown > {
	const postId = 1000 + ( i % 200 );
	if ( i % 4 === 0 ) {
		return { direction: 'in', kind: i % 8 === 0 ? 'publish' : 'lookup', route: i % 8 === 0 ? 'publish_content' : 'post_by_content_id', contentId: String( 700000 + ( i % 200 ) ), postId, outcome: i % 40 === 0 ? 'error' : 'ok', code: i % 40 === 0 ? 'POST_NOT_FOUND' : null, httpStatus: i % 40 === 0 ? 404 : 200, durationMs: 40 + ( i % 90 ), requestId: `00000000-0000-4000-8000-${ String( i ).padStart( 12, '0' ) }` };
	}
	const outcome = OUTCOMES_OUT[ i % OUTCOMES_OUT.length ] as string;
	return { direction: 'out', kind: KINDS_OUT[ i % KINDS_OUT.length ], target: `tasks/${ 5000 + ( i % 200 ) }`, contentId: String( 700000 + ( i % 200 ) ), postId, outcome, code: outcome === 'failed' ? 'HTTP_503' : null, durationMs: 20 + ( i % 60 ), attempts: 1 + ( i % 3 ), nextRetryAt: outcome === 'failed' ? Date.now() + 60_000 : null, error: outcome === 'delivered' ? null : 'IGNY8 answered HTTP 503 (Service Unavailable).' };
}

export async function activityBench( stack: Stack, rows: number, samples: number, log: ( m: string ) => void ): Promise< ActivityBenchResult > {
	await stack.stopSidecar();
	const modulePath = path.join( ROOT, 'sidecar/src/adapters/activity-log.ts' );
	const { SqliteActivityLog } = ( await import( modulePath ) ) as ActivityLogModule;
	const t0 = performance.now();
	let sidecarQueryMs = { p50: NaN, max: NaN };
	const activity = SqliteActivityLog.open( { dir: path.join( stack.stateDir, 'sidecar', 'sync' ) } );
	try {
		const missing = Math.max( 0, rows - activity.count() );
		for ( let done = 0; done < missing; done += 10_000 ) {
			activity.recordMany( Array.from( { length: Math.min( 10_000, missing - done ) }, ( _, j ) => entry( done + j ) ) );
		}
		log( `  activity log filled: ${ activity.count() } rows` );
		const own: number[] = [];
		for ( let i = 0; i < 20; i++ ) {
			const started = performance.now();
			activity.query( { perPage: 50 } );
			own.push( performance.now() - started );
		}
		sidecarQueryMs = { p50: median( own ), max: Math.max( ...own ) };
	} finally {
		activity.close();
	}
	const fillSeconds = ( performance.now() - t0 ) / 1000;
	await stack.startSidecar();

	const auth = await adminBasicAuth( stack );
	const queries = [ 'page=1&per_page=50', 'page=1&per_page=50&post_id=1042', 'page=1&per_page=50&outcome=failed', 'page=1&per_page=50&kind=publish', 'page=1&per_page=50&search=700042', 'page=200&per_page=50' ];
	const result: ActivityBenchRow[] = [];
	const referenceTimes: number[] = [];
	let total = 0;
	for ( const query of queries ) {
		const url = `${ stack.wpUrl }/wp-json/igny8/v1/activity?${ query }`;
		await timed( url, { headers: { Authorization: auth } } ); // warm-up
		const times: number[] = [];
		let errors = 0;
		for ( let i = 0; i < samples; i++ ) {
			if ( result.length === 0 ) {
				referenceTimes.push( ( await timed( `${ stack.wpUrl }/wp-json/wp/v2/users/me`, { headers: { Authorization: auth } } ) ).ms );
			}
			const r = await timed( url, { headers: { Authorization: auth } } );
			times.push( r.ms );
			if ( r.status !== 200 ) {
				errors++;
			}
			total ||= Number( ( r.body.data as { total?: number } | undefined )?.total ?? 0 );
		}
		result.push( { query, p50: median( times ), p95: p95( times ), errors } );
		log( `  GET /activity?${ query }: p50 ${ median( times ).toFixed( 0 ) } ms, p95 ${ p95( times ).toFixed( 0 ) } ms, ${ errors } errors` );
	}
	log( `  reference GET /wp/v2/users/me (same auth, interleaved with the first page): p50 ${ median( referenceTimes ).toFixed( 0 ) } ms, p95 ${ p95( referenceTimes ).toFixed( 0 ) } ms; sidecar query p50 ${ sidecarQueryMs.p50.toFixed( 2 ) } ms` );
	return { rows, fillSeconds, samples, total, reference: { p50: median( referenceTimes ), p95: p95( referenceTimes ) }, sidecarQueryMs, queries: result };
}
