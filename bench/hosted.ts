/**
 * Bench `hosted` (issue #16, Benchmark): one multi-site sidecar deployment on PostgreSQL serving 1,000 simulated sites.
 *
 * The load generator is the shim's half of the protocol for every site, in this process: it enrols each site
 * (single-use code from the registry, then `POST /_shim/enrol` with a fresh secret), sends each site's changes as the
 * shim's shutdown notify (`POST /_shim/events`, signed with that site's keys), and serves WordPress's internal route
 * (`POST {wp_url}/wp-json/igny8/v1/internal/ops`) for all of them: it verifies the sidecar's JWT with the site's keys
 * and answers the ops as the shim does. It is a load generator, never a stand-in for WordPress in a correctness test.
 * IGNY8 is the simulator (its own process); every delivery is counted there, per site and post.
 *
 * Rounds, all in one run, every one with sites × changes jobs (10 changes per site, one post each):
 *   1. sqlite      one single-site sidecar (embedded SQLite), one site holding all the jobs: the baseline;
 *   2. pg-1        one multi-site replica behind nginx, 1,000 sites;
 *   3. pg-2        two multi-site replicas behind the same nginx upstream, the same sites, new changes;
 *   4. noisy/quiet on the two replicas: one site gets 5,000 changes at once, a quiet site sends one change every
 *                  100 ms meanwhile; its delivery latency (notify sent → IGNY8 received) is the measure.
 * Drain = first notify sent → the last of the round's jobs received by IGNY8. CPU is read from /proc/<pid>/stat
 * (utime + stime, and PostgreSQL's reaped children) around each round; memory is RSS (sidecars) and PSS (PostgreSQL,
 * whose shared buffers RSS would count once per backend).
 *
 * Ports (BENCH_HOSTED_PORT_BASE, default 9400): +0 PostgreSQL, +1 simulator, +2 generator (WordPress internal
 * route), +3 nginx, +4 / +5 replicas, +6 the single-site sidecar. Knobs: BENCH_HOSTED_SITES (1000),
 * BENCH_HOSTED_CHANGES (10 per site), BENCH_HOSTED_NOISY (5000), BENCH_HOSTED_NOTIFY_CONCURRENCY (8 notifies in flight).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import pg from 'pg';

import { ensureNginx, NGINX_BIN, nginxArgs, nginxUpstreamConf } from '../scripts/replica-front.js';
import { ROOT } from '../scripts/stack.js';
import { median, p95, pool, sleep } from './lib.js';

// ------------------------------------------------------------------------------- sidecar code (loaded by tsx)

interface SidecarParts {
  signShimRequest(options: { secret: string; method: string; htu: string; body?: string; sid: string; ctx: unknown }): Promise<{ headers: { Authorization: string }; body: Uint8Array }>;
  shimContext(overrides: { route_id?: string; settings?: Record< string, unknown >; site?: Record< string, unknown > }): Record< string, unknown >;
  siteKeys(secret: Uint8Array, sid: string): { kid: string; sidecarToShim: Uint8Array };
  decodeSecret(text: string): Uint8Array;
  keyId(secret: Uint8Array): string;
  bodyHash(body: string): string;
  verifyJwt(token: string, keyFor: (kid: string) => { keys: { kid: string }; key: Uint8Array } | undefined): Promise<{ claims: Record< string, unknown > }>;
  PgDatabase: { open(options: { url: string; poolSize?: number }): Promise< { close(): Promise< void > } > };
  SiteRegistry: new ( db: unknown, cipher: unknown ) => { createEnrolment(url: string, ttlMs: number): Promise< { code: string } > };
  CredentialCipher: new ( key: Uint8Array ) => unknown;
  contract: { sidecar_paths: { events: string; enrol: string; health: string } };
}

async function loadSidecarParts(): Promise< SidecarParts > {
  const load = async ( file: string ) => ( await import( path.join( ROOT, 'sidecar', file ) ) ) as Record< string, unknown >;
  const parts = {
    ...( await load( 'test/helpers/shim-client.ts' ) ),
    ...( await load( 'test/helpers/harness.ts' ) ),
    ...( await load( 'src/protocol/keys.ts' ) ),
    ...( await load( 'src/protocol/jwt.ts' ) ),
    ...( await load( 'src/adapters/pg-store.ts' ) ),
    ...( await load( 'src/adapters/site-registry.ts' ) ),
    ...( await load( 'src/adapters/credential-cipher.ts' ) ),
    ...( await load( 'src/contract/contract.ts' ) ),
  };
  return parts as unknown as SidecarParts;
}

// ----------------------------------------------------------------------------------------- /proc accounting

const TICK_MS = 10; // CLK_TCK 100 on Linux.

function procStat( pid: number ): { ppid: number; cpuMs: number; childCpuMs: number } | undefined {
  try {
    const stat = fs.readFileSync( `/proc/${ pid }/stat`, 'utf8' );
    const f = stat.slice( stat.lastIndexOf( ')' ) + 2 ).split( ' ' );
    return { ppid: Number( f[ 1 ] ), cpuMs: ( Number( f[ 11 ] ) + Number( f[ 12 ] ) ) * TICK_MS, childCpuMs: ( Number( f[ 13 ] ) + Number( f[ 14 ] ) ) * TICK_MS };
  } catch {
    return undefined;
  }
}

function memKiB( pid: number, field: 'Rss' | 'Pss' ): number {
  try {
    const text = fs.readFileSync( `/proc/${ pid }/smaps_rollup`, 'utf8' );
    return Number( new RegExp( `^${ field }:\\s+(\\d+)`, 'm' ).exec( text )?.[ 1 ] ?? 0 );
  } catch {
    return 0;
  }
}

/** RSS from /proc/<pid>/statm: O(1) for the kernel, where smaps_rollup walks every page table of the process. */
function rssKiB( pid: number ): number {
  try {
    return ( Number( fs.readFileSync( `/proc/${ pid }/statm`, 'utf8' ).split( ' ' )[ 1 ] ) * PAGE_BYTES ) / 1024;
  } catch {
    return 0;
  }
}
const PAGE_BYTES = 4096;

const allPids = () => fs.readdirSync( '/proc' ).filter( ( e ) => /^\d+$/.test( e ) ).map( Number );

/** A process and all its descendants (nginx workers, PostgreSQL backends). */
function tree( root: number ): number[] {
  const parent = new Map< number, number >();
  for ( const pid of allPids() ) {
    const s = procStat( pid );
    if ( s ) {
      parent.set( pid, s.ppid );
    }
  }
  const out = [ root ];
  for ( let i = 0; i < out.length; i++ ) {
    for ( const [ pid, ppid ] of parent ) {
      if ( ppid === out[ i ] ) {
        out.push( pid );
      }
    }
  }
  return out.filter( ( pid ) => parent.has( pid ) );
}

/** CPU ms of a process tree so far, including its reaped children (PostgreSQL backends that exited). */
function treeCpuMs( root: number | undefined ): number {
  if ( root === undefined ) {
    return 0;
  }
  let ms = procStat( root )?.childCpuMs ?? 0;
  for ( const pid of tree( root ) ) {
    ms += procStat( pid )?.cpuMs ?? 0;
  }
  return ms;
}

/** Busy and total jiffies of the whole machine (/proc/stat), in ms. */
function machineCpu(): { busyMs: number; totalMs: number } {
  const line = fs.readFileSync( '/proc/stat', 'utf8' ).split( '\n' )[ 0 ]!.trim().split( /\s+/ ).slice( 1 ).map( Number );
  const total = line.slice( 0, 8 ).reduce( ( a, b ) => a + b, 0 );
  const idle = ( line[ 3 ] ?? 0 ) + ( line[ 4 ] ?? 0 );
  return { busyMs: ( total - idle ) * TICK_MS, totalMs: total * TICK_MS };
}

function postmasterPid( port: number ): number | undefined {
  for ( const pid of allPids() ) {
    try {
      const cmd = fs.readFileSync( `/proc/${ pid }/cmdline`, 'utf8' ).split( '\0' );
      if ( cmd[ 0 ]?.endsWith( '/postgres' ) && cmd.includes( '-p' ) && cmd[ cmd.indexOf( '-p' ) + 1 ] === String( port ) ) {
        return pid;
      }
    } catch {
      // gone
    }
  }
  return undefined;
}

// ----------------------------------------------------------------------------------------------- processes

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
}

function startProc( name: string, command: string, args: string[], env: Record< string, string >, cwd: string, logDir: string ): Proc {
  const logFile = path.join( logDir, `${ name }.log` );
  const fd = fs.openSync( logFile, 'a' );
  const child = spawn( command, args, { cwd, env: { ...process.env, ...env }, stdio: [ 'ignore', fd, fd ], detached: true } );
  fs.closeSync( fd );
  return { name, child, logFile };
}

const tail = ( proc: Proc ) => {
  try {
    return fs.readFileSync( proc.logFile, 'utf8' ).slice( -2000 );
  } catch {
    return '';
  }
};

async function stopProc( proc: Proc | undefined ): Promise< void > {
  if ( proc?.child.pid === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null ) {
    return;
  }
  const exited = new Promise( ( resolve ) => proc.child.once( 'exit', resolve ) );
  try {
    process.kill( -proc.child.pid, 'SIGTERM' );
  } catch {
    return;
  }
  if ( ( await Promise.race( [ exited.then( () => true ), sleep( 8000 ).then( () => false ) ] ) ) === false ) {
    try {
      process.kill( -proc.child.pid, 'SIGKILL' );
    } catch {
      // gone
    }
    await exited;
  }
}

async function waitUntil( probe: () => Promise< boolean >, timeoutMs: number, what: string, proc?: Proc ): Promise< void > {
  const deadline = Date.now() + timeoutMs;
  while ( ! ( await probe().catch( () => false ) ) ) {
    if ( proc && proc.child.exitCode !== null ) {
      throw new Error( `${ what }: ${ proc.name } exited (${ proc.child.exitCode })\n${ tail( proc ) }` );
    }
    if ( Date.now() > deadline ) {
      throw new Error( `timed out waiting for ${ what }${ proc ? `\n${ tail( proc ) }` : '' }` );
    }
    await sleep( 100 );
  }
}

const healthy = ( url: string ) => async () => ( await fetch( url ) ).ok;

// ------------------------------------------------------------------------------------ the simulated sites

interface SimSite {
  index: number;
  sid: string;
  secret: string;
  wpUrl: string;
  keys: { kid: string; sidecarToShim: Uint8Array };
}

const taskOf = ( site: number, post: number ) => 1_000_000 + site * 100_000 + post;

/**
 * WordPress's internal route for every simulated site: `/s/{sid}/wp-json/igny8/v1/internal/ops`. Verifies the
 * sidecar's token with that site's keys (signature, sid, body hash), answers each op as the shim does and records
 * which post's pending marker the sidecar cleared, and when (a job is finished when its marker is cleared).
 */
class WordPressFleet {
  readonly sites = new Map< string, SimSite >();
  /** `${sid}:${post}` → time of the first clear_pending_marker. */
  readonly cleared = new Map< string, number >();
  clearedTotal = 0;
  /** Live counts of how many of a set of keys have been cleared (see track). */
  private readonly trackers = new Set< { pending: Set< string >; done: number } >();
  calls = 0;
  refused = 0;
  private server: http.Server | undefined;

  constructor( private readonly parts: SidecarParts, private readonly settings: Record< string, unknown > ) {}

  async listen( port: number ): Promise< void > {
    this.server = http.createServer( ( req, res ) => {
      const chunks: Buffer[] = [];
      req.on( 'data', ( c: Buffer ) => chunks.push( c ) );
      req.on( 'end', () => {
        void this.handle( req, Buffer.concat( chunks ).toString( 'utf8' ) ).then( ( [ status, body ] ) => {
          res.writeHead( status, { 'Content-Type': 'application/json' } );
          res.end( JSON.stringify( body ) );
        } );
      } );
    } );
    this.server.keepAliveTimeout = 30_000;
    await new Promise< void >( ( resolve, reject ) => {
      this.server!.once( 'error', reject );
      this.server!.listen( port, '127.0.0.1', resolve );
    } );
  }

  /**
   * Counts how many of `keys` are cleared, those cleared already included, as the clears arrive: a drain's completion
   * check reads a number instead of looking up every wanted key every 50 ms. `stop()` ends the counting.
   */
  track( keys: readonly string[] ): { readonly done: number; stop(): void } {
    const tracker = { pending: new Set( keys ), done: 0 };
    for ( const key of tracker.pending ) {
      if ( this.cleared.has( key ) ) {
        tracker.pending.delete( key );
        tracker.done++;
      }
    }
    this.trackers.add( tracker );
    return {
      get done() {
        return tracker.done;
      },
      stop: () => void this.trackers.delete( tracker ),
    };
  }

  close(): Promise< void > {
    return new Promise( ( resolve ) => {
      this.server?.closeAllConnections();
      this.server?.close( () => resolve() ) ?? resolve();
    } );
  }

  private async handle( req: http.IncomingMessage, body: string ): Promise< [ number, unknown ] > {
    this.calls++;
    const sid = /^\/s\/([0-9a-f-]{36})\/wp-json\/igny8\/v1\/internal\/ops$/.exec( req.url ?? '' )?.[ 1 ];
    const site = sid === undefined ? undefined : this.sites.get( sid );
    const token = /^Bearer (.+)$/.exec( req.headers.authorization ?? '' )?.[ 1 ];
    if ( site === undefined || token === undefined ) {
      this.refused++;
      return [ 401, { success: false, code: 'IGNY8_INTERNAL_AUTH' } ];
    }
    try {
      const { claims } = await this.parts.verifyJwt( token, ( kid ) => ( kid === site.keys.kid ? { keys: site.keys, key: site.keys.sidecarToShim } : undefined ) );
      if ( claims.sid !== site.sid || claims.bh !== this.parts.bodyHash( body ) || claims.htm !== 'POST' ) {
        throw new Error( 'claims' );
      }
    } catch {
      this.refused++;
      return [ 401, { success: false, code: 'IGNY8_INTERNAL_AUTH' } ];
    }
    const { ops } = JSON.parse( body ) as { ops: Array< { op: string; post_id?: number } > };
    const now = Date.now();
    const results = ops.map( ( op ) => {
      switch ( op.op ) {
        case 'clear_pending_marker': {
          const key = `${ site.sid }:${ op.post_id }`;
          if ( ! this.cleared.has( key ) ) {
            this.cleared.set( key, now );
            for ( const tracker of this.trackers ) {
              if ( tracker.pending.delete( key ) ) {
                tracker.done++;
              }
            }
          }
          this.clearedTotal++;
          return { ok: true, post_id: op.post_id, cleared: true };
        }
        case 'write_sync_meta':
          return { ok: true, post_id: op.post_id, written: [] };
        case 'site_info':
          // The first connection pushes the site structure (SPEC §6): a small site's, as the shim reads it.
          return {
            ok: true,
            site_info: { name: `Site ${ site.index }`, url: site.wpUrl, description: 'Load generator site', language: 'en_US', timezone: 'UTC' },
            post_types: [ { name: 'post', label: 'Posts', count: 10, supports: [ 'title', 'editor' ] } ],
            taxonomies: [ { name: 'category', label: 'Categories', count: 1, terms: [] } ],
            plugins: {},
          };
        case 'list_pending':
          return { ok: true, pending: [], deleted: [], term_changes: [], next_after_id: null, site_uuid: site.sid, settings: this.settings };
        default:
          return { ok: false, error: { code: 'UNSUPPORTED_OP', message: `${ op.op } is not served by the load generator` } };
      }
    } );
    return [ 200, { success: true, data: { results } } ];
  }
}

// --------------------------------------------------------------------------------------------- the result

export interface HostedRound {
  label: string;
  replicas: number;
  store: 'sqlite' | 'postgresql';
  sites: number;
  jobs: number;
  enqueueSeconds: number;
  drainSeconds: number;
  jobsPerSecond: number;
  received: number;
  lost: number;
  repeats: number;
  notifyErrors: number;
  /** Why notifies were refused (status and code → count); each was sent again. */
  notifyRefusals: Record< string, number >;
  cpuMs: { sidecars: number; postgres: number; simulator: number; nginx: number; generator: number; machineBusy: number; machineTotal: number };
  cpuMsPerJob: { sidecar: number; postgres: number };
  /** PostgreSQL statements in the round (pg_stat_statements of the bench database; absent without it). */
  statements?: PgStatements;
  peakMiB: { sidecars: number[]; postgresPss: number };
}

export interface PgStatements {
  calls: number;
  callsPerJob: number;
  /** Statement execution time (planning not included), ms. */
  execMs: number;
  execMsPerJob: number;
  /** The statements with the most calls: the text (normalised by pg_stat_statements, cut), calls per job, exec ms. */
  top: Array< { query: string; calls: number; perJob: number; execMs: number } >;
}

export interface HostedResult {
  sites: number;
  changesPerSite: number;
  cores: number;
  maxOpenSites: number;
  rounds: HostedRound[];
  quiet: { samples: number; p50: number; p95: number; max: number; lost: number; noisyJobs: number; noisyBacklogAtSamples: { first: number; last: number; min: number }; noisyDrainSeconds: number; noisyLost: number; /** CPU per job over the flood (sites already open: the steady per-job cost). */ cpuMsPerJob: { sidecar: number; postgres: number }; statements?: PgStatements };
  memory: { sidecarIdleMiB: number; sidecarPeakMiB: number; openSites: number; perOpenSiteKiB: number; postgresPssPeakMiB: number; postgresDbMiB: number; jobsRows: number; bytesPerJobRow: number };
  enrolSeconds: number;
  internalCalls: { calls: number; refused: number };
}

// ------------------------------------------------------------------------------------------------ the bench

export async function hostedBench( options: { sites: number; changesPerSite: number; noisyJobs: number; portBase: number; log: ( m: string ) => void } ): Promise< HostedResult > {
  const { log } = options;
  const P = { pg: options.portBase, sim: options.portBase + 1, wp: options.portBase + 2, nginx: options.portBase + 3, replicas: [ options.portBase + 4, options.portBase + 5 ], single: options.portBase + 6 };
  const SIM = `http://127.0.0.1:${ P.sim }`;
  const FRONT = `http://127.0.0.1:${ P.nginx }`;
  const SETTINGS = { igny8_api_base_url: SIM, igny8_sync_target: 'tasks', igny8_sync_mode: 'auto', igny8_connection_enabled: true, igny8_allowed_post_types: [ 'post' ] };
  const maxOpenSites = Math.max( 500, options.sites + 10 );
  // Notifies in flight at once in a drain (BENCH_HOSTED_NOTIFY_CONCURRENCY, default 8): 1,000 real sites notify
  // independently, the generator caps how many of their notifies overlap.
  const notifyConcurrency = Math.max( 1, Number( process.env.BENCH_HOSTED_NOTIFY_CONCURRENCY ?? 8 ) || 8 );
  const jobsPerRound = options.sites * options.changesPerSite;
  const parts = await loadSidecarParts();
  const work = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-bench-hosted-' ) );
  const credentialsKey = randomBytes( 32 );
  const procs: Proc[] = [];
  const start = ( ...args: Parameters< typeof startProc > ) => {
    const p = startProc( ...args );
    procs.push( p );
    return p;
  };
  // pg_stat_statements counts the statements per job of each round (BENCH_HOSTED_PG_STATS=0: without it).
  const pgStats = process.env.BENCH_HOSTED_PG_STATS !== '0';
  const pgEnv = { PG_PORT: String( P.pg ), ...( pgStats ? { PG_SERVER_OPTS: '-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=2000' } : {} ) };
  let statsDb: pg.Client | undefined;
  const fleet = new WordPressFleet( parts, SETTINGS );
  let admin: pg.Client | undefined;
  let dbName = '';
  let pgStarted = false;
  try {
    ensureNginx( ROOT );
    log( `  PostgreSQL 15 on 127.0.0.1:${ P.pg } (scripts/pg-runtime.sh), simulator :${ P.sim }, generator :${ P.wp }, nginx :${ P.nginx }` );
    await runScript( [ 'scripts/pg-runtime.sh', 'start' ], pgEnv );
    pgStarted = true;
    const adminUrl = ( await runScript( [ 'scripts/pg-runtime.sh', 'url' ], pgEnv ) ).trim();
    admin = new pg.Client( { connectionString: adminUrl } );
    await admin.connect();
    dbName = `igny8_bench_${ randomUUID().replaceAll( '-', '' ).slice( 0, 12 ) }`;
    await admin.query( `CREATE DATABASE ${ dbName }` );
    const dbUrlObj = new URL( adminUrl );
    dbUrlObj.pathname = `/${ dbName }`;
    const dbUrl = dbUrlObj.toString();
    const pgPid = postmasterPid( P.pg );
    if ( pgStats ) {
      statsDb = new pg.Client( { connectionString: dbUrl } );
      await statsDb.connect();
      try {
        await statsDb.query( 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements' );
        await statsDb.query( 'SELECT pg_stat_statements_reset()' );
      } catch ( error ) {
        log( `  (no statement counts: ${ ( error as Error ).message }; a server already running on :${ P.pg } keeps its options)` );
        await statsDb.end();
        statsDb = undefined;
      }
    }
    const statsReset = async () => {
      await statsDb?.query( 'SELECT pg_stat_statements_reset()' );
    };
    /** The bench database's statements since the last reset (the stats queries themselves left out). */
    const statsRead = async ( jobs: number ): Promise< PgStatements | undefined > => {
      if ( statsDb === undefined ) {
        return undefined;
      }
      const { rows } = await statsDb.query(
        `SELECT query, calls::bigint AS calls, total_exec_time AS ms FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'`
      );
      const all = ( rows as Array< { query: string; calls: string; ms: number } > ).map( ( r ) => ( { query: r.query.replace( /\s+/g, ' ' ).trim(), calls: Number( r.calls ), execMs: Number( r.ms ) } ) );
      const calls = all.reduce( ( a, r ) => a + r.calls, 0 );
      const execMs = all.reduce( ( a, r ) => a + r.execMs, 0 );
      const top = all
        .sort( ( a, b ) => b.calls - a.calls )
        .slice( 0, 12 )
        .map( ( r ) => ( { query: r.query.slice( 0, 140 ), calls: r.calls, perJob: r.calls / jobs, execMs: Math.round( r.execMs ) } ) );
      return { calls, callsPerJob: calls / jobs, execMs: Math.round( execMs ), execMsPerJob: execMs / jobs, top };
    };
    const statsLog = ( s: PgStatements | undefined ) => {
      if ( s === undefined ) {
        return;
      }
      log( `    PostgreSQL: ${ s.callsPerJob.toFixed( 2 ) } statements per job (${ s.calls }), exec ${ s.execMsPerJob.toFixed( 2 ) } ms per job; most called:` );
      for ( const t of s.top.slice( 0, 8 ) ) {
        log( `      ${ t.perJob.toFixed( 2 ) }/job ${ String( t.execMs ).padStart( 6 ) } ms  ${ t.query.slice( 0, 110 ) }` );
      }
    };

    const node = process.execPath;
    // BENCH_HOSTED_CPU_PROF=DIR profiles the simulator too (see startSidecar).
    const simProf = process.env.BENCH_HOSTED_CPU_PROF ? [ '--cpu-prof', `--cpu-prof-dir=${ path.resolve( process.env.BENCH_HOSTED_CPU_PROF ) }` ] : [];
    const sim = start( 'simulator', node, [ ...simProf, '--import', 'tsx', 'simulator/src/server.ts' ], { SIMULATOR_PORT: String( P.sim ) }, ROOT, work );
    await waitUntil( healthy( `${ SIM }/__sim/tasks` ), 30_000, 'the simulator', sim );
    await fleet.listen( P.wp );

    const newSite = ( index: number ): SimSite => {
      const sid = randomUUID();
      const secret = randomBytes( 32 ).toString( 'base64url' );
      const site = { index, sid, secret, wpUrl: `http://127.0.0.1:${ P.wp }/s/${ sid }`, keys: parts.siteKeys( parts.decodeSecret( secret ), sid ) };
      fleet.sites.set( sid, site );
      return site;
    };
    const sidecarEnv = ( port: number, dataDir: string ) => ( {
      SIDECAR_PORT: String( port ),
      SIDECAR_DATA_DIR: dataDir,
      SIDECAR_ALLOWED_HOSTS: `127.0.0.1:${ P.nginx },127.0.0.1:${ port }`,
      IGNY8_SIDECAR_CREDENTIALS_KEY: credentialsKey.toString( 'base64url' ),
      IGNY8_API_BASE_URL: SIM,
      IGNY8_EMAIL: 'dev@igny8.test',
      IGNY8_PASSWORD: 'igny8-dev-password',
      // The per-site limit (600/min) is for production; the bench measures the queue, not the limiter.
      SIDECAR_RATE_LIMIT_PER_MIN: '1000000',
      LOG_LEVEL: 'info',
      MALLOC_ARENA_MAX: '2',
    } );
    const startSidecar = async ( name: string, port: number, env: Record< string, string > ) => {
      const dataDir = path.join( work, name );
      fs.mkdirSync( dataDir, { recursive: true } );
      // BENCH_HOSTED_CPU_PROF=DIR: each sidecar writes V8 CPU profiles there when it stops (node --cpu-prof), one per
      // thread, named CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile (a fixed name would let tsx's loader thread
      // overwrite the main thread's); the log says which pid each sidecar had.
      const prof = process.env.BENCH_HOSTED_CPU_PROF ? [ '--cpu-prof', `--cpu-prof-dir=${ path.resolve( process.env.BENCH_HOSTED_CPU_PROF ) }` ] : [];
      const proc = start( name, node, [ ...prof, '--import', 'tsx', 'src/server.ts' ], { ...sidecarEnv( port, dataDir ), ...env }, path.join( ROOT, 'sidecar' ), work );
      await waitUntil( healthy( `http://127.0.0.1:${ port }${ parts.contract.sidecar_paths.health }` ), 60_000, name, proc );
      if ( prof.length > 0 ) {
        log( `  (${ name }: pid ${ proc.child.pid }, CPU profile in ${ process.env.BENCH_HOSTED_CPU_PROF })` );
      }
      return proc;
    };
    let nginx: Proc | undefined;
    const startNginx = async ( ports: readonly number[] ) => {
      const dir = path.join( work, `nginx-${ ports.length }` );
      fs.mkdirSync( dir, { recursive: true } );
      fs.writeFileSync( path.join( dir, 'nginx.conf' ), nginxUpstreamConf( { dir, listenPort: P.nginx, upstreamPorts: ports, workerConnections: 4096, keepalive: 64, accessLog: false } ) );
      nginx = start( `nginx-${ ports.length }`, NGINX_BIN, nginxArgs( dir ), {}, ROOT, work );
      await waitUntil( healthy( `${ FRONT }${ parts.contract.sidecar_paths.health }` ), 15_000, 'nginx', nginx );
    };

    let seq = Date.now() * 1000;
    // A site's shim context is the same in every notify: built once per site.
    const ctxs = new Map< SimSite, Record< string, unknown > >();
    const ctxFor = ( site: SimSite ) => {
      let ctx = ctxs.get( site );
      if ( ctx === undefined ) {
        ctx = parts.shimContext( { route_id: 'sync_events', settings: SETTINGS, site: { home_url: site.wpUrl } } );
        ctxs.set( site, ctx );
      }
      return ctx;
    };
    /** The shim's shutdown notify: `posts` of `site` changed (one event each), signed with the site's keys. */
    const refusals = new Map< string, number >();
    const notify = async ( front: string, site: SimSite, posts: number[] ): Promise< number > => {
      const body = JSON.stringify( {
        events: posts.map( ( post ) => ( {
          post_id: post,
          seq: String( ++seq ),
          wordpress_status: 'publish',
          post_url: `${ site.wpUrl }/?p=${ post }`,
          post_type: 'post',
          title: `Site ${ site.index } post ${ post }`,
          content_id: taskOf( site.index, post ),
          task_id: taskOf( site.index, post ),
          keyword_ids: [],
        } ) ),
      } );
      const htu = parts.contract.sidecar_paths.events;
      const signed = await parts.signShimRequest( { secret: site.secret, sid: site.sid, method: 'POST', htu, body, ctx: ctxFor( site ) } );
      try {
        const res = await fetch( `${ front }${ htu }`, { method: 'POST', headers: { ...signed.headers, 'Content-Type': 'application/json' }, body: Buffer.from( signed.body ), signal: AbortSignal.timeout( 30_000 ) } );
        const text = await res.text();
        if ( res.status !== 202 ) {
          const code = `${ res.status } ${ /"code":"([A-Z_]+)"/.exec( text )?.[ 1 ] ?? text.replace( /<[^>]*>|\s+/g, ' ' ).trim().slice( 0, 40 ) }`;
          refusals.set( code, ( refusals.get( code ) ?? 0 ) + 1 );
        }
        return res.status;
      } catch ( error ) {
        const code = `network ${ ( error as Error ).name }`;
        refusals.set( code, ( refusals.get( code ) ?? 0 ) + 1 );
        return 0;
      }
    };
    /** Task PUTs the simulator received since the last reset: task id → [arrival times]. */
    const receivedPuts = async (): Promise< Map< number, number[] > > => {
      const res = ( await ( await fetch( `${ SIM }/__sim/received?path=/api/v1/writer/tasks/` ) ).json() ) as { data: Array< { at: number; method: string; path: string } > };
      const puts = new Map< number, number[] >();
      for ( const r of res.data ) {
        const id = /^\/api\/v1\/writer\/tasks\/(\d+)\/$/.exec( r.path )?.[ 1 ];
        if ( r.method === 'PUT' && id !== undefined ) {
          const list = puts.get( Number( id ) ) ?? [];
          list.push( r.at );
          puts.set( Number( id ), list );
        }
      }
      return puts;
    };
    const resetSimulator = () => fetch( `${ SIM }/__sim/reset`, { method: 'POST' } );

    // Memory and CPU sampling of the processes in play.
    let sidecarProcs: Proc[] = [];
    let peak = { sidecars: [] as number[], postgresPss: 0 };
    // The sampler's own CPU is the generator's: the sidecars' RSS comes from statm every 500 ms, PostgreSQL's PSS
    // (smaps_rollup of every backend: a page-table walk each, ~1-3 ms per process) every 5 s and at each round's
    // end. Sampling PSS every 500 ms cost the generator more than all its requests in the 2-replica round.
    let memoryTicks = 0;
    const sampleMemory = ( pss = true ) => {
      peak.sidecars = sidecarProcs.map( ( p, i ) => Math.max( peak.sidecars[ i ] ?? 0, rssKiB( p.child.pid! ) / 1024 ) );
      if ( pss && pgPid !== undefined ) {
        peak.postgresPss = Math.max( peak.postgresPss, tree( pgPid ).reduce( ( sum, pid ) => sum + memKiB( pid, 'Pss' ), 0 ) / 1024 );
      }
    };
    const sampler = setInterval( () => sampleMemory( ++memoryTicks % 10 === 0 ), 500 );
    const cpuNow = () => ( {
      sidecars: sidecarProcs.reduce( ( sum, p ) => sum + treeCpuMs( p.child.pid ), 0 ),
      postgres: treeCpuMs( pgPid ),
      simulator: treeCpuMs( sim.child.pid ),
      nginx: treeCpuMs( nginx?.child.pid ),
      generator: ( process.cpuUsage().user + process.cpuUsage().system ) / 1000,
      machine: machineCpu(),
    } );

    /** One drain: every (site, posts) notified through `front`, until the last job is received by IGNY8. */
    const drain = async ( label: string, store: HostedRound[ 'store' ], replicas: number, front: string, work: Array< { site: SimSite; posts: number[] } >, batch: number ): Promise< HostedRound > => {
      await resetSimulator();
      peak = { sidecars: [], postgresPss: 0 };
      const want = work.flatMap( ( w ) => w.posts.map( ( post ) => ( { site: w.site, post, key: `${ w.site.sid }:${ post }` } ) ) );
      const finished = fleet.track( want.map( ( w ) => w.key ) );
      const requests = work.flatMap( ( w ) => {
        const out: Array< { site: SimSite; posts: number[] } > = [];
        for ( let i = 0; i < w.posts.length; i += batch ) {
          out.push( { site: w.site, posts: w.posts.slice( i, i + batch ) } );
        }
        return out;
      } );
      await statsReset();
      const cpu0 = cpuNow();
      const t0 = Date.now();
      // A refused notify is sent again (up to 5 times, 1 s apart), as the shim's pending marker would be found again.
      let notifyErrors = 0;
      refusals.clear();
      await pool( requests.length, notifyConcurrency, async ( i ) => {
        const r = requests[ i ]!;
        for ( let attempt = 0; attempt < 6; attempt++ ) {
          if ( ( await notify( front, r.site, r.posts ) ) === 202 ) {
            return;
          }
          notifyErrors++;
          await sleep( 1000 );
        }
      } );
      const enqueued = Date.now();
      // Until every job is finished, or nothing more finished for 20 s (a stalled drain is reported, not waited on).
      let done = 0;
      let progressAt = Date.now();
      while ( Date.now() - progressAt < 20_000 ) {
        const now = finished.done;
        if ( now > done ) {
          done = now;
          progressAt = Date.now();
        }
        if ( done >= want.length ) {
          break;
        }
        await sleep( 50 );
      }
      const cpu1 = cpuNow();
      finished.stop();
      const statements = store === 'postgresql' ? await statsRead( want.length ) : undefined;
      sampleMemory();
      await sleep( 300 );
      const puts = await receivedPuts();
      let lost = 0;
      let repeats = 0;
      let last = t0;
      for ( const w of want ) {
        const at = puts.get( taskOf( w.site.index, w.post ) ) ?? [];
        if ( at.length === 0 ) {
          lost++;
        } else {
          repeats += at.length - 1;
          last = Math.max( last, Math.min( ...at ) );
        }
      }
      const drainSeconds = Math.max( 0.001, ( last - t0 ) / 1000 );
      const jobs = want.length;
      const cpuMs = {
        sidecars: cpu1.sidecars - cpu0.sidecars,
        postgres: cpu1.postgres - cpu0.postgres,
        simulator: cpu1.simulator - cpu0.simulator,
        nginx: cpu1.nginx - cpu0.nginx,
        generator: cpu1.generator - cpu0.generator,
        machineBusy: cpu1.machine.busyMs - cpu0.machine.busyMs,
        machineTotal: cpu1.machine.totalMs - cpu0.machine.totalMs,
      };
      const round: HostedRound = {
        label,
        replicas,
        store,
        sites: work.length,
        jobs,
        enqueueSeconds: ( enqueued - t0 ) / 1000,
        drainSeconds,
        jobsPerSecond: ( jobs - lost ) / drainSeconds,
        received: jobs - lost,
        lost,
        repeats,
        notifyErrors,
        notifyRefusals: Object.fromEntries( refusals ),
        cpuMs,
        cpuMsPerJob: { sidecar: cpuMs.sidecars / jobs, postgres: cpuMs.postgres / jobs },
        ...( statements === undefined ? {} : { statements } ),
        peakMiB: { sidecars: peak.sidecars.map( ( v ) => Math.round( v ) ), postgresPss: Math.round( peak.postgresPss ) },
      };
      log( `  ${ label }: ${ jobs - lost }/${ jobs } received in ${ drainSeconds.toFixed( 1 ) } s = ${ round.jobsPerSecond.toFixed( 0 ) } jobs/s (enqueued in ${ round.enqueueSeconds.toFixed( 1 ) } s, ${ notifyErrors } notify refusals, sent again${ refusals.size ? `: ${ [ ...refusals ].map( ( [ k, n ] ) => `${ k } ×${ n }` ).join( ', ' ) }` : '' }), ${ lost } lost, ${ repeats } repeats; CPU ms/job sidecar ${ round.cpuMsPerJob.sidecar.toFixed( 2 ) }, PostgreSQL ${ round.cpuMsPerJob.postgres.toFixed( 2 ) }, simulator ${ ( cpuMs.simulator / jobs ).toFixed( 2 ) }, generator ${ ( cpuMs.generator / jobs ).toFixed( 2 ) }, nginx ${ ( cpuMs.nginx / jobs ).toFixed( 2 ) }, other processes ${ ( Math.max( 0, cpuMs.machineBusy - cpuMs.sidecars - cpuMs.postgres - cpuMs.simulator - cpuMs.generator - cpuMs.nginx ) / jobs ).toFixed( 2 ) }; machine ${ ( ( 100 * cpuMs.machineBusy ) / Math.max( 1, cpuMs.machineTotal ) ).toFixed( 0 ) }% busy (${ ( cpuMs.machineBusy / 1000 / drainSeconds ).toFixed( 2 ) } of ${ os.cpus().length } cores)` );
      statsLog( statements );
      return round;
    };

    const rounds: HostedRound[] = [];
    const range = ( from: number, count: number ) => Array.from( { length: count }, ( _, i ) => from + i );

    // 1. The single-site SQLite baseline: one site, the same number of jobs.
    {
      const site = newSite( 0 );
      const single = await startSidecar( 'sidecar-sqlite', P.single, { IGNY8_SIDECAR_SECRET: site.secret, IGNY8_SIDECAR_SITE_ID: site.sid, WP_URL: site.wpUrl } );
      sidecarProcs = [ single ];
      rounds.push( await drain( 'single-site SQLite, 1 sidecar', 'sqlite', 1, `http://127.0.0.1:${ P.single }`, [ { site, posts: range( 1, jobsPerRound ) } ], 100 ) );
      sidecarProcs = [];
      await stopProc( single );
    }

    // 2. Multi-site on PostgreSQL: enrol every site through the sidecar, then one replica drains.
    const multiEnv = { IGNY8_SIDECAR_MULTI_SITE: '1', IGNY8_SIDECAR_DATABASE_URL: dbUrl, IGNY8_SIDECAR_MAX_OPEN_SITES: String( maxOpenSites ) };
    const sites = range( 1, options.sites ).map( newSite );
    const registryDb = await parts.PgDatabase.open( { url: dbUrl, poolSize: 4 } );
    const registry = new parts.SiteRegistry( registryDb, new parts.CredentialCipher( credentialsKey ) );
    const codes = new Map< string, string >();
    for ( const site of sites ) {
      codes.set( site.sid, ( await registry.createEnrolment( site.wpUrl, 30 * 60_000 ) ).code );
    }
    await registryDb.close();
    let replicas = [ await startSidecar( 'replica-1', P.replicas[ 0 ]!, multiEnv ) ];
    sidecarProcs = replicas;
    await sleep( 1000 );
    const sidecarIdleMiB = memKiB( replicas[ 0 ]!.child.pid!, 'Rss' ) / 1024;
    await startNginx( [ P.replicas[ 0 ]! ] );
    const enrolStart = Date.now();
    let enrolErrors = 0;
    await pool( sites.length, 8, async ( i ) => {
      const site = sites[ i ]!;
      const res = await fetch( `${ FRONT }${ parts.contract.sidecar_paths.enrol }`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify( { code: codes.get( site.sid ), site_id: site.sid, wp_url: site.wpUrl, secret: site.secret, key_id: parts.keyId( parts.decodeSecret( site.secret ) ) } ),
      } );
      await res.arrayBuffer();
      if ( res.status !== 201 ) {
        enrolErrors++;
      }
    } );
    const enrolSeconds = ( Date.now() - enrolStart ) / 1000;
    log( `  enrolled ${ sites.length - enrolErrors }/${ sites.length } sites through POST ${ parts.contract.sidecar_paths.enrol } in ${ enrolSeconds.toFixed( 1 ) } s` );
    if ( enrolErrors > 0 ) {
      throw new Error( `${ enrolErrors } enrolments failed` );
    }
    const perSite = ( from: number ) => sites.map( ( site ) => ( { site, posts: range( from, options.changesPerSite ) } ) );
    rounds.push( await drain( `PostgreSQL, 1 replica, ${ sites.length } sites`, 'postgresql', 1, FRONT, perSite( 1 ), options.changesPerSite ) );
    const onePeak = memKiB( replicas[ 0 ]!.child.pid!, 'Rss' ) / 1024;

    // 3. Two replicas behind the nginx upstream, both started fresh on the same store; new changes for every site.
    sidecarProcs = [];
    await stopProc( nginx );
    await stopProc( replicas[ 0 ] );
    replicas = [ await startSidecar( 'replica-1b', P.replicas[ 0 ]!, multiEnv ), await startSidecar( 'replica-2', P.replicas[ 1 ]!, multiEnv ) ];
    sidecarProcs = replicas;
    await startNginx( P.replicas );
    rounds.push( await drain( `PostgreSQL, 2 replicas, ${ sites.length } sites`, 'postgresql', 2, FRONT, perSite( 1 + options.changesPerSite ), options.changesPerSite ) );

    // 4. A noisy site with `noisyJobs` changes at once; a quiet one sends a change every 100 ms meanwhile.
    await resetSimulator();
    const noisy = sites[ 0 ]!;
    const quiet = sites[ Math.min( 1, sites.length - 1 ) ]!;
    const noisyPosts = range( 50_000, options.noisyJobs );
    const noisyKeys = noisyPosts.map( ( post ) => `${ noisy.sid }:${ post }` );
    const noisyFinished = fleet.track( noisyKeys );
    const noisyBacklog = () => noisyKeys.length - noisyFinished.done;
    await statsReset();
    const floodCpu0 = cpuNow();
    const noisyStart = Date.now();
    const flood = pool( Math.ceil( noisyPosts.length / 100 ), 4, async ( i ) => {
      await notify( FRONT, noisy, noisyPosts.slice( i * 100, i * 100 + 100 ) );
    } );
    // The quiet site starts once the flood is on its way.
    while ( noisyKeys.length - noisyBacklog() === 0 && Date.now() - noisyStart < 10_000 ) {
      await sleep( 20 );
    }
    const samples: Array< { post: number; sentAt: number; backlog: number } > = [];
    const sends: Array< Promise< number > > = [];
    for ( let k = 0; k < 600; k++ ) {
      const backlog = noisyBacklog();
      if ( samples.length >= 20 && backlog === 0 ) {
        break;
      }
      const post = 90_000 + k;
      samples.push( { post, sentAt: Date.now(), backlog } );
      sends.push( notify( FRONT, quiet, [ post ] ) );
      await sleep( 100 );
    }
    await flood;
    await Promise.all( sends );
    const quietKeys = samples.map( ( s ) => `${ quiet.sid }:${ s.post }` );
    let left = Infinity;
    let progressAt = Date.now();
    while ( Date.now() - progressAt < 20_000 ) {
      const now = noisyBacklog() + quietKeys.filter( ( k ) => ! fleet.cleared.has( k ) ).length;
      if ( now === 0 ) {
        break;
      }
      if ( now < left ) {
        left = now;
        progressAt = Date.now();
      }
      await sleep( 50 );
    }
    const floodCpu1 = cpuNow();
    const floodStatements = await statsRead( noisyPosts.length + samples.length );
    await sleep( 300 );
    const puts = await receivedPuts();
    const latencies: number[] = [];
    let quietLost = 0;
    for ( const s of samples ) {
      const at = puts.get( taskOf( quiet.index, s.post ) );
      if ( at === undefined ) {
        quietLost++;
      } else {
        latencies.push( Math.min( ...at ) - s.sentAt );
      }
    }
    const noisyArrivals = noisyPosts.map( ( post ) => puts.get( taskOf( noisy.index, post ) ) );
    const noisyLost = noisyArrivals.filter( ( a ) => a === undefined ).length;
    const noisyLast = Math.max( noisyStart, ...noisyArrivals.filter( ( a ): a is number[] => a !== undefined ).map( ( a ) => Math.min( ...a ) ) );
    const backlogs = samples.map( ( s ) => s.backlog );
    const quietResult = {
      samples: latencies.length,
      p50: median( latencies ),
      p95: p95( latencies ),
      max: Math.max( ...latencies ),
      lost: quietLost,
      noisyJobs: noisyPosts.length,
      noisyBacklogAtSamples: { first: backlogs[ 0 ] ?? 0, last: backlogs.at( -1 ) ?? 0, min: Math.min( ...backlogs ) },
      noisyDrainSeconds: ( noisyLast - noisyStart ) / 1000,
      noisyLost,
      cpuMsPerJob: {
        sidecar: ( floodCpu1.sidecars - floodCpu0.sidecars ) / ( noisyPosts.length + samples.length ),
        postgres: ( floodCpu1.postgres - floodCpu0.postgres ) / ( noisyPosts.length + samples.length ),
      },
      ...( floodStatements === undefined ? {} : { statements: floodStatements } ),
    };
    log( `  quiet site while one site holds ${ noisyPosts.length } pending: p50 ${ quietResult.p50.toFixed( 0 ) } ms, p95 ${ quietResult.p95.toFixed( 0 ) } ms, max ${ quietResult.max.toFixed( 0 ) } ms over ${ latencies.length } changes (noisy backlog ${ quietResult.noisyBacklogAtSamples.first } → ${ quietResult.noisyBacklogAtSamples.last } while sampling; noisy drained in ${ quietResult.noisyDrainSeconds.toFixed( 1 ) } s, ${ noisyLost } lost)` );
    log( `    flood CPU ms/job: sidecars ${ quietResult.cpuMsPerJob.sidecar.toFixed( 2 ) }, PostgreSQL ${ quietResult.cpuMsPerJob.postgres.toFixed( 2 ) }` );
    statsLog( floodStatements );
    noisyFinished.stop();
    clearInterval( sampler );

    // Store footprint and open runtimes.
    const db = new pg.Client( { connectionString: dbUrl } );
    await db.connect();
    const size = ( await db.query( `SELECT pg_database_size(current_database())::bigint AS db, pg_total_relation_size('igny8_sync_jobs')::bigint AS jobs, (SELECT COUNT(*) FROM igny8_sync_jobs)::bigint AS rows` ) ).rows[ 0 ] as { db: string; jobs: string; rows: string };
    await db.end();
    const two = rounds.at( -1 )!;
    const sidecarPeakMiB = Math.max( onePeak, ...two.peakMiB.sidecars, ...rounds[ 1 ]!.peakMiB.sidecars );
    const memory = {
      sidecarIdleMiB,
      sidecarPeakMiB,
      openSites: sites.length,
      perOpenSiteKiB: ( ( onePeak - sidecarIdleMiB ) * 1024 ) / sites.length,
      postgresPssPeakMiB: Math.max( ...rounds.map( ( r ) => r.peakMiB.postgresPss ) ),
      postgresDbMiB: Number( size.db ) / 1048576,
      jobsRows: Number( size.rows ),
      bytesPerJobRow: Number( size.jobs ) / Math.max( 1, Number( size.rows ) ),
    };
    sidecarProcs = [];
    return {
      sites: options.sites,
      changesPerSite: options.changesPerSite,
      cores: os.cpus().length,
      maxOpenSites,
      rounds,
      quiet: quietResult,
      memory,
      enrolSeconds,
      internalCalls: { calls: fleet.calls, refused: fleet.refused },
    };
  } finally {
    await statsDb?.end().catch( () => undefined );
    for ( const proc of [ ...procs ].reverse() ) {
      await stopProc( proc );
    }
    await fleet.close();
    if ( admin !== undefined ) {
      await admin.query( `DROP DATABASE IF EXISTS ${ dbName } WITH (FORCE)` ).catch( () => undefined );
      await admin.end();
    }
    if ( pgStarted ) {
      await runScript( [ 'scripts/pg-runtime.sh', 'stop' ], pgEnv ).catch( () => undefined );
    }
    fs.rmSync( work, { recursive: true, force: true } );
  }
}

function runScript( args: string[], env: Record< string, string > ): Promise< string > {
  return new Promise( ( resolve, reject ) => {
    const child = spawn( 'bash', args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: [ 'ignore', 'pipe', 'pipe' ] } );
    let out = '';
    let err = '';
    child.stdout.on( 'data', ( c: Buffer ) => ( out += c.toString() ) );
    child.stderr.on( 'data', ( c: Buffer ) => ( err += c.toString() ) );
    child.once( 'exit', ( code ) => ( code === 0 ? resolve( out ) : reject( new Error( `bash ${ args.join( ' ' ) } exited ${ code }: ${ err.slice( -1000 ) }` ) ) ) );
  } );
}

// ------------------------------------------------------------------------------------------- the analysis

/** What the measured per-job cost means: replica scaling on this machine, and 100,000 sites. */
export function hostedAnalysis( r: HostedResult ): { lines: string[]; estimate: Record< string, number > } {
  const sqlite = r.rounds.find( ( x ) => x.store === 'sqlite' );
  const one = r.rounds.find( ( x ) => x.store === 'postgresql' && x.replicas === 1 );
  const two = r.rounds.find( ( x ) => x.store === 'postgresql' && x.replicas === 2 );
  const lines: string[] = [];
  const estimate: Record< string, number > = {};
  if ( ! one || ! two ) {
    return { lines, estimate };
  }
  const busy = ( x: HostedRound ) => x.cpuMs.machineBusy / Math.max( 1, x.cpuMs.machineTotal );
  const coresUsed = ( x: HostedRound ) => ( busy( x ) * r.cores );
  const share = ( x: HostedRound, ms: number ) => ( 100 * ms ) / Math.max( 1, x.cpuMs.machineBusy );
  const perJob = ( two.cpuMs.sidecars + two.cpuMs.postgres ) / two.jobs;
  const bound = ( 1000 * r.cores ) / perJob;
  lines.push(
    `Replica scaling: 1 → 2 replicas went from ${ one.jobsPerSecond.toFixed( 0 ) } to ${ two.jobsPerSecond.toFixed( 0 ) } jobs/s (×${ ( two.jobsPerSecond / one.jobsPerSecond ).toFixed( 2 ) }). ` +
      `The machine has ${ r.cores } cores and was ${ ( 100 * busy( one ) ).toFixed( 0 ) }% busy with 1 replica and ${ ( 100 * busy( two ) ).toFixed( 0 ) }% with 2 (${ coresUsed( two ).toFixed( 2 ) } cores); ` +
      `of the 2-replica round's busy CPU the sidecars took ${ share( two, two.cpuMs.sidecars ).toFixed( 0 ) }%, PostgreSQL ${ share( two, two.cpuMs.postgres ).toFixed( 0 ) }%, the IGNY8 simulator ${ share( two, two.cpuMs.simulator ).toFixed( 0 ) }%, ` +
      `the load generator ${ share( two, two.cpuMs.generator ).toFixed( 0 ) }%, nginx ${ share( two, two.cpuMs.nginx ).toFixed( 0 ) }%, and processes outside this bench (the machine is shared) ` +
      `${ Math.max( 0, 100 - share( two, two.cpuMs.sidecars + two.cpuMs.postgres + two.cpuMs.simulator + two.cpuMs.generator + two.cpuMs.nginx ) ).toFixed( 0 ) }%.`
  );
  lines.push(
    busy( two ) > 0.85
      ? `This machine is the limit: with 2 replicas every core is busy, and the simulated IGNY8 and the sites run on the same 2 cores, so a second replica can only reorder CPU, not add any. ` +
          `Even with the whole machine for sidecar + PostgreSQL (${ perJob.toFixed( 2 ) } CPU ms per job measured), ${ r.cores } cores cap the drain at about ${ bound.toFixed( 0 ) } jobs/s; real scaling needs replicas on their own cores.`
      : `The machine was not saturated (${ ( 100 * busy( two ) ).toFixed( 0 ) }% busy with 2 replicas): the drain is limited by delivery concurrency and latency, not by CPU. At ${ perJob.toFixed( 2 ) } CPU ms per job (sidecar + PostgreSQL), ${ r.cores } cores would carry about ${ bound.toFixed( 0 ) } jobs/s.`
  );
  // 100,000 sites: the same per-job cost, 10 changes per site.
  const sites = 100_000;
  const jobs = sites * r.changesPerSite;
  // The per-job cost of sites already open (the flood round), and what opening a site costs the first time (the
  // 1-replica round opened every site: its CPU beyond jobs × the steady cost, per site).
  const steady = r.quiet.cpuMsPerJob;
  const sidecarMs = Number.isFinite( steady.sidecar ) && steady.sidecar > 0 ? steady.sidecar : two.cpuMsPerJob.sidecar;
  const pgMs = Number.isFinite( steady.postgres ) && steady.postgres > 0 ? steady.postgres : two.cpuMsPerJob.postgres;
  const openSidecarMs = Math.max( 0, ( one.cpuMs.sidecars - one.jobs * sidecarMs ) / r.sites );
  const openPgMs = Math.max( 0, ( one.cpuMs.postgres - one.jobs * pgMs ) / r.sites );
  const coreSecondsSidecar = ( jobs * sidecarMs ) / 1000;
  const coreSecondsPg = ( jobs * pgMs ) / 1000;
  const perDaySteady = jobs / 86_400;
  Object.assign( estimate, {
    sites,
    jobs,
    sidecarCpuMsPerJob: sidecarMs,
    postgresCpuMsPerJob: pgMs,
    sidecarCoreSeconds: coreSecondsSidecar,
    postgresCoreSeconds: coreSecondsPg,
    coresToDrainInOneHour: ( coreSecondsSidecar + coreSecondsPg ) / 3600,
    sidecarCoresToDrainInOneHour: coreSecondsSidecar / 3600,
    postgresCoresToDrainInOneHour: coreSecondsPg / 3600,
    steadyJobsPerSecond: perDaySteady,
    steadyCores: ( perDaySteady * ( sidecarMs + pgMs ) ) / 1000,
    postgresStoreGiB: ( jobs * r.memory.bytesPerJobRow ) / 1024 ** 3,
    sidecarMiBAllOpen: r.memory.sidecarIdleMiB + ( sites * r.memory.perOpenSiteKiB ) / 1024,
    siteOpenSidecarCpuMs: openSidecarMs,
    siteOpenPostgresCpuMs: openPgMs,
    siteOpenCoreHours: ( sites * ( openSidecarMs + openPgMs ) ) / 3_600_000,
  } );
  lines.push(
    `100,000 sites (estimate from this run's per-job cost with the sites open, measured over the flood: sidecar ${ sidecarMs.toFixed( 2 ) } CPU ms, PostgreSQL ${ pgMs.toFixed( 2 ) } CPU ms per job): a backlog of ${ r.changesPerSite } changes per site is ${ ( jobs / 1e6 ).toFixed( 1 ) } M jobs = ` +
      `${ ( coreSecondsSidecar / 3600 ).toFixed( 1 ) } sidecar core-hours + ${ ( coreSecondsPg / 3600 ).toFixed( 1 ) } PostgreSQL core-hours, i.e. about ${ estimate.coresToDrainInOneHour!.toFixed( 1 ) } cores to drain it in one hour ` +
      `(${ estimate.sidecarCoresToDrainInOneHour!.toFixed( 1 ) } for the replicas, ${ estimate.postgresCoresToDrainInOneHour!.toFixed( 1 ) } for PostgreSQL). The same ${ r.changesPerSite } changes per site per day is ${ perDaySteady.toFixed( 1 ) } jobs/s on average: ` +
      `${ estimate.steadyCores!.toFixed( 2 ) } cores; peaks, not the average, size it. Queue rows: ${ r.memory.bytesPerJobRow.toFixed( 0 ) } bytes per job row in PostgreSQL (${ estimate.postgresStoreGiB!.toFixed( 1 ) } GiB for one row per changed post). ` +
      `Memory: ${ r.memory.perOpenSiteKiB.toFixed( 0 ) } KiB per open site runtime in a replica, so all 100,000 open at once would need ~${ ( estimate.sidecarMiBAllOpen! / 1024 ).toFixed( 1 ) } GiB: keep IGNY8_SIDECAR_MAX_OPEN_SITES bounded per replica (sites reopen from PostgreSQL).`
  );
  lines.push(
    `Opening a site the first time (its runtime, its pg-boss wake-up queue, the IGNY8 login and the first structure push) cost about ${ openSidecarMs.toFixed( 0 ) } sidecar + ${ openPgMs.toFixed( 0 ) } PostgreSQL CPU ms per site in the 1-replica round ` +
      `(its CPU beyond jobs × the steady cost): ${ estimate.siteOpenCoreHours!.toFixed( 1 ) } core-hours for 100,000 sites, once (and again for each site a replica reopens after closing it).`
  );
  if ( sqlite ) {
    // Why 2 replicas do or do not reach SQLite on this machine: every process group's CPU per job in both rounds, and
    // the rate the CPU the bench had (the machine's busy time less the other processes') allows at that cost.
    const groups = ( x: HostedRound ) => {
      const own = x.cpuMs.sidecars + x.cpuMs.postgres + x.cpuMs.simulator + x.cpuMs.generator + x.cpuMs.nginx;
      return { own: own / x.jobs, other: Math.max( 0, x.cpuMs.machineBusy - own ) / x.jobs, ownCores: own / 1000 / x.drainSeconds };
    };
    const fmt = ( x: HostedRound ) =>
      `sidecar${ x.replicas > 1 ? 's' : '' } ${ ( x.cpuMs.sidecars / x.jobs ).toFixed( 2 ) }, PostgreSQL ${ ( x.cpuMs.postgres / x.jobs ).toFixed( 2 ) }, simulated IGNY8 ${ ( x.cpuMs.simulator / x.jobs ).toFixed( 2 ) }, ` +
      `load generator ${ ( x.cpuMs.generator / x.jobs ).toFixed( 2 ) }, nginx ${ ( x.cpuMs.nginx / x.jobs ).toFixed( 2 ) } = ${ groups( x ).own.toFixed( 2 ) } CPU ms per job (other processes on the machine ${ groups( x ).other.toFixed( 2 ) })`;
    const ceiling = ( 1000 * groups( sqlite ).ownCores ) / groups( two ).own;
    lines.push(
      `CPU per job, every process group of the bench: SQLite round ${ fmt( sqlite ) }, using ${ groups( sqlite ).ownCores.toFixed( 2 ) } cores; ` +
        `2-replica round ${ fmt( two ) }, using ${ groups( two ).ownCores.toFixed( 2 ) } cores. ` +
        `With the ${ groups( sqlite ).ownCores.toFixed( 2 ) } cores the SQLite round's processes had, the 2-replica path's ${ groups( two ).own.toFixed( 2 ) } ms per job allows about ${ ceiling.toFixed( 0 ) } jobs/s ` +
        `against SQLite's ${ sqlite.jobsPerSecond.toFixed( 0 ) }${ two.statements ? `; PostgreSQL ran ${ two.statements.callsPerJob.toFixed( 2 ) } statements per job in the 2-replica round (${ r.quiet.statements?.callsPerJob.toFixed( 2 ) ?? '?' } over the flood, sites open)` : '' }.`
    );
    lines.push( `Baseline: one site on the embedded SQLite store drained the same ${ sqlite.jobs } jobs at ${ sqlite.jobsPerSecond.toFixed( 0 ) } jobs/s (sidecar ${ sqlite.cpuMsPerJob.sidecar.toFixed( 2 ) } CPU ms per job).` );
  }
  return { lines, estimate };
}

