/**
 * Small shared pieces of `npm run bench` and `npm run soak`: statistics, a timed HTTP client, process memory,
 * WordPress state through php-cli, and the table printer.
 */
import fs from 'node:fs';

import type { Stack } from '../scripts/stack.js';

// ------------------------------------------------------------------------------------------------ statistics

export function quantile( values: readonly number[], q: number ): number {
	if ( values.length === 0 ) {
		return Number.NaN;
	}
	const sorted = [ ...values ].sort( ( a, b ) => a - b );
	const pos = ( sorted.length - 1 ) * q;
	const lo = Math.floor( pos );
	const hi = Math.ceil( pos );
	return ( sorted[ lo ] as number ) + ( ( sorted[ hi ] as number ) - ( sorted[ lo ] as number ) ) * ( pos - lo );
}
export const median = ( values: readonly number[] ) => quantile( values, 0.5 );
export const p95 = ( values: readonly number[] ) => quantile( values, 0.95 );

export interface Spread {
	median: number;
	min: number;
	max: number;
	rounds: number[];
}
/** Median of per-round values with the range, e.g. the ratio of each round. */
export function spread( rounds: number[] ): Spread {
	return { median: median( rounds ), min: Math.min( ...rounds ), max: Math.max( ...rounds ), rounds };
}
/**
 * Trimmed mean of the logs of `ratios` (a fraction `trim` cut at each end), back as a ratio, with the 95% confidence
 * half-width of that log mean (Tukey–McLaughlin: the winsorized variance; 0.02 ≈ ±2%). For the pair ratios of a round:
 * as robust as their median to a pair a load burst hit, and with 20% trimmed about 1.3× as many pairs' worth of
 * information (the median keeps ~64% of a mean's efficiency on near-normal data, this ~94%).
 */
export function trimmedLogMean( ratios: readonly number[], trim = 0.2 ): { ratio: number; ci95: number } {
	const logs = ratios.filter( ( r ) => r > 0 && Number.isFinite( r ) ).map( Math.log ).sort( ( a, b ) => a - b );
	const n = logs.length;
	if ( n === 0 ) {
		return { ratio: Number.NaN, ci95: Number.NaN };
	}
	const g = Math.floor( trim * n );
	const kept = logs.slice( g, n - g );
	const mean = kept.reduce( ( sum, v ) => sum + v, 0 ) / kept.length;
	const lo = logs[ g ] as number;
	const hi = logs[ n - g - 1 ] as number;
	const wins = logs.map( ( v ) => Math.min( hi, Math.max( lo, v ) ) );
	const wMean = wins.reduce( ( sum, v ) => sum + v, 0 ) / n;
	const wVar = n > 1 ? wins.reduce( ( sum, v ) => sum + ( v - wMean ) ** 2, 0 ) / ( n - 1 ) : Number.POSITIVE_INFINITY;
	const se = Math.sqrt( wVar ) / ( ( 1 - ( 2 * g ) / n ) * Math.sqrt( n ) );
	return { ratio: Math.exp( mean ), ci95: 1.96 * se };
}
export const fmtMs = ( ms: number ) => ( Number.isFinite( ms ) ? `${ ms < 10 ? ms.toFixed( 1 ) : Math.round( ms ) } ms` : 'n/a' );
export const fmtRatio = ( r: number ) => ( Number.isFinite( r ) ? r.toFixed( 2 ) : 'n/a' );
/** The farthest round from the median, relative to it: 0.05 = every round within ±5% of the median. */
export const halfRange = ( s: Spread ) => Math.max( s.max - s.median, s.median - s.min ) / s.median;
/** The steadiness issue #15 asks of a comparison: every round's ratio within ±5% of the median of rounds. */
export const STEADY = 0.05;
export const fmtSpread = ( s: Spread, unit = '' ) =>
	`${ fmtRatio( s.median ) }${ unit } (rounds ${ fmtRatio( s.min ) }–${ fmtRatio( s.max ) }, ±${ Number.isFinite( halfRange( s ) ) ? ( halfRange( s ) * 100 ).toFixed( 1 ) : '?' }%)`;

// ------------------------------------------------------------------------------------------------------ HTTP

export interface Timed {
	status: number;
	ms: number;
	body: Record< string, unknown >;
	text: string;
	headers: Headers;
}

/** One request, timed from before fetch() to the last body byte. Network errors become status 0. */
export async function timed( url: string, init: RequestInit = {} ): Promise< Timed > {
	const started = performance.now();
	try {
		const res = await fetch( url, { ...init, signal: AbortSignal.timeout( 60_000 ) } );
		const text = await res.text();
		const ms = performance.now() - started;
		let body: Record< string, unknown > = {};
		try {
			body = JSON.parse( text ) as Record< string, unknown >;
		} catch {
			body = {};
		}
		return { status: res.status, ms, body, text, headers: res.headers };
	} catch ( error ) {
		return { status: 0, ms: performance.now() - started, body: { error: ( error as Error ).message }, text: '', headers: new Headers() };
	}
}

/** `Server-Timing: boot;dur=1.2, php;dur=3` → { boot: 1.2, php: 3 }. */
export function serverTiming( headers: Headers ): Record< string, number > {
	const out: Record< string, number > = {};
	for ( const part of ( headers.get( 'server-timing' ) ?? '' ).split( ',' ) ) {
		const match = /^\s*([\w-]+);dur=([\d.]+)/.exec( part );
		if ( match ) {
			out[ match[ 1 ] as string ] = Number( match[ 2 ] );
		}
	}
	return out;
}

/** Runs `worker(i)` for i in [0, total) on `concurrency` async clients; returns the wall time in ms. */
export async function pool( total: number, concurrency: number, worker: ( i: number ) => Promise< void > ): Promise< number > {
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from( { length: concurrency }, async () => {
			while ( next < total ) {
				await worker( next++ );
			}
		} )
	);
	return performance.now() - started;
}

export const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

// ---------------------------------------------------------------------------------------------------- memory

/** Every process's pid, state and process group, from /proc/<pid>/stat (Linux); one that ends meanwhile is left out. */
function processes(): Array< { pid: number; state: string; pgid: number } > {
	const out: Array< { pid: number; state: string; pgid: number } > = [];
	for ( const entry of fs.readdirSync( '/proc' ) ) {
		if ( ! /^\d+$/.test( entry ) ) {
			continue;
		}
		try {
			const stat = fs.readFileSync( `/proc/${ entry }/stat`, 'utf8' );
			const fields = stat.slice( stat.lastIndexOf( ')' ) + 2 ).split( ' ' );
			out.push( { pid: Number( entry ), state: fields[ 0 ] ?? '', pgid: Number( fields[ 2 ] ) } );
		} catch {
			// The process ended while we looked.
		}
	}
	return out;
}

/** VmRSS in KiB of every live process in a process group (pure /proc, Linux). */
export function groupRss( pgid: number ): Array< { pid: number; rssKiB: number; cmd: string } > {
	const out: Array< { pid: number; rssKiB: number; cmd: string } > = [];
	for ( const { pid } of processes().filter( ( p ) => p.pgid === pgid && p.state !== 'Z' ) ) {
		try {
			const status = fs.readFileSync( `/proc/${ pid }/status`, 'utf8' );
			const rss = Number( /VmRSS:\s+(\d+)/.exec( status )?.[ 1 ] ?? 0 );
			const cmd = fs.readFileSync( `/proc/${ pid }/cmdline`, 'utf8' ).split( '\0' ).join( ' ' ).trim();
			out.push( { pid, rssKiB: rss, cmd } );
		} catch {
			// The process ended while we looked.
		}
	}
	return out;
}

/** RSS (MiB) of the node process serving the sidecar (the group's biggest) and of the whole group (+ tsx launcher). */
export function sidecarRss( stack: Stack ): { serverMiB: number; groupMiB: number } {
	const pgid = stack.sidecarPid();
	if ( ! pgid ) {
		return { serverMiB: Number.NaN, groupMiB: Number.NaN };
	}
	const procs = groupRss( pgid );
	const server = Math.max( 0, ...procs.map( ( p ) => p.rssKiB ) );
	const total = procs.reduce( ( sum, p ) => sum + p.rssKiB, 0 );
	return { serverMiB: server / 1024, groupMiB: total / 1024 };
}

// ------------------------------------------------------------------------------------------------ stack CPU

/** Process groups of the instance's servers (scripts/wp-runtime.sh's pgid files) and the sidecar's. */
function stackGroups( stack: Stack ): Set< number > {
	const groups = new Set< number >();
	for ( const name of [ 'php.pgid', 'php-fpm.pgid', 'nginx.pgid', 'apache.pgid', 'mysqld.pgid' ] ) {
		try {
			const pgid = Number( fs.readFileSync( `${ stack.stateDir }/${ name }`, 'utf8' ).trim() );
			if ( pgid > 0 ) {
				groups.add( pgid );
			}
		} catch {
			// Not this instance's shape.
		}
	}
	const sidecar = stack.sidecarPid();
	if ( sidecar ) {
		groups.add( sidecar );
	}
	return groups;
}

/** Which part of the instance a process is: the sidecar, PHP (php -S, php-fpm), the web server, the database. */
export type ProcessKind = 'sidecar' | 'php' | 'web' | 'db';
const kindOf = ( comm: string ): ProcessKind => ( /^php/.test( comm ) ? 'php' : /^(mysqld|mariadbd)/.test( comm ) ? 'db' : 'web' );
const noKinds = (): Record< ProcessKind, number > => ( { sidecar: 0, php: 0, web: 0, db: 0 } );

export interface StackCpu {
	/**
	 * Nanoseconds on a CPU and waiting on a run queue, summed over every thread of the instance's processes;
	 * `sidecarNs`: the sidecar's share of cpuNs; `byProcess`: cpuNs by process kind (sidecar, php, web, db).
	 */
	read(): { cpuNs: number; waitNs: number; sidecarNs: number; byProcess: Record< ProcessKind, number > };
	/**
	 * Waits at least `minMs`, then until the instance has been quiet for a poll (less than `QUIET_CPU_MS` of CPU
	 * in `QUIET_POLL_MS`: the work a request left behind, e.g. the sidecar's delivery, is over), at most `capMs`.
	 */
	settle( minMs: number, capMs?: number ): Promise< void >;
}
/** What `settle` calls quiet: under 0.5 ms of instance CPU in 25 ms (2% of one CPU). */
export const QUIET_POLL_MS = 25;
export const QUIET_CPU_MS = 0.5;

/**
 * CPU time of the whole instance (web server, PHP workers, MariaDB, the sidecar) from /proc/<pid>/task/<tid>/schedstat
 * (ns, not the 10 ms ticks of /proc/<pid>/stat). Requests are sent one at a time, so the difference around a request
 * (and its settling gap) is what that request cost the machine: unlike its wall time, it does not grow when other
 * processes hold the CPUs. The process list is found once and again when one of its processes is gone.
 */
export function stackCpu( stack: Stack ): StackCpu {
	let pids: number[] = [];
	let sidecarGroup: number | undefined;
	const pgidOf = new Map< number, number >();
	const kind = new Map< number, ProcessKind >();
	const scan = () => {
		const groups = stackGroups( stack );
		sidecarGroup = stack.sidecarPid();
		const found = processes().filter( ( p ) => groups.has( p.pgid ) );
		pids = found.map( ( p ) => p.pid );
		pgidOf.clear();
		found.forEach( ( p ) => pgidOf.set( p.pid, p.pgid ) );
		kind.clear();
		for ( const p of found ) {
			let comm = '';
			try {
				comm = fs.readFileSync( `/proc/${ p.pid }/comm`, 'utf8' ).trim();
			} catch {
				// Gone; the next read rescans.
			}
			kind.set( p.pid, p.pgid === sidecarGroup ? 'sidecar' : kindOf( comm ) );
		}
	};
	const sum = (): { cpuNs: number; waitNs: number; sidecarNs: number; byProcess: Record< ProcessKind, number > } | undefined => {
		let cpuNs = 0;
		let waitNs = 0;
		let sidecarNs = 0;
		const byProcess = noKinds();
		for ( const pid of pids ) {
			const ofSidecar = pgidOf.get( pid ) === sidecarGroup;
			const k = kind.get( pid ) ?? 'web';
			let tids: string[];
			try {
				tids = fs.readdirSync( `/proc/${ pid }/task` );
			} catch {
				return undefined;
			}
			for ( const tid of tids ) {
				try {
					const [ on, wait ] = fs.readFileSync( `/proc/${ pid }/task/${ tid }/schedstat`, 'utf8' ).split( ' ' );
					cpuNs += Number( on );
					waitNs += Number( wait );
					byProcess[ k ] += Number( on );
					if ( ofSidecar ) {
						sidecarNs += Number( on );
					}
				} catch {
					// A thread that ended: its time is counted in no other thread (a small undercount).
				}
			}
		}
		return { cpuNs, waitNs, sidecarNs, byProcess };
	};
	scan();
	const read = () => {
		const got = sum();
		if ( got ) {
			return got;
		}
		scan();
		return sum() ?? { cpuNs: Number.NaN, waitNs: Number.NaN, sidecarNs: Number.NaN, byProcess: { sidecar: Number.NaN, php: Number.NaN, web: Number.NaN, db: Number.NaN } };
	};
	return {
		read,
		async settle( minMs: number, capMs = 3000 ) {
			const started = performance.now();
			if ( minMs > 0 ) {
				await sleep( minMs );
			}
			let last = read().cpuNs;
			while ( performance.now() - started < capMs ) {
				await sleep( QUIET_POLL_MS );
				const now = read().cpuNs;
				if ( ! ( now - last >= QUIET_CPU_MS * 1e6 ) ) {
					return;
				}
				last = now;
			}
		},
	};
}

// ------------------------------------------------------------------------------------------------- WordPress

/** Runs PHP in the site (php-cli) and parses the last output line as JSON. */
export async function wpJson< T >( stack: Stack, php: string ): Promise< T > {
	const out = await stack.wpEval( `echo wp_json_encode( ( function () { ${ php } } )() );` );
	return JSON.parse( out.trim().split( '\n' ).pop() ?? 'null' ) as T;
}

/** Posts carrying each IGNY8 content id in [from, to], with how many posts each has. */
export async function postsPerContentId( stack: Stack, from: number, to: number ): Promise< { ids: number; posts: number; duplicated: number } > {
	return wpJson( stack, `
		global $wpdb;
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT m.meta_value AS cid, COUNT(*) AS n FROM {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id WHERE m.meta_key = '_igny8_content_id' AND p.post_type <> 'revision' AND ( m.meta_value + 0 ) BETWEEN %d AND %d GROUP BY m.meta_value", ${ from }, ${ to } ), ARRAY_A );
		$posts = 0; $dup = 0;
		foreach ( $rows as $row ) { $posts += (int) $row['n']; if ( (int) $row['n'] > 1 ) { $dup++; } }
		return array( 'ids' => count( $rows ), 'posts' => $posts, 'duplicated' => $dup );
	` );
}

/** An application password for the admin (core REST auth). */
export async function adminBasicAuth( stack: Stack ): Promise< string > {
	const password = await wpJson< string >(
		stack,
		`list( $pw ) = WP_Application_Passwords::create_new_application_password( 1, array( 'name' => 'bench-' . wp_generate_password( 6, false ) ) ); return $pw;`
	);
	return 'Basic ' + Buffer.from( `admin:${ password }` ).toString( 'base64' );
}

// ----------------------------------------------------------------------------------------------------- table

export function table( rows: Array< [ string, string, string? ] > ): string {
	const w0 = Math.max( ...rows.map( ( r ) => r[ 0 ].length ) );
	const w1 = Math.max( ...rows.map( ( r ) => r[ 1 ].length ) );
	const line = `+${ '-'.repeat( w0 + 2 ) }+${ '-'.repeat( w1 + 2 ) }+`;
	const out = [ line ];
	for ( const [ a, b, c ] of rows ) {
		out.push( `| ${ a.padEnd( w0 ) } | ${ b.padEnd( w1 ) } |${ c ? ` ${ c }` : '' }` );
	}
	out.push( line );
	return out.join( '\n' );
}
