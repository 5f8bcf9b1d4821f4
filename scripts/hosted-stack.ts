/**
 * A hosted sidecar deployment on loopback (issue #16): a private PostgreSQL 15 (scripts/pg-runtime.sh), two
 * `igny8-sidecar start --multi-site` replicas on it, and the loopback nginx `upstream` in front of them
 * (scripts/replica-front.ts). WordPress sites enrol on the front URL the way an operator and a site admin do it:
 * `sites enroll --url` prints a code (operator), the site's Sidecar settings route redeems it (enrolSite).
 * Used by the hosted e2e instance (e2e/hosted-setup.ts).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { ensureNginx, NGINX_BIN, nginxArgs, nginxUpstreamConf } from './replica-front.js';
import type { Stack } from './stack.js';

const ROOT = path.resolve( import.meta.dirname, '..' );
const TSX = path.join( ROOT, 'node_modules/.bin/tsx' );
const BIN = path.join( ROOT, 'sidecar/src/bin.ts' );

export interface HostedOptions {
	/** Private folder: replica data dirs and logs, nginx, the credentials key, the process-group file. */
	dir: string;
	pgPort: number;
	replicaPorts: readonly number[];
	frontPort: number;
	/** The IGNY8 base URL replicas fall back on (each site saves its own with its credentials). */
	apiBaseUrl: string;
	log?: ( message: string ) => void;
}

export interface HostedSidecar {
	/** The one public URL (nginx in front of the replicas). */
	url: string;
	replicaUrls: string[];
	/** The environment an operator's `igny8-sidecar` commands get (the database and the credentials key). */
	operatorEnv: NodeJS.ProcessEnv;
	/** `igny8-sidecar sites ARGS` as the operator runs it; its stdout. */
	sites( ...args: string[] ): string;
	replicaLog( index: number ): string;
	stop(): Promise< void >;
}

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

async function waitForHealth( url: string, ms: number, child: ChildProcess, log: string ): Promise< void > {
	const until = Date.now() + ms;
	for ( ;; ) {
		if ( child.exitCode !== null || child.signalCode !== null ) {
			throw new Error( `${ url }: the process exited (${ child.exitCode ?? child.signalCode }):\n${ fs.readFileSync( log, 'utf8' ).slice( -2000 ) }` );
		}
		try {
			if ( ( await fetch( `${ url }/healthz`, { signal: AbortSignal.timeout( 1000 ) } ) ).ok ) {
				return;
			}
		} catch {
			// not listening yet
		}
		if ( Date.now() > until ) {
			throw new Error( `${ url } did not answer /healthz in ${ ms } ms:\n${ fs.readFileSync( log, 'utf8' ).slice( -2000 ) }` );
		}
		await sleep( 100 );
	}
}

async function stopGroup( child: ChildProcess | undefined ): Promise< void > {
	if ( child?.pid === undefined || child.exitCode !== null || child.signalCode !== null ) {
		return;
	}
	const exited = new Promise( ( resolve ) => child.once( 'exit', resolve ) );
	try {
		process.kill( -child.pid, 'SIGTERM' );
	} catch {
		return;
	}
	await Promise.race( [ exited, sleep( 8000 ) ] );
	if ( child.exitCode === null && child.signalCode === null ) {
		try {
			process.kill( -child.pid, 'SIGKILL' );
		} catch {
			// gone
		}
	}
}

/**
 * A detached watchdog: when this process is gone (exited or killed), it ends the replicas' and nginx's process
 * groups (recorded in `pgidFile`) and stops the PostgreSQL server, so nothing outlives the test run.
 */
function startWatchdog( pgidFile: string, pgEnv: NodeJS.ProcessEnv ): ChildProcess {
	const script = [
		'while kill -0 "$OWNER" 2>/dev/null; do sleep 0.5; done',
		'for pg in $(cat "$PGIDS" 2>/dev/null); do case "$pg" in ""|*[!0-9]*) ;; *) kill -TERM -- "-$pg" 2>/dev/null ;; esac; done',
		'sleep 1',
		'for pg in $(cat "$PGIDS" 2>/dev/null); do case "$pg" in ""|*[!0-9]*) ;; *) kill -KILL -- "-$pg" 2>/dev/null ;; esac; done',
		'rm -f "$PGIDS"',
		'exec bash "$PG_RUNTIME" stop >/dev/null 2>&1',
	].join( '\n' );
	const watchdog = spawn( 'bash', [ '-c', script ], {
		detached: true,
		stdio: 'ignore',
		env: { ...pgEnv, OWNER: String( process.pid ), PGIDS: pgidFile, PG_RUNTIME: path.join( ROOT, 'scripts/pg-runtime.sh' ) },
	} );
	watchdog.unref();
	return watchdog;
}

export async function startHostedSidecar( options: HostedOptions ): Promise< HostedSidecar > {
	const log = options.log ?? ( ( m: string ) => process.stdout.write( m + '\n' ) );
	const { dir } = options;
	fs.rmSync( dir, { recursive: true, force: true } );
	fs.mkdirSync( dir, { recursive: true } );
	const pgEnv = { ...process.env, PG_PORT: String( options.pgPort ), PG_STATE_DIR: path.join( '/tmp', `igny8-pg-hosted-${ options.pgPort }` ) };
	const pg = ( action: string ) => execFileSync( 'bash', [ path.join( ROOT, 'scripts/pg-runtime.sh' ), action ], { env: pgEnv, encoding: 'utf8' } ).trim();
	const pgidFile = path.join( dir, 'pgids' );
	const watchdog = startWatchdog( pgidFile, pgEnv );
	const children: ChildProcess[] = [];
	const record = ( child: ChildProcess ) => {
		children.push( child );
		if ( child.pid !== undefined ) {
			fs.appendFileSync( pgidFile, `${ child.pid }\n` );
		}
	};
	const stop = async () => {
		await Promise.all( children.map( stopGroup ) );
		try {
			pg( 'stop' );
		} catch {
			// already stopped
		}
		fs.rmSync( pgidFile, { force: true } );
		watchdog.kill( 'SIGKILL' );
	};

	try {
		let t = Date.now();
		// A fresh database each run: yesterday's sites and queues belong to yesterday's WordPress instances.
		pg( 'reset' );
		pg( 'start' );
		log( `PostgreSQL 15 on 127.0.0.1:${ options.pgPort } in ${ ( ( Date.now() - t ) / 1000 ).toFixed( 1 ) } s` );
		const keyFile = path.join( dir, 'credentials.key' );
		fs.writeFileSync( keyFile, randomBytes( 32 ).toString( 'base64url' ), { mode: 0o600 } );
		const front = `127.0.0.1:${ options.frontPort }`;
		// What a hosted deployment is given: the database, the credentials key; never a site's secret, id or WP_URL.
		const operatorEnv: NodeJS.ProcessEnv = {
			PATH: process.env.PATH,
			HOME: process.env.HOME,
			IGNY8_SIDECAR_DATABASE_URL: pg( 'url' ),
			IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: keyFile,
		};
		// The test timing knobs of e2e/playwright.config.ts (short retry backoff, frequent structure pushes).
		const knobs = Object.fromEntries( Object.entries( process.env ).filter( ( [ name ] ) => /^SIDECAR_(SYNC|STRUCTURE|RECONCILE)_/.test( name ) ) );

		t = Date.now();
		const replicaLogs = options.replicaPorts.map( ( _port, i ) => path.join( dir, `replica-${ i + 1 }.log` ) );
		await Promise.all(
			options.replicaPorts.map( async ( port, i ) => {
				const logFile = replicaLogs[ i ] as string;
				const out = fs.openSync( logFile, 'w' );
				const child = spawn( TSX, [ BIN, 'start', '--multi-site' ], {
					cwd: ROOT,
					detached: true,
					stdio: [ 'ignore', out, out ],
					env: {
						...operatorEnv,
						...knobs,
						SIDECAR_PORT: String( port ),
						SIDECAR_DATA_DIR: path.join( dir, `replica-${ i + 1 }` ),
						SIDECAR_ALLOWED_HOSTS: `${ front },127.0.0.1:${ port }`,
						IGNY8_API_BASE_URL: options.apiBaseUrl,
						LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
					},
				} );
				fs.closeSync( out );
				record( child );
				await waitForHealth( `http://127.0.0.1:${ port }`, 60_000, child, logFile );
			} )
		);
		log( `${ options.replicaPorts.length } multi-site replicas on :${ options.replicaPorts.join( ', :' ) } in ${ ( ( Date.now() - t ) / 1000 ).toFixed( 1 ) } s` );

		ensureNginx( ROOT );
		const nginxDir = path.join( dir, 'nginx' );
		fs.mkdirSync( nginxDir, { recursive: true } );
		fs.writeFileSync( path.join( nginxDir, 'nginx.conf' ), nginxUpstreamConf( { dir: nginxDir, listenPort: options.frontPort, upstreamPorts: options.replicaPorts } ) );
		const nginxLog = path.join( nginxDir, 'stdout.log' );
		const out = fs.openSync( nginxLog, 'w' );
		const nginx = spawn( NGINX_BIN, nginxArgs( nginxDir ), { cwd: ROOT, detached: true, stdio: [ 'ignore', out, out ] } );
		fs.closeSync( out );
		record( nginx );
		const url = `http://${ front }`;
		await waitForHealth( url, 15_000, nginx, path.join( nginxDir, 'error.log' ) );
		log( `nginx upstream on ${ url }` );

		return {
			url,
			replicaUrls: options.replicaPorts.map( ( port ) => `http://127.0.0.1:${ port }` ),
			operatorEnv,
			sites: ( ...args: string[] ) => execFileSync( TSX, [ BIN, 'sites', ...args ], { env: operatorEnv, encoding: 'utf8', cwd: ROOT } ),
			replicaLog: ( index: number ) => fs.readFileSync( replicaLogs[ index ] as string, 'utf8' ),
			stop,
		};
	} catch ( error ) {
		await stop();
		throw error;
	}
}

/**
 * A REST call as the administrator inside the site's WordPress, with a JSON body as the settings screen sends it
 * (proxied routes forward the body to the sidecar; the shim's own routes read the parameters).
 */
export async function adminRest( site: Pick< Stack, 'wpEval' >, method: string, route: string, params: Record< string, unknown > = {} ): Promise< { status: number; data: Record< string, unknown > } > {
	const json = JSON.stringify( JSON.stringify( params ) );
	const out = await site.wpEval(
		`wp_set_current_user( 1 ); $r = new WP_REST_Request( ${ JSON.stringify( method ) }, ${ JSON.stringify( route ) } ); $r->set_header( 'Content-Type', 'application/json' ); $r->set_body( ${ json } ); ` +
			`foreach ( json_decode( ${ json }, true ) as $k => $v ) { $r->set_param( $k, $v ); } $res = rest_do_request( $r ); echo "\\n" . wp_json_encode( array( 'status' => $res->get_status(), 'data' => $res->get_data() ) );`
	);
	return JSON.parse( out.trim().split( '\n' ).pop() as string ) as { status: number; data: Record< string, unknown > };
}

/**
 * Enrols a site the way it is done for real: the operator's `sites enroll --url` prints a single-use code, the site's
 * admin submits the hosted URL and that code (Settings → IGNY8 → Sidecar: POST /igny8/v1/admin/sidecar/enrol; the shim
 * generates the secret and registers it). Then the admin saves the site's IGNY8 credentials, which the hosted sidecar
 * seals for this site, bound to the site's IGNY8 base URL.
 */
export async function enrolSite( hosted: HostedSidecar, site: Stack ): Promise< { siteId: string } > {
	const code = hosted.sites( 'enroll', '--url', site.wpUrl ).trim().split( '\n' ).pop() as string;
	const enrolled = await adminRest( site, 'POST', '/igny8/v1/admin/sidecar/enrol', { url: hosted.url, code } );
	const card = ( enrolled.data as { data?: Record< string, unknown > } ).data;
	if ( enrolled.status !== 200 || card?.mode !== 'hosted' || ( card.fingerprints as { match?: boolean } | undefined )?.match !== true ) {
		throw new Error( `${ site.wpUrl } did not enrol on ${ hosted.url }: HTTP ${ enrolled.status } ${ JSON.stringify( enrolled.data ) }` );
	}
	const saved = await adminRest( site, 'POST', '/igny8/v1/settings', {
		api_base_url: site.simulator.url,
		email: site.simulator.auth.user.email,
		password: site.simulator.auth.user.password,
	} );
	// The reply comes from whichever replica finished the save: it must have stored them.
	if ( saved.status !== 200 || ( saved.data as { data?: { password_present?: unknown } } ).data?.password_present !== true ) {
		throw new Error( `${ site.wpUrl }: saving the IGNY8 credentials through the hosted sidecar failed: HTTP ${ saved.status } ${ JSON.stringify( saved.data ) }` );
	}
	const siteId = ( await site.wpEval( 'echo "\\n" . \\Igny8\\Bridge\\Security\\Site_Id::current();' ) ).trim().split( '\n' ).pop() as string;
	return { siteId };
}
