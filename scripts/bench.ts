/**
 * `npm run bench`: the IGNY8 Bridge (PHP shim + sidecar) against an all-PHP baseline plugin that does the same
 * publish writes in one PHP request (bench/baseline-plugin/, bench-only, never shipped), on one fresh WordPress.
 * Prints a table and writes JSON to .igny8/bench-results/.
 *
 * Own ports and state dir (WP 8980, sidecar 9080, simulator 9180, WP_STATE_DIR=.igny8/bench-wp) so it never
 * touches the dev site or a test run. The machine is shared: every comparison is side by side in one run,
 * alternating, in rounds; read the ratios and the round ranges, not the absolute milliseconds.
 *
 * Knobs (env): BENCH_PUBLISHES (200 per side), BENCH_ROUNDS (4), BENCH_CONCURRENCY_PER_LEVEL (40 per round),
 * BENCH_CONCURRENCY_ROUNDS (3), BENCH_TOGGLE_ROUNDS (6), BENCH_TOGGLE_BLOCK (12), BENCH_SAVE_GAP_MS (250), BENCH_SYNC_SAMPLES (40),
 * BENCH_SYNC_DRAIN (1000), BENCH_ONLY (comma list of latency,concurrency,toggle,sync,footprint),
 * BENCH_SIDECAR (release = the release tarball installed into a temporary prefix and run with plain node, as the
 * systemd unit runs it, the default; source = sidecar/src through tsx, as npm start runs it).
 */
import fs from 'node:fs';
import path from 'node:path';

import { fmtMs, fmtRatio, fmtSpread, sleep, table } from '../bench/lib.js';
import { concurrency, editorBundle, IDS, pluginToggle, publishLatency, sidecarRss, syncBench, type ConcurrencyRow, type LatencyResult, type SameIdRow, type SyncResult, type ToggleResult } from '../bench/scenarios.js';
import { DIST, release } from './release.js';
import { installSidecarTarball } from './sidecar-install.js';
import { ROOT, startStack } from './stack.js';
import { releaseVersion } from './versions.js';

const num = ( name: string, fallback: number ) => {
	const value = Number( process.env[ name ] ?? fallback );
	return Number.isFinite( value ) && value > 0 ? value : fallback;
};
const only = new Set( ( process.env.BENCH_ONLY ?? 'latency,concurrency,toggle,sync,footprint' ).split( ',' ).map( ( s ) => s.trim() ) );
const log = ( message: string ) => process.stdout.write( `${ message }\n` );

process.env.WP_STATE_DIR ??= path.join( ROOT, '.igny8/bench-wp' );
const fromRelease = ( process.env.BENCH_SIDECAR ?? 'release' ) === 'release';
let sidecarCommand: string[] | undefined;
let sidecarPrefix: string | undefined;
if ( fromRelease ) {
	// Always this checkout's code: an older tarball would measure (or be refused as) another version.
	await release();
	const tgz = path.join( DIST, `igny8-bridge-sidecar-${ releaseVersion() }.tgz` );
	const installed = await installSidecarTarball( tgz );
	sidecarPrefix = installed.prefix;
	// What the systemd unit gives it: NODE_OPTIONS as flags of plain node, MALLOC_ARENA_MAX=2 (through sidecarEnv below).
	sidecarCommand = [ process.execPath, '--max-semi-space-size=1', installed.entry, 'start' ];
	log( `[bench] sidecar from ${ path.relative( ROOT, tgz ) } (installed in ${ installed.seconds.toFixed( 1 ) } s), run with plain node` );
}
const stack = await startStack( {
	sidecarCommand,
	fresh: true,
	wpPort: num( 'BENCH_WP_PORT', 8980 ),
	sidecarPort: num( 'BENCH_SIDECAR_PORT', 9080 ),
	simulatorPort: num( 'BENCH_SIMULATOR_PORT', 9180 ),
	extraPluginDirs: [ path.join( ROOT, 'bench/baseline-plugin' ) ],
	// The per-site limit (600/min) is for production; a bench measures speed, not the limiter.
	sidecarEnv: { SIDECAR_RATE_LIMIT_PER_MIN: '1000000', ...( fromRelease ? { MALLOC_ARENA_MAX: '2' } : {} ) },
	log: ( m ) => log( `[stack] ${ m }` ),
} );

const results: {
	when: string;
	machine: { cpus: number; node: string; wordpress: string; db: string };
	latency?: LatencyResult;
	concurrency?: { rows: ConcurrencyRow[]; sameId: SameIdRow[] };
	toggle?: ToggleResult;
	sync?: SyncResult;
	footprint?: {
		sidecar: 'release' | 'source';
		idle: { serverMiB: number; groupMiB: number };
		underLoadMaxMiB: { serverMiB: number; groupMiB: number };
		after: { serverMiB: number; groupMiB: number };
		startupMs: number[];
		bundle?: ReturnType< typeof editorBundle >;
	};
} = {
	when: new Date().toISOString(),
	machine: { cpus: ( await import( 'node:os' ) ).cpus().length, node: process.version, wordpress: stack.wpVersion, db: stack.wpDb },
};

try {
	// The baseline authenticates with the same key and header, against its own stored HMAC.
	await stack.wpEval( `update_option( 'igny8_baseline_key_hmac', hash_hmac( 'sha256', ${ JSON.stringify( stack.apiKey ) }, wp_salt( 'auth' ) ) );` );
	await sleep( 3000 );
	const idle = sidecarRss( stack );
	let peak = { ...idle };
	const sample = () => {
		const now = sidecarRss( stack );
		peak = { serverMiB: Math.max( peak.serverMiB, now.serverMiB ), groupMiB: Math.max( peak.groupMiB, now.groupMiB ) };
	};
	const sampler = setInterval( sample, 100 );

	if ( only.has( 'latency' ) ) {
		log( '\n1. publish latency, ours vs the all-PHP baseline (interleaved)' );
		results.latency = await publishLatency( stack, num( 'BENCH_PUBLISHES', 200 ), num( 'BENCH_ROUNDS', 4 ), log );
	}
	if ( only.has( 'concurrency' ) ) {
		log( '\n2. concurrency' );
		results.concurrency = await concurrency( stack, [ 1, 4, 8 ], num( 'BENCH_CONCURRENCY_PER_LEVEL', 40 ), num( 'BENCH_CONCURRENCY_ROUNDS', 3 ), log, sample );
	}
	if ( only.has( 'toggle' ) ) {
		log( '\n3 + 5. editor save and front-end views, plugin active vs inactive' );
		results.toggle = await pluginToggle( stack, num( 'BENCH_TOGGLE_ROUNDS', 6 ), num( 'BENCH_TOGGLE_BLOCK', 12 ), num( 'BENCH_SAVE_GAP_MS', 250 ), log );
	}
	if ( only.has( 'sync' ) ) {
		log( '\n4. sync (WordPress → IGNY8)' );
		try {
			results.sync = await syncBench( stack, num( 'BENCH_SYNC_SAMPLES', 40 ), num( 'BENCH_SYNC_DRAIN', 1000 ), log );
		} catch ( error ) {
			results.sync = { available: false, reason: ( error as Error ).message };
		}
		if ( ! results.sync.available ) {
			log( `  sync: not available yet (${ results.sync.reason })` );
		}
	}
	clearInterval( sampler );
	if ( only.has( 'footprint' ) ) {
		const after = sidecarRss( stack );
		// Start-up: spawn → /healthz answers, over 3 restarts on the same store.
		const startupMs: number[] = [];
		for ( let i = 0; i < 3; i++ ) {
			await stack.stopSidecar();
			const t0 = performance.now();
			await stack.startSidecar();
			startupMs.push( performance.now() - t0 );
		}
		results.footprint = { sidecar: fromRelease ? 'release' : 'source', idle, underLoadMaxMiB: peak, after, startupMs, bundle: editorBundle( ROOT ) };
	}
} finally {
	await stack.stop();
	if ( sidecarPrefix !== undefined ) {
		fs.rmSync( sidecarPrefix, { recursive: true, force: true } );
	}
}

// -------------------------------------------------------------------------------------------------- report

const rows: Array< [ string, string, string? ] > = [ [ 'measure', 'result', 'target' ] ];
const verdict = ( okay: boolean ) => ( okay ? 'met' : 'NOT met' );
const l = results.latency;
if ( l ) {
	rows.push( [ `publish p50 / p95, ours (${ l.perSide } publishes)`, `${ fmtMs( l.ours.p50 ) } / ${ fmtMs( l.ours.p95 ) }, ${ l.ours.errors } errors` ] );
	rows.push( [ `publish p50 / p95, all-PHP baseline (${ l.perSide })`, `${ fmtMs( l.baseline.p50 ) } / ${ fmtMs( l.baseline.p95 ) }, ${ l.baseline.errors } errors` ] );
	rows.push( [ 'ratio p50 ours / baseline', `${ fmtRatio( l.ratioP50 ) }; per round ${ fmtSpread( l.ratioP50Rounds ) }`, `≤ 1.25: ${ verdict( l.ratioP50 <= 1.25 ) }` ] );
	const o = l.profile.ours;
	const b = l.profile.baseline;
	rows.push( [ '  profile: bare WP bootstrap + REST (noop)', fmtMs( l.profile.bareBootstrapP50 ) ] );
	rows.push( [ '  profile ours: boot / pre / lock / write / post', `${ fmtMs( o.boot ?? NaN ) } / ${ fmtMs( o.pre ?? NaN ) } / ${ fmtMs( o.lock ?? NaN ) } / ${ fmtMs( o.write ?? NaN ) } / ${ fmtMs( o.post ?? NaN ) } (PHP ${ fmtMs( o.php ?? NaN ) }, client ${ fmtMs( o.client ?? NaN ) })` ] );
	rows.push( [ '  profile baseline: boot / pre / write / post', `${ fmtMs( b.boot ?? NaN ) } / ${ fmtMs( b.pre ?? NaN ) } / ${ fmtMs( b.write ?? NaN ) } / ${ fmtMs( b.post ?? NaN ) } (PHP ${ fmtMs( b.php ?? NaN ) }, client ${ fmtMs( b.client ?? NaN ) })` ] );
	rows.push( [ '  profile: sidecar compute per publish (2 rounds)', fmtMs( l.profile.sidecarComputeP50 ) ] );
	rows.push( [ '  profile: SQL queries per publish ours | baseline', `${ l.queries.ours } | ${ l.queries.baseline }` ] );
	rows.push( [ '  profile: ratio p50 when publishing drafts', fmtRatio( l.profile.draftRatioP50 ) ] );
}
const c = results.concurrency;
if ( c ) {
	for ( const clients of [ ...new Set( c.rows.map( ( r ) => r.clients ) ) ] ) {
		const ours = c.rows.find( ( r ) => r.clients === clients && r.side === 'ours' );
		const base = c.rows.find( ( r ) => r.clients === clients && r.side === 'baseline' );
		if ( ours && base ) {
			rows.push( [
				`${ clients } client(s), distinct ids: posts/s ours | baseline`,
				`${ fmtRatio( ours.postsPerSecond.median ) } | ${ fmtRatio( base.postsPerSecond.median ) }; errors ${ ours.errors } | ${ base.errors }; duplicates ${ ours.duplicates } | ${ base.duplicates }`,
				`dup 0: ${ verdict( ours.duplicates === 0 && ours.missing <= 0 ) }`,
			] );
		}
	}
	for ( const s of c.sameId ) {
		rows.push( [ `${ s.clients } clients × ${ s.requests } on ONE content id, ${ s.side }`, `${ s.posts } post(s); statuses ${ Object.entries( s.statuses ).map( ( [ k, v ] ) => `${ k }×${ v }` ).join( ' ' ) }`, s.side === 'ours' ? `1 post: ${ verdict( s.posts === 1 ) }` : 'reference' ] );
	}
}
const t = results.toggle;
if ( t ) {
	rows.push( [ 'editor save (REST, managed post) active / inactive', `${ fmtMs( t.save.activeP50 ) } / ${ fmtMs( t.save.inactiveP50 ) }; ratio ${ fmtSpread( t.save.ratio ) }`, `≤ 1.10: ${ verdict( t.save.ratio.median <= 1.1 ) }` ] );
	const sp = t.save.profile;
	rows.push( [
		'  profile: PHP until reply | shutdown work | queries',
		`active ${ fmtMs( sp.active.restP50 ) } | ${ fmtMs( sp.active.shutdownP50 ) } | ${ sp.active.queries }; inactive ${ fmtMs( sp.inactive.restP50 ) } | ${ fmtMs( sp.inactive.shutdownP50 ) } | ${ sp.inactive.queries }`,
	] );
}
const s = results.sync;
if ( s ) {
	if ( s.available ) {
		rows.push( [ 'sync: status change → IGNY8 received, p50 / p95', `${ fmtMs( s.latency.p50 ) } / ${ fmtMs( s.latency.p95 ) } (max ${ fmtMs( s.latency.max ) }, ${ s.latency.samples } changes, ${ s.latency.missed } missed)`, `p95 ≤ 1 s: ${ verdict( s.latency.p95 <= 1000 ) }` ] );
		rows.push( [
			`sync: drain ${ s.drain.jobs } queued changes (Sync all pending)`,
			`${ s.drain.received }/${ s.drain.jobs } delivered in ${ s.drain.seconds.toFixed( 1 ) } s = ${ s.drain.jobsPerSecond.toFixed( 0 ) } jobs/s`,
		] );
	} else {
		rows.push( [ 'sync', `not available yet (${ s.reason })` ] );
	}
}
const f = results.footprint;
if ( f ) {
	const how = f.sidecar === 'release' ? 'release tarball, plain node as the systemd unit runs it' : 'source: node server | + tsx launcher';
	rows.push( [
		`sidecar RSS idle (${ how })`,
		f.sidecar === 'release' ? `${ f.idle.serverMiB.toFixed( 0 ) } MiB` : `${ f.idle.serverMiB.toFixed( 0 ) } MiB | ${ f.idle.groupMiB.toFixed( 0 ) } MiB`,
		f.sidecar === 'release' ? `≤ 70 MiB: ${ verdict( f.idle.serverMiB <= 70 ) }` : undefined,
	] );
	rows.push( [ 'sidecar RSS peak under load | after', `${ f.underLoadMaxMiB.serverMiB.toFixed( 0 ) } MiB | ${ f.after.serverMiB.toFixed( 0 ) } MiB` ] );
	const sorted = [ ...f.startupMs ].sort( ( a, b ) => a - b );
	rows.push( [ 'sidecar start-up (spawn → /healthz), median of 3', `${ fmtMs( sorted[ 1 ] ?? NaN ) } (${ sorted.map( ( ms ) => fmtMs( ms ) ).join( ', ' ) })` ] );
	rows.push( [ 'editor bundle (plugin-php-shim/build/*.js)', f.bundle ? `${ f.bundle.gzipKiB.toFixed( 1 ) } KiB gzipped (${ f.bundle.rawKiB.toFixed( 1 ) } KiB raw, ${ f.bundle.files } files)` : 'not built (npm run build)' ] );
}
if ( t ) {
	for ( const [ label, v ] of [ [ 'front page GET /', t.frontPage ], [ 'unrelated post permalink', t.permalink ] ] as const ) {
		rows.push( [ `${ label } active / inactive (client)`, `${ fmtMs( v.activeP50 ) } / ${ fmtMs( v.inactiveP50 ) }; ratio ${ fmtSpread( v.ratio ) }` ] );
		rows.push( [
			`  inside PHP active / inactive | queries`,
			`${ fmtMs( v.serverActiveP50 ) } / ${ fmtMs( v.serverInactiveP50 ) } = +${ fmtMs( v.serverActiveP50 - v.serverInactiveP50 ) } (×${ fmtRatio( v.serverActiveP50 / v.serverInactiveP50 ) }) | ${ v.queries.active } / ${ v.queries.inactive }`,
		] );
	}
}

log( `\nIGNY8 Bridge bench — WordPress ${ results.machine.wordpress } (${ results.machine.db }), ${ results.machine.cpus } CPUs, Node ${ results.machine.node }, ${ results.when }` );
log( table( rows ) );

const outDir = path.join( ROOT, '.igny8/bench-results' );
fs.mkdirSync( outDir, { recursive: true } );
const file = path.join( outDir, `bench-${ results.when.replace( /[:.]/g, '-' ) }.json` );
fs.writeFileSync( file, JSON.stringify( { ...results, ids: IDS, table: rows }, null, 2 ) );
fs.copyFileSync( file, path.join( outDir, 'latest.json' ) );
log( `\nJSON: ${ path.relative( ROOT, file ) } (and .igny8/bench-results/latest.json)` );

