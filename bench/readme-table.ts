/**
 * The README's Performance table from one run of `npm run bench`: one row per comparison, ours and the baseline's
 * figure side by side (the all-PHP baseline plugin for publish, lookups and throughput; the same site with the plugin
 * inactive per request for the editor-save and page-view rows), the median of per-round ratios with its range, and
 * the target with met / NOT met. scripts/bench.ts writes it next to the run's JSON (`.md`), so a README refresh is a
 * copy of that file, never a hand transcription.
 */
import { fmtMs, fmtRatio, halfRange, type Spread } from './lib.js';
import { togglePairsText, type ConcurrencyRow, type LatencyResult, type LookupResult, type PairedMeasure, type SameIdRow, type SyncResult, type ToggleResult } from './scenarios.js';
import type { ActivityBenchResult } from './activity.js';

export interface BenchResults {
	latency?: LatencyResult;
	lookups?: LookupResult;
	concurrency?: { rows: ConcurrencyRow[]; sameId: SameIdRow[] };
	toggle?: ToggleResult;
	sync?: SyncResult;
	activity?: ActivityBenchResult;
	footprint?: {
		sidecar: 'release' | 'source';
		idle: { serverMiB: number };
		idleSettled?: { serverMiB: number; afterMs: number };
		peak8MiB?: { serverMiB: number };
		bundle?: { files: Record< string, { rawKiB: number; gzipKiB: number } > };
	};
	npmStartMs?: number[];
}

const range = ( s: Spread ) => `${ fmtRatio( s.median ) } (${ fmtRatio( s.min ) }–${ fmtRatio( s.max ) }, ±${ ( halfRange( s ) * 100 ).toFixed( 0 ) }%)`;
const verdict = ( goal: string, met: boolean | undefined ) => ( met === undefined ? goal : `${ goal }: ${ met ? 'met' : '**NOT met**' }` );

/** Markdown lines: | measure | ours | baseline | ratio, median of rounds (range, ±spread) | target |. */
export function readmeTable( r: BenchResults, instance: { db: string; server: string } ): string[] {
	const mariadb = instance.db === 'mariadb';
	const fpm = instance.server !== 'php';
	const out = [
		'| measure | ours (plugin active) | baseline (all-PHP plugin; plugin inactive for saves and views) | ratio, median of rounds (range, ±spread) | target |',
		'|---|---|---|---|---|',
	];
	const row = ( ...cells: string[] ) => out.push( `| ${ cells.join( ' | ' ) } |` );
	const l = r.latency;
	if ( l ) {
		row(
			`publish p50 / p95 (${ l.perSide } each, interleaved)`,
			`${ fmtMs( l.ours.p50 ) } / ${ fmtMs( l.ours.p95 ) }, ${ l.ours.errors } errors`,
			`${ fmtMs( l.baseline.p50 ) } / ${ fmtMs( l.baseline.p95 ) }, ${ l.baseline.errors } errors`,
			range( l.ratioP50Rounds ),
			verdict( '≤ 1.05', l.ratioP50Rounds.median <= 1.05 )
		);
		row( 'SQL queries per publish', String( l.queries.ours ), String( l.queries.baseline ), fmtRatio( l.queries.ours / l.queries.baseline ), '' );
		const o = l.profile.ours;
		const b = l.profile.baseline;
		const ms = ( v: number | undefined ) => ( v === undefined ? '–' : fmtMs( v ) );
		row(
			'publish inside PHP: boot / pre / lock / write / post',
			`${ ms( o.boot ) } / ${ ms( o.pre ) } / ${ ms( o.lock ) } / ${ ms( o.write ) } / ${ ms( o.post ) }`,
			`${ ms( b.boot ) } / ${ ms( b.pre ) } / – / ${ ms( b.write ) } / ${ ms( b.post ) }`,
			'',
			''
		);
	}
	const lk = r.lookups;
	if ( lk ) {
		row(
			`lookup p50 (by content id + status, ${ lk.perSide } each)`,
			`${ fmtMs( lk.ours.p50 ) }, ${ lk.queries.ours } queries${ lk.cpu ? `; CPU ${ fmtMs( lk.cpu.ours.totalMs ) } (sidecar ${ fmtMs( lk.cpu.ours.byProcessMs.sidecar ) })` : '' }`,
			`${ fmtMs( lk.baseline.p50 ) }, ${ lk.queries.baseline } queries${ lk.cpu ? `; CPU ${ fmtMs( lk.cpu.baseline.totalMs ) }` : '' }`,
			`${ range( lk.ratio ) }${ lk.cpu ? `; CPU ${ ( lk.cpu.ours.totalMs / lk.cpu.baseline.totalMs ).toFixed( 2 ) }` : '' }`,
			verdict( '≤ 1.05', lk.ratio.median <= 1.05 )
		);
	}
	const c = r.concurrency;
	if ( c ) {
		const rate = ( clients: number, side: 'ours' | 'baseline' ) => c.rows.find( ( x ) => x.clients === clients && x.side === side );
		const goal = mariadb ? 0.85 : 0.7;
		for ( const clients of [ ...new Set( c.rows.map( ( x ) => x.clients ) ) ] ) {
			const o = rate( clients, 'ours' );
			const b = rate( clients, 'baseline' );
			if ( o && b ) {
				const ratio = o.postsPerSecond.median / b.postsPerSecond.median;
				const fig = ( x: ConcurrencyRow ) => `${ fmtRatio( x.postsPerSecond.median ) } posts/s; ${ x.errors } errors, ${ x.duplicates } duplicates`;
				row(
					`throughput, ${ clients } client${ clients > 1 ? 's' : '' }, distinct ids`,
					fig( o ),
					fig( b ),
					fmtRatio( ratio ),
					clients === 1 ? '' : verdict( `≥ ${ goal } and 0 duplicates`, ratio >= goal && o.duplicates === 0 && o.missing <= 0 )
				);
			}
		}
		const o1 = rate( 1, 'ours' );
		const o8 = rate( 8, 'ours' );
		const b1 = rate( 1, 'baseline' );
		const b8 = rate( 8, 'baseline' );
		if ( o1 && o8 && b1 && b8 ) {
			const scaling = o8.postsPerSecond.median / o1.postsPerSecond.median;
			row(
				'scaling 1 → 8 clients',
				`${ fmtRatio( scaling ) }×`,
				`${ fmtRatio( b8.postsPerSecond.median / b1.postsPerSecond.median ) }×`,
				'',
				mariadb ? verdict( '≥ 1.8×', scaling >= 1.8 ) : '≥ 1.8× is the MariaDB target (SQLite: one writer)'
			);
		}
		const so = c.sameId.find( ( s ) => s.side === 'ours' );
		const sb = c.sameId.find( ( s ) => s.side === 'baseline' );
		if ( so && sb ) {
			row( `${ so.clients } clients × ${ so.requests } publishes of ONE content id`, `${ so.posts } post${ so.posts === 1 ? '' : 's' }`, `${ sb.posts } post${ sb.posts === 1 ? '' : 's' }`, '', verdict( '1 post', so.posts === 1 ) );
		}
	}
	const t = r.toggle;
	if ( t ) {
		const saveGoal = fpm ? 1.05 : 1.1;
		const paired = ( label: string, m: PairedMeasure, goal: string ) => {
			row(
				label,
				`${ fmtMs( m.activeP50 ) }, ${ m.server.active.queries } queries; CPU ${ fmtMs( m.cpu.activeP50 ) }`,
				`${ fmtMs( m.inactiveP50 ) }, ${ m.server.inactive.queries } queries; CPU ${ fmtMs( m.cpu.inactiveP50 ) }`,
				`${ range( m.ratio ) }; CPU ${ range( m.cpu.ratio ) }`,
				goal
			);
		};
		for ( const [ label, m ] of [
			[ 'editor save of a managed post, title (status kept)', t.save ],
			[ 'editor save, title + status (publish ⇄ draft)', t.saveStatus ],
			[ 'editor save, body only (a local edit: recorded and sent)', t.saveUnseen ],
		] as const ) {
			const extra = m.server.active.queries - m.server.inactive.queries;
			paired( label, m, `${ verdict( `≤ ${ saveGoal.toFixed( 2 ) }`, m.ratio.median <= saveGoal ) }; +${ extra } queries (${ verdict( '≤ +10', extra <= 10 ) })` );
		}
		for ( const [ label, m ] of [ [ 'front page `GET /`', t.frontPage ], [ 'unrelated post permalink', t.permalink ] ] as const ) {
			paired( label, m, verdict( '≤ 1.02, queries equal', m.ratio.median <= 1.02 && m.server.active.queries === m.server.inactive.queries ) );
		}
		const all = [ t.save, t.saveStatus, t.saveUnseen, t.frontPage, t.permalink ];
		const wall = Math.max( ...all.map( ( m ) => halfRange( m.ratio ) ) );
		const cpu = Math.max( ...all.map( ( m ) => halfRange( m.cpu.ratio ) ) );
		row(
			`round-to-round spread of the save and view ratios (${ t.rounds } rounds × ${ togglePairsText( t ) })`,
			`widest: client time ±${ ( wall * 100 ).toFixed( 1 ) }%, CPU ±${ ( cpu * 100 ).toFixed( 1 ) }%`,
			'–',
			'',
			`client time ${ verdict( '±5%', wall <= 0.05 ) }; CPU ${ verdict( '±5%', cpu <= 0.05 ) }`
		);
	}
	const s = r.sync;
	if ( s?.available ) {
		row( 'sync: status change → IGNY8 received, p50 / p95', `${ fmtMs( s.latency.p50 ) } / ${ fmtMs( s.latency.p95 ) } (${ s.latency.samples } changes, ${ s.latency.missed } missed)`, '–', '', verdict( '≤ 1 s', s.latency.p95 <= 1000 ) );
		row( `sync: drain ${ s.drain.jobs } queued changes`, `${ s.drain.received }/${ s.drain.jobs } in ${ s.drain.seconds.toFixed( 1 ) } s = ${ s.drain.jobsPerSecond.toFixed( 0 ) } jobs/s`, '–', '', '' );
	}
	const a = r.activity;
	const first = a?.queries[ 0 ];
	if ( a && first ) {
		row( `Tools → IGNY8 Activity at ${ a.total } rows, first page p50 / p95`, `${ fmtMs( first.p50 ) } / ${ fmtMs( first.p95 ) }`, `bare REST GET /wp/v2/users/me: ${ fmtMs( a.reference.p50 ) } / ${ fmtMs( a.reference.p95 ) }`, '', verdict( '< 300 ms', first.p95 < 300 ) );
	}
	const f = r.footprint;
	if ( f ) {
		const release = f.sidecar === 'release';
		const settled = f.idleSettled ? `; ${ f.idleSettled.serverMiB.toFixed( 1 ) } MiB after ${ ( f.idleSettled.afterMs / 1000 ).toFixed( 0 ) } s idle` : '';
		row( `sidecar RSS idle, 3 s after start (${ release ? 'release tarball, plain node, the unit\'s flags' : 'source through tsx' })`, `${ f.idle.serverMiB.toFixed( 1 ) } MiB${ settled }`, '–', '', release ? verdict( '≤ 70 MiB', f.idle.serverMiB <= 70 ) : 'the target applies to the release build' );
		if ( f.peak8MiB ) {
			row( 'sidecar RSS peak under 8 publishers', `${ f.peak8MiB.serverMiB.toFixed( 0 ) } MiB`, '–', '', release ? verdict( '≤ 120 MiB', f.peak8MiB.serverMiB <= 120 ) : '' );
		}
		const sidebar = f.bundle?.files[ 'sidebar.js' ];
		if ( sidebar ) {
			row( 'editor bundle `build/sidebar.js`, gzipped', `${ sidebar.gzipKiB.toFixed( 1 ) } KiB (${ sidebar.rawKiB.toFixed( 1 ) } KiB raw)`, '–', '', verdict( '≤ 10 KiB', sidebar.gzipKiB <= 10 ) );
		}
	}
	if ( r.npmStartMs?.length ) {
		const [ cold, ...warm ] = r.npmStartMs;
		const warmMedian = warm.length ? [ ...warm ].sort( ( x, y ) => x - y )[ Math.floor( ( warm.length - 1 ) / 2 ) ]! : Number.NaN;
		row( '`npm start` to the printed URL: first run; warm runs', `${ ( cold! / 1000 ).toFixed( 1 ) } s; ${ warm.map( ( ms ) => `${ ( ms / 1000 ).toFixed( 1 ) } s` ).join( ', ' ) }`, '–', '', verdict( '≤ 5 s', Number.isFinite( warmMedian ) ? warmMedian <= 5000 : undefined ) );
	}
	return out;
}
