/**
 * `npm run soak` (not part of CI): SOAK_MINUTES (default 5) of mixed traffic against one fresh stack, as fast as
 * the machine allows: IGNY8 publishes (both payload spellings, new posts and republishes with a status change),
 * lookups by content id / task id / status, WordPress-side status changes through core REST (which the sync
 * sends to IGNY8), site metadata. Loopback only; every loop is bounded by a deadline and an iteration cap.
 *
 * Afterwards it waits for the sync queue to drain and checks that IGNY8 (the simulator) and WordPress agree on
 * every post: one post per content id, every WordPress status as the last completed action left it, and for
 * posts whose last change was made in WordPress, IGNY8's task holds that status. Prints the figures; exits 1 on a
 * disagreement.
 *
 * Env: SOAK_MINUTES (5), SOAK_CLIENTS (4), SOAK_WP_PORT (8950), SOAK_SIDECAR_PORT (9050), SOAK_SIMULATOR_PORT
 * (9150), WP_STATE_DIR (.igny8/soak-wp).
 */
import fs from 'node:fs';
import path from 'node:path';

import { adminBasicAuth, median, p95, sidecarRss, sleep, timed, wpJson, type Timed } from '../bench/lib.js';
import { payloadA, payloadB, sampleContent } from '../simulator/src/publisher.js';
import { ROOT, startStack } from './stack.js';

const num = ( name: string, fallback: number ) => {
	const value = Number( process.env[ name ] ?? fallback );
	return Number.isFinite( value ) && value > 0 ? value : fallback;
};
const log = ( message: string ) => process.stdout.write( `${ message }\n` );
const minutes = num( 'SOAK_MINUTES', 5 );
const clients = Math.floor( num( 'SOAK_CLIENTS', 4 ) );
const MAX_ITERATIONS_PER_CLIENT = 1_000_000;

process.env.WP_STATE_DIR ??= path.join( ROOT, '.igny8/soak-wp' );
const stack = await startStack( {
	fresh: true,
	wpPort: num( 'SOAK_WP_PORT', 8950 ),
	sidecarPort: num( 'SOAK_SIDECAR_PORT', 9050 ),
	simulatorPort: num( 'SOAK_SIMULATOR_PORT', 9150 ),
	sidecarEnv: { SIDECAR_RATE_LIMIT_PER_MIN: '1000000' },
	log: ( m ) => log( `[stack] ${ m }` ),
} );

type Action = 'publish_new' | 'republish' | 'lookup' | 'wp_status' | 'metadata';
/** What a client last did to a post it owns, and so what both sides must show at the end. */
interface Tracked {
	contentId: number;
	taskId: number;
	postId: number;
	wpStatus: string;
	lastSource: 'igny8' | 'wordpress';
	wpChanges: number;
}

const IGNY8_TO_WP: Record< string, string > = { completed: 'publish', publish: 'publish', draft: 'draft', pending: 'pending' };
const WP_STATUSES = [ 'publish', 'draft', 'pending', 'private' ];
const stats: Record< Action, { ms: number[]; errors: number; statuses: Record< string, number > } > = {
	publish_new: { ms: [], errors: 0, statuses: {} },
	republish: { ms: [], errors: 0, statuses: {} },
	lookup: { ms: [], errors: 0, statuses: {} },
	wp_status: { ms: [], errors: 0, statuses: {} },
	metadata: { ms: [], errors: 0, statuses: {} },
};
const problems: string[] = [];
const tracked = new Map< number, Tracked >();
const pick = < T >( items: readonly T[] ): T => items[ Math.floor( Math.random() * items.length ) ] as T;

function record( action: Action, r: Timed, expected: number[] ): boolean {
	const s = stats[ action ];
	s.ms.push( r.ms );
	s.statuses[ r.status ] = ( s.statuses[ r.status ] ?? 0 ) + 1;
	const good = expected.includes( r.status );
	if ( ! good ) {
		s.errors++;
		if ( r.status >= 500 || r.status === 0 ) {
			problems.push( `${ action }: HTTP ${ r.status } ${ r.text.slice( 0, 200 ) }` );
		}
	}
	return good;
}

const auth = await adminBasicAuth( stack );
const rssStart = sidecarRss( stack );
const deadline = Date.now() + minutes * 60_000;
const started = Date.now();
log( `\nSoak: ${ minutes } min, ${ clients } clients, against ${ stack.wpUrl }` );

async function client( index: number ): Promise< void > {
	const owned: Tracked[] = [];
	let nextId = 2_000_000 + index * 100_000;
	for ( let i = 0; i < MAX_ITERATIONS_PER_CLIENT && Date.now() < deadline; i++ ) {
		const roll = Math.random();
		const action: Action = owned.length < 5 || roll < 0.2 ? 'publish_new' : roll < 0.35 ? 'republish' : roll < 0.7 ? 'lookup' : roll < 0.95 ? 'wp_status' : 'metadata';
		if ( action === 'publish_new' || action === 'republish' ) {
			const target = action === 'republish' ? pick( owned ) : undefined;
			const contentId = target?.contentId ?? nextId++;
			const spelling = Math.random() < 0.5 ? 'A' : 'B';
			const status = spelling === 'A' ? pick( [ 'completed', 'draft', 'pending' ] ) : pick( [ 'publish', 'draft', 'pending' ] );
			const content = sampleContent( contentId, { status, taskId: 5_000_000 + contentId, title: `Soak ${ contentId } ${ i }` } );
			const r = await timed( `${ stack.wpUrl }/wp-json/igny8/v1/${ Math.random() < 0.5 ? 'publish-content/' : 'publish' }`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json', 'X-IGNY8-API-KEY': stack.apiKey },
				body: JSON.stringify( spelling === 'A' ? payloadA( content ) : payloadB( content ) ),
			} );
			if ( ! record( action, r, target ? [ 200 ] : [ 201 ] ) ) {
				continue;
			}
			const data = r.body.data as { post_id: number; post_status: string };
			const want = IGNY8_TO_WP[ status ] as string;
			if ( data.post_status !== want ) {
				problems.push( `publish ${ contentId } (${ status }): post_status ${ data.post_status }, expected ${ want }` );
			}
			if ( target ) {
				if ( target.postId !== data.post_id ) {
					problems.push( `republish ${ contentId } answered post ${ data.post_id }, expected ${ target.postId }` );
				}
				target.wpStatus = data.post_status;
				target.lastSource = 'igny8';
			} else {
				const entry: Tracked = { contentId, taskId: content.taskId as number, postId: data.post_id, wpStatus: data.post_status, lastSource: 'igny8', wpChanges: 0 };
				owned.push( entry );
				tracked.set( contentId, entry );
			}
		} else if ( action === 'lookup' ) {
			const target = pick( owned );
			const route = pick( [ `post-by-content-id/${ target.contentId }`, `post-by-task-id/${ target.taskId }`, `post-status/${ target.contentId }` ] );
			const r = await timed( `${ stack.wpUrl }/wp-json/igny8/v1/${ route }`, { headers: { 'X-IGNY8-API-KEY': stack.apiKey } } );
			if ( record( action, r, [ 200 ] ) ) {
				const data = r.body.data as { post_id: number; wordpress_status: string };
				if ( data.post_id !== target.postId || data.wordpress_status !== target.wpStatus ) {
					problems.push( `lookup ${ route }: post ${ data.post_id } ${ data.wordpress_status }, expected ${ target.postId } ${ target.wpStatus }` );
				}
			}
		} else if ( action === 'wp_status' ) {
			const target = pick( owned );
			const status = pick( WP_STATUSES.filter( ( s ) => s !== target.wpStatus ) );
			const r = await timed( `${ stack.wpUrl }/wp-json/wp/v2/posts/${ target.postId }`, {
				method: 'POST',
				headers: { Authorization: auth, 'Content-Type': 'application/json' },
				body: JSON.stringify( { status } ),
			} );
			if ( record( action, r, [ 200 ] ) ) {
				target.wpStatus = status;
				target.lastSource = 'wordpress';
				target.wpChanges++;
			}
		} else {
			const r = await timed( `${ stack.wpUrl }/wp-json/igny8/v1/site-metadata/`, { headers: { 'X-IGNY8-API-KEY': stack.apiKey } } );
			record( action, r, [ 200 ] );
		}
	}
}

let rssPeak = rssStart.serverMiB;
const sampler = setInterval( () => {
	rssPeak = Math.max( rssPeak, sidecarRss( stack ).serverMiB );
}, 500 );
const progress = setInterval( () => {
	const done = Object.values( stats ).reduce( ( sum, s ) => sum + s.ms.length, 0 );
	log( `  ${ ( ( Date.now() - started ) / 1000 ).toFixed( 0 ) } s: ${ done } requests, ${ tracked.size } posts, ${ problems.length } problems` );
}, 30_000 );
await Promise.all( Array.from( { length: clients }, ( _v, i ) => client( i ) ) );
clearInterval( progress );
const trafficSeconds = ( Date.now() - started ) / 1000;

// ------------------------------------------------------------------------------------------------ agreement

interface WpRow {
	content_id: number;
	posts: number;
	post_id: number;
	status: string;
}
async function wordpressView(): Promise< Map< number, WpRow > > {
	const ids = [ ...tracked.keys() ];
	const rows = await wpJson< WpRow[] >(
		stack,
		`global $wpdb;
		$out = array();
		foreach ( array_chunk( json_decode( '${ JSON.stringify( ids ) }', true ), 500 ) as $chunk ) {
			$in = "'" . implode( "','", array_map( 'intval', $chunk ) ) . "'";
			foreach ( $wpdb->get_results( "SELECT m.meta_value + 0 AS content_id, COUNT(*) AS posts, MAX( p.ID ) AS post_id, MAX( p.post_status ) AS status FROM {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id WHERE m.meta_key = '_igny8_content_id' AND p.post_type <> 'revision' AND m.meta_value IN ( $in ) GROUP BY m.meta_value", ARRAY_A ) as $row ) {
				$out[] = array( 'content_id' => (int) $row['content_id'], 'posts' => (int) $row['posts'], 'post_id' => (int) $row['post_id'], 'status' => $row['status'] );
			}
		}
		return $out;`
	);
	return new Map( rows.map( ( row ) => [ row.content_id, row ] ) );
}

/** Posts whose last change was made in WordPress and whose IGNY8 task does not (yet) show that status. */
function igny8Lagging(): Tracked[] {
	return [ ...tracked.values() ].filter( ( t ) => t.lastSource === 'wordpress' && stack.simulator.tasks.get( String( t.taskId ) )?.wordpress_status !== t.wpStatus );
}

const drainStart = Date.now();
let lagging = igny8Lagging();
while ( lagging.length > 0 && Date.now() - drainStart < 180_000 ) {
	await sleep( 250 );
	lagging = igny8Lagging();
}
const convergeSeconds = ( Date.now() - drainStart ) / 1000;
clearInterval( sampler );
const rssEnd = sidecarRss( stack );

const wp = await wordpressView();
let duplicates = 0;
let lostWrites = 0;
let missing = 0;
for ( const t of tracked.values() ) {
	const row = wp.get( t.contentId );
	if ( ! row ) {
		missing++;
		problems.push( `content ${ t.contentId }: no post in WordPress` );
		continue;
	}
	if ( row.posts !== 1 ) {
		duplicates++;
		problems.push( `content ${ t.contentId }: ${ row.posts } posts` );
	}
	if ( row.status !== t.wpStatus ) {
		lostWrites++;
		problems.push( `content ${ t.contentId }: WordPress says ${ row.status }, the last completed action left ${ t.wpStatus }` );
	}
}
for ( const t of lagging ) {
	problems.push( `task ${ t.taskId }: IGNY8 has ${ String( stack.simulator.tasks.get( String( t.taskId ) )?.wordpress_status ) }, WordPress ${ t.wpStatus } (lost status)` );
}
const puts = stack.simulator.received.filter( ( r ) => r.method === 'PUT' && r.path.startsWith( '/api/v1/writer/tasks/' ) ).length;
const wpChanges = [ ...tracked.values() ].reduce( ( sum, t ) => sum + t.wpChanges, 0 );
await stack.stop();

// --------------------------------------------------------------------------------------------------- report

const total = Object.values( stats ).reduce( ( sum, s ) => sum + s.ms.length, 0 );
log( `\nSoak figures (${ trafficSeconds.toFixed( 0 ) } s of traffic, ${ clients } clients, WordPress ${ stack.wpVersion } ${ stack.wpDb }):` );
log( `  requests: ${ total } (${ ( total / trafficSeconds ).toFixed( 1 ) }/s)` );
for ( const [ action, s ] of Object.entries( stats ) ) {
	log(
		`  ${ action.padEnd( 12 ) } ${ String( s.ms.length ).padStart( 6 ) } (${ ( s.ms.length / trafficSeconds ).toFixed( 1 ) }/s)  p50 ${ median( s.ms ).toFixed( 0 ) } ms  p95 ${ p95( s.ms ).toFixed( 0 ) } ms  ` +
			`errors ${ s.errors }  statuses ${ Object.entries( s.statuses ).map( ( [ k, v ] ) => `${ k }×${ v }` ).join( ' ' ) }`
	);
}
log( `  posts: ${ tracked.size }; duplicates ${ duplicates }; missing ${ missing }; WordPress status differing from the last action ${ lostWrites }` );
log( `  WordPress-side status changes: ${ wpChanges } → ${ puts } task PUTs received by IGNY8 (changes of one post coalesce)` );
log( `  IGNY8 agreed with WordPress on every post ${ lagging.length === 0 ? `${ convergeSeconds.toFixed( 1 ) } s after the traffic stopped` : `NOT within 180 s (${ lagging.length } posts behind)` }` );
log( `  sidecar RSS: ${ rssStart.serverMiB.toFixed( 0 ) } MiB at start, ${ rssPeak.toFixed( 0 ) } MiB peak, ${ rssEnd.serverMiB.toFixed( 0 ) } MiB at the end` );
log( problems.length ? `  PROBLEMS (${ problems.length }):\n    ${ problems.slice( 0, 30 ).join( '\n    ' ) }` : '  problems: none' );

const outDir = path.join( ROOT, '.igny8/bench-results' );
fs.mkdirSync( outDir, { recursive: true } );
const when = new Date().toISOString();
fs.writeFileSync(
	path.join( outDir, `soak-${ when.replace( /[:.]/g, '-' ) }.json` ),
	JSON.stringify(
		{
			when,
			minutes,
			clients,
			trafficSeconds,
			requests: total,
			perAction: Object.fromEntries( Object.entries( stats ).map( ( [ k, s ] ) => [ k, { count: s.ms.length, p50: median( s.ms ), p95: p95( s.ms ), errors: s.errors, statuses: s.statuses } ] ) ),
			posts: tracked.size,
			duplicates,
			missing,
			lostWrites,
			wpChanges,
			taskPuts: puts,
			convergeSeconds,
			lagging: lagging.length,
			rss: { start: rssStart.serverMiB, peak: rssPeak, end: rssEnd.serverMiB },
			problems,
		},
		null,
		2
	)
);
process.exit( problems.length ? 1 : 0 );
