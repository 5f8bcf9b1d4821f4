/**
 * `npm run bench`: the IGNY8 Bridge (PHP shim + sidecar) against an all-PHP baseline plugin that does the same
 * publish writes in one PHP request (bench/baseline-plugin/, bench-only, never shipped), on one fresh WordPress.
 * Prints a table and writes JSON to .igny8/bench-results/.
 *
 * Own ports and state dir (WP 8980, sidecar 9080, simulator 9180, WP_STATE_DIR=.igny8/bench-wp) so it never
 * touches the dev site or a test run. The machine is shared: every comparison is side by side in one run,
 * alternating, in rounds; read the ratios and the round ranges, not the absolute milliseconds.
 *
 * Every comparison prints the median of its per-round ratios and their range; every target of issue #15 is printed
 * with met / NOT met, in the table and again in a summary at the end.
 *
 * Knobs (env): BENCH_DB (sqlite | mariadb) and BENCH_SERVER (php = php -S | nginx | apache, + PHP-FPM): the instance,
 * default sqlite + php; `BENCH_DB=mariadb BENCH_SERVER=nginx` is the production instance (MariaDB on BENCH_WP_PORT +
 * 1000, PHP-FPM on + 5, state in .igny8/bench-wp-mariadb-nginx), whose targets the table prints. BENCH_WP_PORT / BENCH_SIDECAR_PORT / BENCH_SIMULATOR_PORT (8980 / 9080 / 9180; `npm start` is timed on
 * BENCH_WP_PORT + 40…42), BENCH_PUBLISHES (200 per side), BENCH_ROUNDS (4),
 * BENCH_PUBLISH_GAP_MS (300: a pause after each timed publish, so the sidecar's work after ours ends before the next;
 * without it that work landed on the baseline's next publish: MariaDB p50 ratio 0.91 without, 1.04 with),
 * BENCH_LOOKUP_ROUNDS (5),
 * BENCH_LOOKUP_PAIRS (30), BENCH_CONCURRENCY_PER_LEVEL (40 per round), BENCH_CONCURRENCY_ROUNDS (3),
 * BENCH_TOGGLE_ROUNDS (4), BENCH_TOGGLE_PAIRS (at least 24 adjacent active/inactive pairs per save kind and round),
 * BENCH_VIEW_PAIRS (at least 48 per page-view kind and round; fewer, larger rounds: for the same time the rounds'
 * range is narrower than with 6 × 16), BENCH_TOGGLE_CI (0.04: a round goes on, 2 pairs at a time, until the 95%
 * confidence half-width of its CPU ratio is ±4% or less; 0 = exactly the counts above), BENCH_TOGGLE_CI_CLIENT (0:
 * when > 0, the client-time ratio must be that tight too), BENCH_TOGGLE_MAX_PAIRS / BENCH_VIEW_MAX_PAIRS (4 × the
 * least: the caps), BENCH_TOGGLE_WARMUP (2 pairs per kind and round, discarded),
 * BENCH_SAVE_GAP_MS (250: at least this after a save, then until the instance's CPU is quiet), BENCH_VIEW_IGNY8_POSTS (7
 * IGNY8 posts published before the toggle rounds, so that the front page lists 9 IGNY8 posts and 1 other whatever ran
 * before; 0–8),
 * BENCH_SYNC_SAMPLES (40), BENCH_SYNC_DRAIN (1000), BENCH_START_RUNS (3: one cold, two warm),
 * BENCH_IDLE_SETTLE_MS (20000: the idle RSS is sampled 3 s after start and again this much later), BENCH_ACTIVITY_ROWS (100000), BENCH_ACTIVITY_SAMPLES (20),
 * BENCH_HOSTED_SITES (1000), BENCH_HOSTED_CHANGES (10 per site), BENCH_HOSTED_NOISY (5000), BENCH_HOSTED_PORT_BASE (9400: +0…+6,
 * see bench/hosted.ts),
 * BENCH_ONLY (comma list of latency,lookup,concurrency,toggle,queries,sync,activity,footprint,start,hosted; toggle includes queries;
 * `hosted` alone starts no WordPress),
 * BENCH_SIDECAR (release = the release tarball installed into a temporary prefix and run with plain node, as the
 * systemd unit runs it, the default; source = sidecar/src through tsx, as npm start runs it).
 */
import fs from 'node:fs';
import path from 'node:path';

import { activityBench, type ActivityBenchResult } from '../bench/activity.js';
import { hostedAnalysis, hostedBench, type HostedResult } from '../bench/hosted.js';
import { readmeTable } from '../bench/readme-table.js';
import { fmtMs, fmtRatio, fmtSpread, halfRange, sleep, STEADY, table } from '../bench/lib.js';
import {
	concurrency,
	editorBundle,
	IDS,
	lookups,
	npmStartTimes,
	pluginToggle,
	publishLatency,
	saveQueries,
	sidecarRss,
	syncBench,
	togglePairsText,
	type ConcurrencyRow,
	type LatencyResult,
	type LookupResult,
	type PairedMeasure,
	type SameIdRow,
	type SyncResult,
	type ToggleResult,
} from '../bench/scenarios.js';
import { DIST, release } from './release.js';
import { installSidecarTarball } from './sidecar-install.js';
import { ROOT, startStack } from './stack.js';
import { releaseVersion } from './versions.js';

const num = ( name: string, fallback: number ) => {
	const value = Number( process.env[ name ] ?? fallback );
	return Number.isFinite( value ) && value > 0 ? value : fallback;
};
const only = new Set( ( process.env.BENCH_ONLY ?? 'latency,lookup,concurrency,toggle,sync,activity,footprint,start,hosted' ).split( ',' ).map( ( s ) => s.trim() ) );
const stackNeeded = [ ...only ].some( ( name ) => name !== 'hosted' );
const log = ( message: string ) => process.stdout.write( `${ message }\n` );

// The instance: BENCH_DB=mariadb BENCH_SERVER=nginx is the production shape (nginx + PHP-FPM + MariaDB, the release
// work's instance); the default is php -S + SQLite. Each instance has its own state dir (MariaDB on BENCH_WP_PORT +
// 1000, PHP-FPM on BENCH_WP_PORT + 5: scripts/wp-runtime.sh).
// `npm start` (the `start` scenario) runs as the user's shell would run it, not on the bench's instance.
const userInstance = { WP_DB: process.env.WP_DB ?? 'sqlite', WP_SERVER: process.env.WP_SERVER ?? 'php' };
const benchDb = process.env.BENCH_DB ?? process.env.WP_DB ?? 'sqlite';
const benchServer = process.env.BENCH_SERVER ?? process.env.WP_SERVER ?? 'php';
if ( ! [ 'sqlite', 'mariadb' ].includes( benchDb ) || ! [ 'php', 'nginx', 'apache' ].includes( benchServer ) ) {
	throw new Error( `BENCH_DB must be sqlite or mariadb, BENCH_SERVER php, nginx or apache (got ${ benchDb }, ${ benchServer })` );
}
process.env.WP_DB = benchDb;
process.env.WP_SERVER = benchServer;
process.env.WP_STATE_DIR ??= path.join( ROOT, benchDb === 'sqlite' && benchServer === 'php' ? '.igny8/bench-wp' : `.igny8/bench-wp-${ benchDb }-${ benchServer }` );
const fromRelease = ( process.env.BENCH_SIDECAR ?? 'release' ) === 'release';
let sidecarCommand: string[] | undefined;
let sidecarPrefix: string | undefined;
if ( fromRelease && stackNeeded ) {
	// Always this checkout's code: an older tarball would measure (or be refused as) another version.
	await release();
	const tgz = path.join( DIST, `igny8-bridge-sidecar-${ releaseVersion() }.tgz` );
	const installed = await installSidecarTarball( tgz );
	sidecarPrefix = installed.prefix;
	// What the systemd unit gives it: NODE_OPTIONS as flags of plain node, MALLOC_ARENA_MAX=2 (through sidecarEnv below).
	// BENCH_SIDECAR_CPU_PROF=DIR: the sidecar writes a V8 CPU profile there when it stops (node --cpu-prof).
	const prof = process.env.BENCH_SIDECAR_CPU_PROF ? [ '--cpu-prof', `--cpu-prof-dir=${ path.resolve( process.env.BENCH_SIDECAR_CPU_PROF ) }` ] : [];
	sidecarCommand = [ process.execPath, '--max-semi-space-size=1', ...prof, installed.entry, 'start' ];
	log( `[bench] sidecar from ${ path.relative( ROOT, tgz ) } (installed in ${ installed.seconds.toFixed( 1 ) } s), run with plain node` );
}
// Only the `hosted` scenario asked for: it brings its own sidecars, PostgreSQL and simulator, no WordPress.
const stack = ! stackNeeded
	? undefined
	: await startStack( {
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

const dbName = stack?.wpDb ?? 'n/a';
const server = benchServer;
const instance = `${ dbName }, ${ server === 'php' ? 'php -S' : `${ server } + PHP-FPM` }`;
const results: {
	when: string;
	machine: { cpus: number; node: string; wordpress: string; db: string; server: string };
	latency?: LatencyResult;
	lookups?: LookupResult;
	concurrency?: { rows: ConcurrencyRow[]; sameId: SameIdRow[] };
	toggle?: ToggleResult;
	saveQueries?: Record< string, string[] >;
	sync?: SyncResult;
	activity?: ActivityBenchResult;
	footprint?: {
		sidecar: 'release' | 'source';
		idle: { serverMiB: number; groupMiB: number };
		/** The same, after BENCH_IDLE_SETTLE_MS more without a request (afterMs: since the stack was ready). */
		idleSettled: { serverMiB: number; groupMiB: number; afterMs: number };
		underLoadMaxMiB: { serverMiB: number; groupMiB: number };
		/** Peak while 8 clients publish (the concurrency run's 8-client level). */
		peak8MiB?: { serverMiB: number; groupMiB: number };
		after: { serverMiB: number; groupMiB: number };
		startupMs: number[];
		bundle?: ReturnType< typeof editorBundle >;
	};
	npmStartMs?: number[];
	hosted?: HostedResult;
	hostedAnalysis?: ReturnType< typeof hostedAnalysis >;
} = {
	when: new Date().toISOString(),
	machine: { cpus: ( await import( 'node:os' ) ).cpus().length, node: process.version, wordpress: stack?.wpVersion ?? 'n/a', db: dbName, server },
};

// eslint-disable-next-line curly -- the WordPress scenarios, when any was asked for (kept unindented).
if ( stack ) try {
	// The baseline authenticates with the same key and header, against its own stored HMAC.
	await stack.wpEval( `update_option( 'igny8_baseline_key_hmac', hash_hmac( 'sha256', ${ JSON.stringify( stack.apiKey ) }, wp_salt( 'auth' ) ) );` );
	// Per-request "plugin inactive" for the interleaved active / inactive comparisons.
	fs.mkdirSync( path.join( stack.stateDir, 'site/wp-content/mu-plugins' ), { recursive: true } );
	fs.copyFileSync( path.join( ROOT, 'bench/mu-plugin/igny8-bench-toggle.php' ), path.join( stack.stateDir, 'site/wp-content/mu-plugins/igny8-bench-toggle.php' ) );
	await sleep( 3000 );
	const idle = sidecarRss( stack );
	// The same process once it has been idle a while (V8's memory reducer runs after some seconds without work): what
	// a sidecar between requests holds. Reported beside the target, which stays on the 3 s figure above.
	const settleMs = only.has( 'footprint' ) ? num( 'BENCH_IDLE_SETTLE_MS', 20_000 ) : 0;
	await sleep( settleMs );
	const idleSettled = { ...sidecarRss( stack ), afterMs: 3000 + settleMs };
	let peak = { ...idle };
	let peak8: { serverMiB: number; groupMiB: number } | undefined;
	const sample = ( clients?: number ) => {
		const now = sidecarRss( stack );
		peak = { serverMiB: Math.max( peak.serverMiB, now.serverMiB ), groupMiB: Math.max( peak.groupMiB, now.groupMiB ) };
		if ( clients === 8 ) {
			peak8 = { serverMiB: Math.max( peak8?.serverMiB ?? 0, now.serverMiB ), groupMiB: Math.max( peak8?.groupMiB ?? 0, now.groupMiB ) };
		}
	};
	const sampler = setInterval( sample, 100 );

	if ( only.has( 'latency' ) ) {
		log( '\n1. publish latency, ours vs the all-PHP baseline (interleaved)' );
		results.latency = await publishLatency( stack, num( 'BENCH_PUBLISHES', 200 ), num( 'BENCH_ROUNDS', 4 ), log, Number( process.env.BENCH_PUBLISH_GAP_MS ?? 300 ) || 0 );
	}
	if ( only.has( 'lookup' ) ) {
		log( '\n1b. lookups, ours vs the all-PHP baseline (interleaved per request)' );
		results.lookups = await lookups( stack, num( 'BENCH_LOOKUP_ROUNDS', 5 ), num( 'BENCH_LOOKUP_PAIRS', 30 ), log );
	}
	if ( only.has( 'concurrency' ) ) {
		log( '\n2. concurrency' );
		results.concurrency = await concurrency( stack, [ 1, 4, 8 ], num( 'BENCH_CONCURRENCY_PER_LEVEL', 40 ), num( 'BENCH_CONCURRENCY_ROUNDS', 3 ), log, sample );
	}
	if ( only.has( 'toggle' ) ) {
		log( '\n3 + 5. editor save and front-end views, plugin active vs inactive (interleaved per request)' );
		results.toggle = await pluginToggle(
			stack,
			{
				rounds: num( 'BENCH_TOGGLE_ROUNDS', 4 ),
				savePairs: num( 'BENCH_TOGGLE_PAIRS', 24 ),
				viewPairs: num( 'BENCH_VIEW_PAIRS', 48 ),
				warmupPairs: num( 'BENCH_TOGGLE_WARMUP', 2 ),
				saveGapMs: num( 'BENCH_SAVE_GAP_MS', 250 ),
				maxSavePairs: num( 'BENCH_TOGGLE_MAX_PAIRS', 4 * num( 'BENCH_TOGGLE_PAIRS', 24 ) ),
				maxViewPairs: num( 'BENCH_VIEW_MAX_PAIRS', 4 * num( 'BENCH_VIEW_PAIRS', 48 ) ),
				ci: Number( process.env.BENCH_TOGGLE_CI ?? 0.04 ) || 0,
				ciClient: Number( process.env.BENCH_TOGGLE_CI_CLIENT ?? 0 ) || 0,
				frontPagePosts: Number( process.env.BENCH_VIEW_IGNY8_POSTS ?? 7 ),
			},
			log
		);
	}
	if ( only.has( 'toggle' ) || only.has( 'queries' ) ) {
		// The SQL of one steady-state save of each kind, active and inactive (BENCH_ONLY=queries: this profile alone).
		results.saveQueries = await saveQueries( stack );
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
	if ( only.has( 'activity' ) ) {
		log( '\n6. Tools → IGNY8 Activity at 100,000 rows (first page through WordPress)' );
		results.activity = await activityBench( stack, num( 'BENCH_ACTIVITY_ROWS', 100_000 ), num( 'BENCH_ACTIVITY_SAMPLES', 20 ), log );
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
		results.footprint = { sidecar: fromRelease ? 'release' : 'source', idle, idleSettled, underLoadMaxMiB: peak, peak8MiB: peak8, after, startupMs, bundle: editorBundle( ROOT ) };
	}
} finally {
	await stack.stop();
	if ( sidecarPrefix !== undefined ) {
		fs.rmSync( sidecarPrefix, { recursive: true, force: true } );
	}
}
if ( only.has( 'start' ) ) {
	// `npm start` on its own site and ports (the bench WordPress port + 40…42): the first run may install, the rest are warm.
	log( '\n6. npm start (cold, then warm)' );
	const base = num( 'BENCH_WP_PORT', 8980 ) + 40;
	results.npmStartMs = await npmStartTimes(
		ROOT,
		{ ...userInstance, WP_PORT: String( base ), SIDECAR_PORT: String( base + 1 ), SIMULATOR_PORT: String( base + 2 ), WP_STATE_DIR: path.join( ROOT, '.igny8/bench-start' ) },
		num( 'BENCH_START_RUNS', 3 ),
		log
	);
}

if ( only.has( 'hosted' ) ) {
	const sites = num( 'BENCH_HOSTED_SITES', 1000 );
	log( `\n7. hosted: one multi-site deployment on PostgreSQL, ${ sites } simulated sites (signed shim protocol + internal route)` );
	results.hosted = await hostedBench( {
		sites,
		changesPerSite: num( 'BENCH_HOSTED_CHANGES', 10 ),
		noisyJobs: num( 'BENCH_HOSTED_NOISY', 5000 ),
		portBase: num( 'BENCH_HOSTED_PORT_BASE', 9400 ),
		log,
	} );
}

// -------------------------------------------------------------------------------------------------- report

const rows: Array< [ string, string, string? ] > = [ [ 'measure', 'result', 'target' ] ];
const targets: Array< { measure: string; value: string; target: string; met: boolean | undefined } > = [];
/** A target row: printed in the table and again in the summary of targets at the end. */
const target = ( measure: string, value: string, goal: string, met: boolean | undefined ) => {
	targets.push( { measure, value, target: goal, met } );
	return `${ goal }: ${ met === undefined ? 'n/a' : met ? 'met' : 'NOT met' }`;
};
const mariadb = dbName === 'mariadb';
const l = results.latency;
if ( l ) {
	rows.push( [ `publish p50 / p95, ours (${ l.perSide } publishes)`, `${ fmtMs( l.ours.p50 ) } / ${ fmtMs( l.ours.p95 ) }, ${ l.ours.errors } errors` ] );
	rows.push( [ `publish p50 / p95, all-PHP baseline (${ l.perSide })`, `${ fmtMs( l.baseline.p50 ) } / ${ fmtMs( l.baseline.p95 ) }, ${ l.baseline.errors } errors` ] );
	rows.push( [ 'publish p50 ours / baseline (median of rounds)', fmtSpread( l.ratioP50Rounds ), target( `publish p50 ours / baseline (${ instance })`, fmtRatio( l.ratioP50Rounds.median ), '≤ 1.05', l.ratioP50Rounds.median <= 1.05 ) ] );
	const o = l.profile.ours;
	const b = l.profile.baseline;
	rows.push( [ '  profile: bare WP bootstrap + REST (noop)', fmtMs( l.profile.bareBootstrapP50 ) ] );
	rows.push( [ '  profile ours: boot / pre / lock / write / post', `${ fmtMs( o.boot ?? NaN ) } / ${ fmtMs( o.pre ?? NaN ) } / ${ fmtMs( o.lock ?? NaN ) } / ${ fmtMs( o.write ?? NaN ) } / ${ fmtMs( o.post ?? NaN ) } (PHP ${ fmtMs( o.php ?? NaN ) }, client ${ fmtMs( o.client ?? NaN ) })` ] );
	rows.push( [ '  profile baseline: boot / pre / write / post', `${ fmtMs( b.boot ?? NaN ) } / ${ fmtMs( b.pre ?? NaN ) } / ${ fmtMs( b.write ?? NaN ) } / ${ fmtMs( b.post ?? NaN ) } (PHP ${ fmtMs( b.php ?? NaN ) }, client ${ fmtMs( b.client ?? NaN ) })` ] );
	rows.push( [ '  profile: sidecar compute per publish (all rounds)', fmtMs( l.profile.sidecarComputeP50 ) ] );
	rows.push( [ '  profile: SQL queries per publish ours | baseline', `${ l.queries.ours } | ${ l.queries.baseline }` ] );
	rows.push( [ '  profile: ratio p50 when publishing drafts', fmtRatio( l.profile.draftRatioP50 ) ] );
}
const lk = results.lookups;
if ( lk ) {
	rows.push( [ `lookup p50 ours | baseline (${ lk.perSide } each, by content id + status)`, `${ fmtMs( lk.ours.p50 ) } | ${ fmtMs( lk.baseline.p50 ) }; errors ${ lk.ours.errors } | ${ lk.baseline.errors }; queries ${ lk.queries.ours } | ${ lk.queries.baseline }` ] );
	rows.push( [ 'lookup p50 ours / baseline (median of rounds)', fmtSpread( lk.ratio ), target( 'lookup p50 ours / baseline', fmtRatio( lk.ratio.median ), '≤ 1.05', lk.ratio.median <= 1.05 ) ] );
	if ( lk.cpu ) {
		const side = ( c: NonNullable< typeof lk.cpu >[ 'ours' ] ) =>
			`${ c.totalMs.toFixed( 2 ) } ms (sidecar ${ c.byProcessMs.sidecar.toFixed( 2 ) }, PHP ${ c.byProcessMs.php.toFixed( 2 ) }, web ${ c.byProcessMs.web.toFixed( 2 ) }, DB ${ c.byProcessMs.db.toFixed( 2 ) })`;
		rows.push( [ 'lookup CPU per request ours | baseline (mean)', `${ side( lk.cpu.ours ) } | ${ side( lk.cpu.baseline ) } = ${ fmtRatio( lk.cpu.ours.totalMs / lk.cpu.baseline.totalMs ) }` ] );
	}
}
const c = results.concurrency;
if ( c ) {
	const rate = ( clients: number, side: 'ours' | 'baseline' ) => c.rows.find( ( r ) => r.clients === clients && r.side === side );
	for ( const clients of [ ...new Set( c.rows.map( ( r ) => r.clients ) ) ] ) {
		const ours = rate( clients, 'ours' );
		const base = rate( clients, 'baseline' );
		if ( ours && base ) {
			const ratio = ours.postsPerSecond.median / base.postsPerSecond.median;
			const goal = mariadb ? 0.85 : 0.7;
			rows.push( [
				`${ clients } client(s), distinct ids: posts/s ours | baseline`,
				`${ fmtRatio( ours.postsPerSecond.median ) } | ${ fmtRatio( base.postsPerSecond.median ) } = ${ fmtRatio( ratio ) }; errors ${ ours.errors } | ${ base.errors }; duplicates ${ ours.duplicates } | ${ base.duplicates }; missing ${ ours.missing } | ${ base.missing }`,
				clients === 1
					? `dup 0: ${ ours.duplicates === 0 && ours.missing <= 0 ? 'met' : 'NOT met' }`
					: target( `throughput ${ clients } clients ours / baseline (${ dbName })`, fmtRatio( ratio ), `≥ ${ goal } and 0 duplicates`, ratio >= goal && ours.duplicates === 0 && ours.missing <= 0 ),
			] );
		}
	}
	for ( const side of [ 'ours', 'baseline' ] as const ) {
		const one = rate( 1, side );
		const eight = rate( 8, side );
		if ( one && eight ) {
			const scaling = eight.postsPerSecond.median / one.postsPerSecond.median;
			rows.push( [ `scaling 1 → 8 clients, ${ side }`, `${ fmtRatio( scaling ) }×`, side === 'ours' ? target( `scaling 1 → 8 clients, ours (${ dbName })`, `${ fmtRatio( scaling ) }×`, mariadb ? '≥ 1.8×' : '≥ 1.8× (the MariaDB target; SQLite has one writer)', mariadb ? scaling >= 1.8 : undefined ) : undefined ] );
		}
	}
	for ( const s of c.sameId ) {
		rows.push( [ `${ s.clients } clients × ${ s.requests } on ONE content id, ${ s.side }`, `${ s.posts } post(s); statuses ${ Object.entries( s.statuses ).map( ( [ k, v ] ) => `${ k }×${ v }` ).join( ' ' ) }`, s.side === 'ours' ? target( 'one content id under 8 clients', `${ s.posts } post(s)`, '1 post', s.posts === 1 ) : 'reference' ] );
	}
}
const t = results.toggle;
const paired = ( m: PairedMeasure ) =>
	`${ fmtMs( m.activeP50 ) } / ${ fmtMs( m.inactiveP50 ) }; ratio ${ fmtSpread( m.ratio ) }; CPU until the reply ${ fmtMs( m.cpu.activeP50 ) } / ${ fmtMs( m.cpu.inactiveP50 ) } = ${ fmtSpread( m.cpu.ratio ) }${
		m.cpu.afterP50.active > 0.5 || m.cpu.afterP50.inactive > 0.5 ? `, after it ${ fmtMs( m.cpu.afterP50.active ) } / ${ fmtMs( m.cpu.afterP50.inactive ) }` : ''
	}${ m.errors ? `; ${ m.errors } errors` : '' }`;
const inside = ( m: PairedMeasure ) =>
	`PHP reply ${ fmtMs( m.server.active.php ) } / ${ fmtMs( m.server.inactive.php ) }, shutdown ${ fmtMs( m.server.active.shutdown ) } / ${ fmtMs( m.server.inactive.shutdown ) }, queries ${ m.server.active.queries } / ${ m.server.inactive.queries }`;
if ( t ) {
	const fpm = server !== 'php';
	const saveGoal = fpm ? 1.05 : 1.1;
	for ( const [ label, m ] of [
		[ 'editor save IGNY8 sees, title (status kept)', t.save ],
		[ 'editor save IGNY8 sees, title + status (publish ⇄ draft)', t.saveStatus ],
		[ 'editor save, body only (a local edit: recorded, sent)', t.saveUnseen ],
	] as const ) {
		rows.push( [ `${ label }, active / inactive`, paired( m ), target( `${ label }, active / inactive (${ instance })`, fmtRatio( m.ratio.median ), `≤ ${ saveGoal.toFixed( 2 ) }`, m.ratio.median <= saveGoal ) ] );
		const extra = m.server.active.queries - m.server.inactive.queries;
		rows.push( [ `  inside PHP active / inactive`, inside( m ), target( `extra SQL queries, ${ label }`, `+${ extra }`, '≤ +10', extra <= 10 ) ] );
	}
	for ( const [ label, m ] of [ [ 'front page GET /', t.frontPage ], [ 'unrelated post permalink', t.permalink ] ] as const ) {
		const equalQueries = m.server.active.queries === m.server.inactive.queries;
		rows.push( [ `${ label } active / inactive (client)`, paired( m ), target( `${ label } active / inactive`, fmtRatio( m.ratio.median ), '≤ 1.02, queries equal', m.ratio.median <= 1.02 && equalQueries ) ] );
		rows.push( [ `  inside PHP active / inactive | queries`, `${ fmtMs( m.server.active.total ) } / ${ fmtMs( m.server.inactive.total ) } | ${ m.server.active.queries } / ${ m.server.inactive.queries }` ] );
	}
	// The method's own target (issue #15): each round's ratio within ±5% of the median of rounds.
	const comparisons = [ [ 'title save', t.save ], [ 'status save', t.saveStatus ], [ 'body save', t.saveUnseen ], [ 'home', t.frontPage ], [ 'permalink', t.permalink ] ] as const;
	const widest = Math.max( ...comparisons.map( ( [ , m ] ) => halfRange( m.ratio ) ) );
	const widestCpu = Math.max( ...comparisons.map( ( [ , m ] ) => halfRange( m.cpu.ratio ) ) );
	const pct = ( x: number ) => `±${ ( x * 100 ).toFixed( 1 ) }%`;
	rows.push( [
		`round spread, client time (${ t.rounds } rounds × ${ togglePairsText( t ) }, ${ t.warmupPairs } warm-up pairs discarded)`,
		comparisons.map( ( [ name, m ] ) => `${ name } ${ pct( halfRange( m.ratio ) ) }` ).join( ', ' ),
		target( `round-to-round spread, editor save and page view, client time (${ instance })`, `${ pct( widest ) } (widest)`, `every round within ±${ STEADY * 100 }% of the median`, widest <= STEADY ),
	] );
	rows.push( [
		'round spread, instance CPU time per request',
		comparisons.map( ( [ name, m ] ) => `${ name } ${ pct( halfRange( m.cpu.ratio ) ) }` ).join( ', ' ),
		target( `round-to-round spread, editor save and page view, CPU time (${ instance })`, `${ pct( widestCpu ) } (widest)`, `every round within ±${ STEADY * 100 }% of the median`, widestCpu <= STEADY ),
	] );
}
const sq = results.saveQueries;
if ( sq ) {
	const n = ( key: string ) => sq[ key ]?.length ?? 0;
	rows.push( [ '  profile: SQL of one steady-state save, active / inactive', `seen ${ n( 'save:active' ) } / ${ n( 'save:inactive' ) }, content ${ n( 'saveUnseen:active' ) } / ${ n( 'saveUnseen:inactive' ) }; one publish ours / baseline ${ n( 'publish:ours' ) } / ${ n( 'publish:baseline' ) } (saveQueries in the JSON)` ] );
}
const s = results.sync;
if ( s ) {
	if ( s.available ) {
		rows.push( [ 'sync: status change → IGNY8 received, p50 / p95', `${ fmtMs( s.latency.p50 ) } / ${ fmtMs( s.latency.p95 ) } (max ${ fmtMs( s.latency.max ) }, ${ s.latency.samples } changes, ${ s.latency.missed } missed)`, target( 'sync p95', fmtMs( s.latency.p95 ), '≤ 1 s', s.latency.p95 <= 1000 ) ] );
		rows.push( [
			`sync: drain ${ s.drain.jobs } queued changes (Sync all pending)`,
			`${ s.drain.received }/${ s.drain.jobs } delivered in ${ s.drain.seconds.toFixed( 1 ) } s = ${ s.drain.jobsPerSecond.toFixed( 0 ) } jobs/s`,
		] );
	} else {
		rows.push( [ 'sync', `not available yet (${ s.reason })` ] );
	}
}
const a = results.activity;
if ( a ) {
	const first = a.queries[ 0 ];
	if ( first ) {
		rows.push( [
			`activity log at ${ a.total } rows: first page p50 / p95 (${ a.samples } loads)`,
			`${ fmtMs( first.p50 ) } / ${ fmtMs( first.p95 ) }, ${ first.errors } errors`,
			target( `activity log first page at ${ a.total } rows, p95`, fmtMs( first.p95 ), '< 300 ms', first.p95 < 300 && first.errors === 0 && a.total >= a.rows ),
		] );
	}
	rows.push( [ '  reference: GET /wp/v2/users/me, same auth, interleaved', `${ fmtMs( a.reference.p50 ) } / ${ fmtMs( a.reference.p95 ) }; the sidecar's query itself ${ fmtMs( a.sidecarQueryMs.p50 ) } (max ${ fmtMs( a.sidecarQueryMs.max ) })` ] );
	for ( const q of a.queries.slice( 1 ) ) {
		rows.push( [ `  activity ?${ q.query.replace( 'page=1&per_page=50&', '' ) } p50 / p95`, `${ fmtMs( q.p50 ) } / ${ fmtMs( q.p95 ) }, ${ q.errors } errors` ] );
	}
}
const f = results.footprint;
if ( f ) {
	const release = f.sidecar === 'release';
	const how = release ? 'release tarball, plain node as the systemd unit runs it' : 'source: node server | + tsx launcher';
	rows.push( [
		`sidecar RSS idle (${ how })`,
		release ? `${ f.idle.serverMiB.toFixed( 0 ) } MiB` : `${ f.idle.serverMiB.toFixed( 0 ) } MiB | ${ f.idle.groupMiB.toFixed( 0 ) } MiB`,
		release ? target( 'sidecar RSS idle (release, plain node)', `${ f.idle.serverMiB.toFixed( 1 ) } MiB`, '≤ 70 MiB', f.idle.serverMiB <= 70 ) : 'targets apply to the release build',
	] );
	rows.push( [ `  the same after ${ ( f.idleSettled.afterMs / 1000 ).toFixed( 0 ) } s without a request`, `${ f.idleSettled.serverMiB.toFixed( 1 ) } MiB` ] );
	if ( f.peak8MiB ) {
		rows.push( [ 'sidecar RSS peak under 8 publishers', `${ f.peak8MiB.serverMiB.toFixed( 0 ) } MiB`, release ? target( 'sidecar RSS peak, 8 publishers (release)', `${ f.peak8MiB.serverMiB.toFixed( 0 ) } MiB`, '≤ 120 MiB', f.peak8MiB.serverMiB <= 120 ) : undefined ] );
	}
	rows.push( [ 'sidecar RSS peak over the whole run | after', `${ f.underLoadMaxMiB.serverMiB.toFixed( 0 ) } MiB | ${ f.after.serverMiB.toFixed( 0 ) } MiB` ] );
	const sorted = [ ...f.startupMs ].sort( ( a, b ) => a - b );
	rows.push( [ 'sidecar start-up (spawn → /healthz), median of 3', `${ fmtMs( sorted[ 1 ] ?? NaN ) } (${ sorted.map( ( ms ) => fmtMs( ms ) ).join( ', ' ) })` ] );
	const sidebar = f.bundle?.files[ 'sidebar.js' ];
	rows.push( [
		'editor bundle (build/sidebar.js, loaded in the block editor; @wordpress/* external), gzipped',
		sidebar ? `${ sidebar.gzipKiB.toFixed( 1 ) } KiB (${ sidebar.rawKiB.toFixed( 1 ) } KiB raw)` : 'not built (npm run build)',
		target( 'editor bundle gzipped (sidebar.js)', sidebar ? `${ sidebar.gzipKiB.toFixed( 1 ) } KiB` : 'n/a', '≤ 10 KiB', sidebar ? sidebar.gzipKiB <= 10 : undefined ),
	] );
	if ( f.bundle ) {
		rows.push( [ '  every build/*.js (+ settings.js, the settings screen only)', `${ f.bundle.gzipKiB.toFixed( 1 ) } KiB gzipped (${ Object.entries( f.bundle.files ).map( ( [ n, v ] ) => `${ n } ${ v.gzipKiB.toFixed( 1 ) }` ).join( ', ' ) })` ] );
	}
}
if ( results.npmStartMs?.length ) {
	const [ cold, ...warm ] = results.npmStartMs;
	const warmMedian = warm.length ? [ ...warm ].sort( ( a, b ) => a - b )[ Math.floor( ( warm.length - 1 ) / 2 ) ]! : NaN;
	rows.push( [
		'npm start to the printed URL: first | warm runs',
		`${ ( cold! / 1000 ).toFixed( 1 ) } s | ${ warm.map( ( ms ) => `${ ( ms / 1000 ).toFixed( 1 ) } s` ).join( ', ' ) }`,
		target( 'npm start, warm', `${ ( warmMedian / 1000 ).toFixed( 1 ) } s`, '≤ 5 s', Number.isFinite( warmMedian ) ? warmMedian <= 5000 : undefined ),
	] );
}

const h = results.hosted;
let hostedLines: string[] = [];
if ( h ) {
	for ( const r of h.rounds ) {
		rows.push( [
			`hosted: drain ${ r.jobs } jobs, ${ r.label }`,
			`${ r.drainSeconds.toFixed( 1 ) } s = ${ r.jobsPerSecond.toFixed( 0 ) } jobs/s; ${ r.lost } lost, ${ r.repeats } repeats, ${ r.notifyErrors } notifies refused and sent again; CPU ms/job sidecar ${ r.cpuMsPerJob.sidecar.toFixed( 2 ) } | PostgreSQL ${ r.cpuMsPerJob.postgres.toFixed( 2 ) }; peak RSS sidecar ${ r.peakMiB.sidecars.join( ' + ' ) } MiB${ r.store === 'postgresql' ? `, PostgreSQL PSS ${ r.peakMiB.postgresPss } MiB` : '' }`,
		] );
	}
	const sqliteRound = h.rounds.find( ( r ) => r.store === 'sqlite' );
	const twoRound = h.rounds.find( ( r ) => r.store === 'postgresql' && r.replicas === 2 );
	if ( sqliteRound && twoRound ) {
		rows.push( [
			'hosted: 2 replicas / single-site SQLite drain rate',
			`${ twoRound.jobsPerSecond.toFixed( 0 ) } / ${ sqliteRound.jobsPerSecond.toFixed( 0 ) } jobs/s = ${ fmtRatio( twoRound.jobsPerSecond / sqliteRound.jobsPerSecond ) }`,
			target( 'hosted: 2 replicas drain rate ≥ single-site SQLite', fmtRatio( twoRound.jobsPerSecond / sqliteRound.jobsPerSecond ), '≥ 1.00', twoRound.jobsPerSecond >= sqliteRound.jobsPerSecond ),
		] );
	}
	const q = h.quiet;
	rows.push( [
		`hosted: quiet site while one site holds ${ q.noisyJobs } pending, p50 / p95`,
		`${ fmtMs( q.p50 ) } / ${ fmtMs( q.p95 ) } (max ${ fmtMs( q.max ) }, ${ q.samples } changes; noisy backlog ${ q.noisyBacklogAtSamples.first } → ${ q.noisyBacklogAtSamples.last } while sampled, drained in ${ q.noisyDrainSeconds.toFixed( 1 ) } s)`,
		target( 'hosted: quiet site p95 under a 5,000-job flood', fmtMs( q.p95 ), '≤ 1 s', q.samples > 0 && q.p95 <= 1000 ),
	] );
	const lost = h.rounds.reduce( ( n, r ) => n + r.lost, 0 ) + q.lost + q.noisyLost;
	const repeats = h.rounds.reduce( ( n, r ) => n + r.repeats, 0 );
	rows.push( [ 'hosted: lost deliveries (every site/post counted at the simulator)', `${ lost } lost; ${ repeats } repeated deliveries`, target( 'hosted: 0 lost', String( lost ), '0', lost === 0 ) ] );
	const m = h.memory;
	rows.push( [
		'hosted: memory',
		`replica RSS idle ${ m.sidecarIdleMiB.toFixed( 0 ) } MiB, peak ${ m.sidecarPeakMiB.toFixed( 0 ) } MiB with ${ m.openSites } sites open (${ m.perOpenSiteKiB.toFixed( 0 ) } KiB per open site); PostgreSQL PSS peak ${ m.postgresPssPeakMiB.toFixed( 0 ) } MiB, database ${ m.postgresDbMiB.toFixed( 0 ) } MiB (${ m.jobsRows } job rows, ${ m.bytesPerJobRow.toFixed( 0 ) } B each)`,
	] );
	rows.push( [ 'hosted: enrolment', `${ h.sites } sites through POST /_shim/enrol in ${ h.enrolSeconds.toFixed( 1 ) } s; internal route calls ${ h.internalCalls.calls } (${ h.internalCalls.refused } refused)` ] );
	results.hostedAnalysis = hostedAnalysis( h );
	hostedLines = results.hostedAnalysis.lines;
}

log( `\nIGNY8 Bridge bench — WordPress ${ results.machine.wordpress } (${ instance }), ${ results.machine.cpus } CPUs, Node ${ results.machine.node }, ${ results.when }` );
log( table( rows ) );
if ( hostedLines.length ) {
	log( `\nHosted sidecar (issue #16), read plainly:\n${ hostedLines.map( ( line ) => `- ${ line }` ).join( '\n' ) }` );
}
log( '\nTargets (issues #15, #16), each a ratio or figure from this run:' );
log( table( [ [ 'target', 'this run', 'goal' ], ...targets.map( ( x ): [ string, string, string ] => [ x.measure, x.value, `${ x.target }: ${ x.met === undefined ? 'n/a' : x.met ? 'met' : 'NOT met' }` ] ) ] ) );

const outDir = path.join( ROOT, '.igny8/bench-results' );
fs.mkdirSync( outDir, { recursive: true } );
const file = path.join( outDir, `bench-${ results.when.replace( /[:.]/g, '-' ) }.json` );
fs.writeFileSync( file, JSON.stringify( { ...results, ids: IDS, table: rows, targets }, null, 2 ) );
fs.copyFileSync( file, path.join( outDir, 'latest.json' ) );
// The README's Performance table for this instance, from this run (bench/readme-table.ts).
const md = file.replace( /\.json$/, '.md' );
fs.writeFileSync( md, `${ readmeTable( results, { db: dbName, server } ).join( '\n' ) }\n` );
log( `\nJSON: ${ path.relative( ROOT, file ) } (and .igny8/bench-results/latest.json); README table: ${ path.relative( ROOT, md ) }` );

