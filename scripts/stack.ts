/**
 * The whole local stack in one place: a real WordPress (scripts/wp-runtime.sh), the sidecar as a child process
 * and the IGNY8 simulator in-process. Used by `npm start`, the test suites' global setup and the benchmarks.
 */
import { type ChildProcess, spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { startSimulator, type Simulator } from '../simulator/src/server.js';

const run = promisify( execFile );
export const ROOT = path.resolve( import.meta.dirname, '..' );

export interface StackOptions {
	wpVersion?: string;
	wpDb?: 'sqlite' | 'mariadb';
	wpPort?: number;
	sidecarPort?: number;
	simulatorPort?: number;
	/** The instance folder (default WP_STATE_DIR, else $IGNY8_HOME/wp-VERSION-DB); one per site when a process runs several. */
	stateDir?: string;
	/** Fresh site (CI) instead of reusing the existing one (npm start). */
	fresh?: boolean;
	apiKey?: string;
	imageAllowlist?: string;
	/** IGNY8_TRUSTED_PROXIES for the site (tests: '127.0.0.1', so X-Forwarded-For chooses the rate-limited IP). */
	trustedProxies?: string;
	extraPluginDirs?: string[];
	sidecarEnv?: Record< string, string >;
	/** How to run the sidecar; default the source through tsx. E.g. the release tarball: [ 'node', entry, 'start' ]. */
	sidecarCommand?: string[];
	/**
	 * Run the release artifacts instead of the source tree: the plugin zip unpacked into the site (a real folder, as
	 * Upload Plugin leaves it) and the sidecar installed from its tarball, started with plain `node` in the environment
	 * its systemd unit gives it (releaseSidecarEnv). Wins over sidecarCommand.
	 */
	release?: { pluginZip: string; sidecarEntry: string; unitFile: string };
	/**
	 * A site without a sidecar of its own (WP_SIDECAR=hosted in scripts/wp-runtime.sh): no IGNY8_SIDECAR_URL, no
	 * sidecar.secret, no sidecar process; it enrols on a hosted sidecar (scripts/hosted-stack.ts). The stack still
	 * starts the site's own IGNY8 simulator.
	 */
	hosted?: boolean;
	log?: ( message: string ) => void;
	/** Aborting (SIGINT/SIGTERM while starting) stops whatever already started; startStack then rejects. */
	signal?: AbortSignal;
}

export interface Stack {
	wpUrl: string;
	sidecarUrl: string;
	simulator: Simulator;
	apiKey: string;
	admin: { user: string; password: string };
	stateDir: string;
	sidecarLog: string;
	debugLog: string;
	wpVersion: string;
	wpDb: string;
	startSidecar(): Promise< void >;
	stopSidecar( signal?: NodeJS.Signals ): Promise< void >;
	/** Process group of the running sidecar (the tsx launcher and the node process serving it), or undefined. */
	sidecarPid(): number | undefined;
	wpEval( php: string ): Promise< string >;
	stop(): Promise< void >;
}

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

async function waitForOk( url: string, timeoutMs: number ): Promise< void > {
	const deadline = Date.now() + timeoutMs;
	let last = '';
	while ( Date.now() < deadline ) {
		try {
			const res = await fetch( url, { signal: AbortSignal.timeout( 1000 ) } );
			if ( res.ok ) {
				return;
			}
			last = `HTTP ${ res.status }`;
		} catch ( error ) {
			last = ( error as Error ).message;
		}
		await sleep( 50 );
	}
	throw new Error( `${ url } not ready after ${ timeoutMs } ms (${ last })` );
}

async function assertPortFree( port: number, what: string, envName: string ): Promise< void > {
	const inUse = await new Promise< boolean >( ( resolve ) => {
		const probe = net.connect( port, '127.0.0.1' );
		probe.once( 'connect', () => {
			probe.destroy();
			resolve( true );
		} );
		probe.once( 'error', () => resolve( false ) );
	} );
	if ( inUse ) {
		throw new Error( `Port ${ port } for the ${ what } is already in use: stop whatever listens there, or set ${ envName }.` );
	}
}

/** Kills a child's whole process group (it was spawned detached) and waits for it to exit. */
async function killGroup( child: ChildProcess | undefined, signal: NodeJS.Signals ): Promise< void > {
	if ( ! child?.pid || child.exitCode !== null || child.signalCode !== null ) {
		return;
	}
	const exited = new Promise( ( resolve ) => child.once( 'exit', resolve ) );
	try {
		process.kill( -child.pid, signal );
	} catch {
		return;
	}
	await Promise.race( [ exited, sleep( 5000 ) ] );
	if ( child.exitCode === null && child.signalCode === null ) {
		process.kill( -child.pid, 'SIGKILL' );
		await exited;
	}
}

/** The rule the shim applies to an API key (Security\\Api_Key::set): a key it would refuse must stop start-up. */
export const API_KEY_RULE = '32–512 printable characters (ASCII 0x21–0x7E, no spaces)';

export function apiKeyProblem( key: string ): string | undefined {
	return /^[\x21-\x7E]{32,512}$/.test( key )
		? undefined
		: `IGNY8_API_KEY must be ${ API_KEY_RULE }; the one given has ${ key.length } character${ key.length === 1 ? '' : 's' }${ /[^\x21-\x7E]/.test( key ) ? ', some not printable' : '' }. The site would refuse it and every IGNY8 call would get 401.`;
}

/**
 * The processes whose death ends the stack: this one, plus the launchers above it that belong to the same command
 * (`npm start` → sh → tsx → node): killing any of them with kill -9 must not leave the stack running.
 */
function owners(): number[] {
	const list = [ process.pid ];
	let pid = process.ppid;
	while ( pid > 1 && list.length < 6 ) {
		let cmdline: string;
		let stat: string;
		try {
			cmdline = fs.readFileSync( `/proc/${ pid }/cmdline`, 'utf8' ).split( '\0' ).join( ' ' );
			stat = fs.readFileSync( `/proc/${ pid }/stat`, 'utf8' );
		} catch {
			break;
		}
		if ( ! /(^|\/| )(npm|npx|tsx)( |$)|node_modules\/\.bin\/tsx|tsx\/dist|scripts\/(start|bench|soak)\.(sh|ts)|npm-cli\.js|npm (start|run)/.test( cmdline ) ) {
			break;
		}
		list.push( pid );
		pid = Number( stat.slice( stat.lastIndexOf( ')' ) + 2 ).split( ' ' )[ 1 ] );
	}
	return list;
}

/**
 * A detached watchdog: when this process or one of its launchers is gone (exited, or killed with kill -9), it
 * stops this process (SIGTERM, then SIGKILL), the sidecar's process group (pgid in the state folder) and the
 * instance's servers (wp-runtime.sh stop), so no child outlives the stack's owner.
 */
function startWatchdog( stateDir: string, env: NodeJS.ProcessEnv ): ChildProcess {
	const script = [
		'watching=1',
		'while [ $watching = 1 ]; do for p in $OWNERS; do kill -0 "$p" 2>/dev/null || watching=0; done; [ $watching = 1 ] && sleep 0.5; done',
		'if kill -0 "$SELF" 2>/dev/null; then kill -TERM "$SELF" 2>/dev/null; for i in $(seq 50); do kill -0 "$SELF" 2>/dev/null || break; sleep 0.2; done; kill -KILL "$SELF" 2>/dev/null; fi',
		'pg=$(cat "$SIDECAR_PGID" 2>/dev/null || true)',
		'case "$pg" in ""|*[!0-9]*) ;; *) kill -TERM -- "-$pg" 2>/dev/null; sleep 1; kill -KILL -- "-$pg" 2>/dev/null ;; esac',
		'rm -f "$SIDECAR_PGID"',
		'exec bash "$RUNTIME" stop >/dev/null 2>&1',
	].join( '\n' );
	const watchdog = spawn( 'bash', [ '-c', script ], {
		detached: true,
		stdio: 'ignore',
		env: {
			...env,
			SELF: String( process.pid ),
			OWNERS: owners().join( ' ' ),
			SIDECAR_PGID: path.join( stateDir, 'sidecar.pgid' ),
			RUNTIME: path.join( ROOT, 'scripts/wp-runtime.sh' ),
		},
	} );
	watchdog.unref();
	return watchdog;
}

/** A sidecar group left by an owner that died before its watchdog could act: stop it before reusing the port. */
function killRecordedSidecar( stateDir: string ): void {
	const file = path.join( stateDir, 'sidecar.pgid' );
	const pgid = Number( fs.existsSync( file ) ? fs.readFileSync( file, 'utf8' ).trim() : NaN );
	if ( Number.isInteger( pgid ) && pgid > 1 ) {
		try {
			process.kill( -pgid, 'SIGKILL' );
		} catch {
			// Already gone.
		}
	}
	fs.rmSync( file, { force: true } );
}

/**
 * The environment systemd gives the sidecar: no inherited variables but a PATH, the unit's own `Environment=` lines
 * (NODE_ENV, NODE_OPTIONS, ...), then what its EnvironmentFile holds: here `vars`, plus every SIDECAR_* / IGNY8_* /
 * LOG_LEVEL variable of this process (the test settings an operator would put in that file). SIDECAR_DATA_DIR
 * stands in for the unit's StateDirectory.
 */
export function releaseSidecarEnv( unitFile: string, vars: Record< string, string > ): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
	for ( const line of fs.readFileSync( unitFile, 'utf8' ).split( '\n' ) ) {
		const m = /^Environment=([A-Z_][A-Z0-9_]*)=(.*)$/.exec( line.trim() );
		if ( m ) {
			env[ m[ 1 ] as string ] = m[ 2 ] as string;
		}
	}
	for ( const [ name, value ] of Object.entries( process.env ) ) {
		if ( /^(SIDECAR_|IGNY8_)/.test( name ) && value !== undefined ) {
			env[ name ] = value;
		}
	}
	return { ...env, ...vars };
}

/**
 * The sidecar compiled for `npm start`: sidecar/src/server.ts bundled by esbuild into one ES module (dependencies
 * external, resolved from the root node_modules; a source map for stack traces), run with plain node, which starts
 * in about a third of the time tsx takes to compile the sources on every start (1.1 s against 3.3 s at load average
 * 7). Rebuilt only when one of the bundle's inputs (esbuild's metafile: every source file and the contract JSON) or
 * the lockfile changed; the stamp holds their hashes.
 */
export async function devSidecarCommand( log: ( message: string ) => void = () => undefined ): Promise< string[] > {
	const dir = path.join( ROOT, 'node_modules/.cache/igny8-sidecar-dev' );
	const outfile = path.join( dir, 'server.mjs' );
	const stampFile = path.join( dir, 'inputs.json' );
	const sha = ( file: string ) => {
		try {
			return createHash( 'sha256' ).update( fs.readFileSync( file ) ).digest( 'hex' );
		} catch {
			return 'missing';
		}
	};
	const lock = path.join( ROOT, 'package-lock.json' );
	let stamp: Record< string, string > | undefined;
	try {
		stamp = JSON.parse( fs.readFileSync( stampFile, 'utf8' ) ) as Record< string, string >;
	} catch {
		stamp = undefined;
	}
	const fresh = stamp !== undefined && fs.existsSync( outfile ) && stamp[ lock ] === sha( lock ) && Object.entries( stamp ).every( ( [ file, hash ] ) => sha( file ) === hash );
	if ( ! fresh ) {
		const t0 = Date.now();
		const { build } = await import( 'esbuild' );
		const result = await build( {
			entryPoints: [ path.join( ROOT, 'sidecar/src/server.ts' ) ],
			outfile,
			bundle: true,
			platform: 'node',
			format: 'esm',
			target: 'node20.19',
			packages: 'external',
			sourcemap: 'linked',
			metafile: true,
			absWorkingDir: ROOT,
			logLevel: 'warning',
		} );
		const inputs: Record< string, string > = { [ lock ]: sha( lock ) };
		for ( const rel of Object.keys( result.metafile.inputs ) ) {
			const file = path.resolve( ROOT, rel );
			inputs[ file ] = sha( file );
		}
		fs.writeFileSync( stampFile, JSON.stringify( inputs ) );
		log( `Sidecar compiled (esbuild) in ${ ( ( Date.now() - t0 ) / 1000 ).toFixed( 1 ) } s` );
	}
	return [ process.execPath, '--enable-source-maps', outfile ];
}

export async function startStack( options: StackOptions = {} ): Promise< Stack > {
	const log = options.log ?? ( ( m: string ) => process.stdout.write( m + '\n' ) );
	const wpVersion = options.wpVersion ?? process.env.WP_VERSION ?? '6.1';
	const wpDb = options.wpDb ?? ( process.env.WP_DB === 'mariadb' ? 'mariadb' : 'sqlite' );
	const wpPort = options.wpPort ?? Number( process.env.WP_PORT ?? 8888 );
	const sidecarPort = options.sidecarPort ?? Number( process.env.SIDECAR_PORT ?? 8787 );
	const simulatorPort = options.simulatorPort ?? Number( process.env.SIMULATOR_PORT ?? 8790 );
	const home = process.env.IGNY8_HOME ?? path.join( ROOT, '.igny8' );
	const stateDir = options.stateDir ?? process.env.WP_STATE_DIR ?? path.join( home, `wp-${ wpVersion }-${ wpDb }` );
	const wpUrl = `http://127.0.0.1:${ wpPort }`;
	const sidecarUrl = `http://127.0.0.1:${ sidecarPort }`;
	const runtimeEnv = {
		...process.env,
		IGNY8_HOME: home,
		WP_VERSION: wpVersion,
		WP_DB: wpDb,
		WP_PORT: String( wpPort ),
		WP_STATE_DIR: stateDir,
		SIDECAR_PORT: String( sidecarPort ),
		IGNY8_IMAGE_HOST_ALLOWLIST: options.imageAllowlist ?? process.env.IGNY8_IMAGE_HOST_ALLOWLIST ?? '',
		IGNY8_TRUSTED_PROXIES: options.trustedProxies ?? process.env.IGNY8_TRUSTED_PROXIES ?? '',
		EXTRA_PLUGIN_DIRS: ( options.extraPluginDirs ?? [] ).join( ' ' ),
		PLUGIN_ZIP: options.release?.pluginZip ?? '',
		WP_SIDECAR: options.hosted ? 'hosted' : 'own',
	};
	const keyFile = path.join( stateDir, 'igny8-api-key' );
	const apiKey =
		options.apiKey ??
		process.env.IGNY8_API_KEY ??
		( fs.existsSync( keyFile ) ? fs.readFileSync( keyFile, 'utf8' ).trim() : randomBytes( 32 ).toString( 'base64url' ) );
	const keyProblem = apiKeyProblem( apiKey );
	if ( keyProblem !== undefined ) {
		throw new Error( keyProblem );
	}

	const signal = options.signal;
	const aborted = () => {
		if ( signal?.aborted ) {
			throw new Error( 'start-up interrupted: everything started so far was stopped' );
		}
	};
	aborted();
	/** wp-runtime.sh commands in flight: an abort ends them before `stop` runs. */
	const inFlight = new Set< ChildProcess >();
	const runtime = async ( ...args: string[] ) => {
		const pending = run( 'bash', [ path.join( ROOT, 'scripts/wp-runtime.sh' ), ...args ], {
			env: runtimeEnv,
			maxBuffer: 16 * 1024 * 1024,
		} );
		inFlight.add( pending.child );
		try {
			const { stdout } = await pending;
			return stdout;
		} finally {
			inFlight.delete( pending.child );
		}
	};

	fs.mkdirSync( stateDir, { recursive: true } );
	killRecordedSidecar( stateDir );
	const watchdog = startWatchdog( stateDir, runtimeEnv );
	let t = Date.now();
	log( `Starting WordPress ${ wpVersion } (${ wpDb }) on ${ wpUrl }…` );

	fs.writeFileSync( keyFile, apiKey, { mode: 0o600 } );

	const sidecarLog = path.join( stateDir, 'sidecar.log' );
	const wpEval = ( php: string ) => runtime( 'eval', php );
	let simulator: Simulator | undefined;
	let sidecar: ChildProcess | undefined;

	// The key that seals the sidecar's IGNY8 credentials: a 0600 file outside the sidecar's data folder.
	const credentialsKeyFile = path.join( stateDir, 'sidecar-credentials.key' );
	if ( ! fs.existsSync( credentialsKeyFile ) ) {
		fs.writeFileSync( credentialsKeyFile, randomBytes( 32 ).toString( 'base64url' ), { mode: 0o600 } );
	}

	const startSidecar = async () => {
		if ( options.hosted ) {
			throw new Error( 'This site has no sidecar of its own: it is served by the hosted sidecar it enrolled on.' );
		}
		await assertPortFree( sidecarPort, 'sidecar', 'SIDECAR_PORT' );
		const out = fs.openSync( sidecarLog, 'a' );
		const [ command, ...args ] = options.sidecarCommand ?? [ path.join( ROOT, 'node_modules/.bin/tsx' ), path.join( ROOT, 'sidecar/src/server.ts' ) ];
		const sidecarVars = {
				SIDECAR_PORT: String( sidecarPort ),
				IGNY8_SIDECAR_SECRET_FILE: path.join( stateDir, 'sidecar.secret' ),
				WP_URL: wpUrl,
				SIDECAR_DATA_DIR: path.join( stateDir, 'sidecar' ),
				IGNY8_API_BASE_URL: simulator?.url ?? '',
				IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: credentialsKeyFile,
				// Development credentials of the simulator, used until credentials are saved in settings.
				IGNY8_EMAIL: simulator?.auth.user.email ?? '',
				IGNY8_PASSWORD: simulator?.auth.user.password ?? '',
				IGNY8_API_KEY: apiKey,
				LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
				...options.sidecarEnv,
		};
		if ( options.release ) {
			fs.mkdirSync( path.join( stateDir, 'sidecar' ), { recursive: true, mode: 0o700 } );
		}
		const child = options.release
			? // systemd's UMask=0077, then plain node on the installed entry (what the unit's ExecStart runs).
			  spawn( 'sh', [ '-c', 'umask 077 && exec "$0" "$@"', process.execPath, options.release.sidecarEntry, 'start' ], {
					cwd: path.join( stateDir, 'sidecar' ),
					detached: true,
					stdio: [ 'ignore', out, out ],
					env: releaseSidecarEnv( options.release.unitFile, { ...sidecarVars, SIDECAR_DATA_DIR: path.join( stateDir, 'sidecar' ) } ),
			  } )
			: spawn( command as string, args, {
					cwd: ROOT,
					detached: true,
					stdio: [ 'ignore', out, out ],
					env: { ...process.env, ...sidecarVars },
			  } );
		sidecar = child;
		fs.closeSync( out );
		if ( child.pid !== undefined ) {
			fs.writeFileSync( path.join( stateDir, 'sidecar.pgid' ), String( child.pid ) );
		}
		const exited = new Promise< never >( ( _resolve, reject ) =>
			child.once( 'exit', ( code ) => {
				const tail = fs.readFileSync( sidecarLog, 'utf8' ).split( '\n' ).slice( -15 ).join( '\n' );
				reject( new Error( `The sidecar exited (code ${ code }) before it was ready:\n${ tail }` ) );
			} )
		);
		exited.catch( () => undefined );
		await Promise.race( [ waitForOk( `${ sidecarUrl }/healthz`, 20_000 ), exited ] );
	};
	const stopSidecar = async ( signal: NodeJS.Signals = 'SIGTERM' ) => {
		await killGroup( sidecar, signal );
		fs.rmSync( path.join( stateDir, 'sidecar.pgid' ), { force: true } );
	};
	const stopAll = async () => {
		for ( const child of inFlight ) {
			child.kill( 'SIGTERM' );
		}
		await stopSidecar();
		await simulator?.close();
		await runtime( 'stop' );
		watchdog.kill( 'SIGKILL' );
	};
	const onAbort = () => {
		for ( const child of inFlight ) {
			child.kill( 'SIGTERM' );
		}
		void killGroup( sidecar, 'SIGTERM' );
	};
	signal?.addEventListener( 'abort', onAbort, { once: true } );

	// Provision the site: the API key IGNY8 uses to call it, and the IGNY8 base URL (the simulator).
	const provision = async ( url: string ) => {
		const provisioned = await wpEval(
			`$igny8_key = ${ JSON.stringify( apiKey ) };` +
				`$igny8_set = Igny8\\Bridge\\Security\\Api_Key::verify( $igny8_key ) ? true : Igny8\\Bridge\\Security\\Api_Key::set( $igny8_key );` +
				`echo is_wp_error( $igny8_set ) ? 'REFUSED: ' . $igny8_set->get_error_message() : 'OK';` +
				`update_option( 'igny8_api_base_url', ${ JSON.stringify( url ) } );`
		);
		if ( ! provisioned.trim().endsWith( 'OK' ) ) {
			throw new Error( `The site refused IGNY8_API_KEY (${ provisioned.trim() }); it must be ${ API_KEY_RULE }.` );
		}
	};
	const sidecarUp = async () => {
		const t1 = Date.now();
		await startSidecar();
		aborted();
		log( `Sidecar ready in ${ ( ( Date.now() - t1 ) / 1000 ).toFixed( 1 ) } s (log: ${ path.relative( ROOT, sidecarLog ) })` );
	};
	// A warm start (npm start on the site it installed before, the plugin linked, the sidecar's secret written):
	// nothing the sidecar needs waits on WordPress, so the sidecar starts beside `ensure`, and on SQLite the php-cli
	// provisioning too (MariaDB: after `ensure` started its server). A fresh or first start stays in order.
	const site = path.join( stateDir, 'site' );
	const warm =
		! options.fresh &&
		! options.hosted &&
		! options.release &&
		fs.existsSync( path.join( stateDir, '.installed' ) ) &&
		fs.existsSync( path.join( site, 'wp-config.php' ) ) &&
		fs.existsSync( path.join( site, 'wp-content/plugins/igny8-bridge' ) ) &&
		fs.statSync( path.join( stateDir, 'sidecar.secret' ), { throwIfNoEntry: false } )?.size;

	try {
		if ( warm ) {
			simulator = await startSimulator( { port: simulatorPort, apiKey } );
			aborted();
			const url = simulator.url;
			const wordpress = runtime( 'ensure' ).then( ( out ) => {
				log( out.trim() );
				aborted();
				log( `WordPress ready in ${ ( ( Date.now() - t ) / 1000 ).toFixed( 1 ) } s` );
			} );
			const provisioned = wpDb === 'sqlite' ? provision( url ) : wordpress.then( () => provision( url ) );
			const sidecarReady = sidecarUp();
			// Every one settles before a failure is thrown, so stopAll below finds nothing still starting.
			const outcomes = await Promise.allSettled( [ wordpress, provisioned, sidecarReady ] );
			const failed = outcomes.find( ( o ): o is PromiseRejectedResult => o.status === 'rejected' );
			if ( failed ) {
				throw failed.reason;
			}
			aborted();
		} else {
			log( ( await runtime( options.fresh ? 'up' : 'ensure' ) ).trim() );
			aborted();
			if ( options.fresh ) {
				// A fresh site gets a fresh sidecar store: yesterday's queue belongs to yesterday's site.
				fs.rmSync( path.join( stateDir, 'sidecar' ), { recursive: true, force: true } );
			}
			log( `WordPress ready in ${ ( ( Date.now() - t ) / 1000 ).toFixed( 1 ) } s` );
			simulator = await startSimulator( { port: simulatorPort, apiKey } );
			aborted();
			await provision( simulator.url );
			aborted();
			if ( ! options.hosted ) {
				await sidecarUp();
			}
		}
	} catch ( error ) {
		await stopAll();
		throw signal?.aborted ? new Error( 'start-up interrupted: everything started so far was stopped' ) : error;
	} finally {
		signal?.removeEventListener( 'abort', onAbort );
	}

	return {
		wpUrl,
		sidecarUrl: options.hosted ? '' : sidecarUrl,
		simulator,
		apiKey,
		admin: { user: 'admin', password: 'password' },
		stateDir,
		sidecarLog,
		debugLog: path.join( stateDir, 'site/wp-content/debug.log' ),
		wpVersion,
		wpDb,
		startSidecar,
		stopSidecar,
		sidecarPid: () => ( sidecar?.exitCode === null && sidecar.signalCode === null ? sidecar.pid : undefined ),
		wpEval,
		stop: stopAll,
	};
}

/**
 * A loopback-only control port so test workers (other processes) can stop and restart the sidecar of the
 * stack that the global setup owns.
 */
export function serveStackControl( stack: Stack, port: number ): http.Server {
	const server = http.createServer( ( req, res ) => {
		const url = new URL( req.url ?? '/', 'http://127.0.0.1' );
		const reply = ( status: number, body: unknown ) => {
			// One request per connection: a test worker's fetch never reuses a kept-alive socket the server is closing.
			res.writeHead( status, { 'Content-Type': 'application/json', Connection: 'close' } );
			res.end( JSON.stringify( body ) );
		};
		const action =
			req.method === 'POST' && url.pathname === '/sidecar/stop'
				? stack.stopSidecar( ( url.searchParams.get( 'signal' ) as NodeJS.Signals | null ) ?? 'SIGTERM' )
				: req.method === 'POST' && url.pathname === '/sidecar/start'
				? stack.startSidecar()
				: undefined;
		if ( ! action ) {
			reply( 404, { ok: false } );
			return;
		}
		action.then(
			() => reply( 200, { ok: true } ),
			( error: Error ) => reply( 500, { ok: false, error: error.message } )
		);
	} );
	server.listen( port, '127.0.0.1' );
	return server;
}
