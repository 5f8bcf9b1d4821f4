/**
 * Switching the stack's WordPress to a hosted sidecar for one spec (hosted-enrol.spec.ts, hosted-https.spec.ts): a
 * real `igny8-sidecar start --multi-site` on PostgreSQL 15 (scripts/pg-runtime.sh on a loopback port of the instance),
 * an enrolment code from `sites enroll`, and a WordPress that may use it: the stack's wp-config names its own sidecar
 * in IGNY8_SIDECAR_URL and its secret in IGNY8_SIDECAR_SECRET, which win over a hosted sidecar by design, so the
 * generated igny8-env.php is rewritten without the URL and with an empty secret constant, and the environment variable
 * of that name is unset. `restore()` puts it all back and starts the site's own sidecar again.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { stack, wpEval } from './stack';

const ROOT = path.resolve( import.meta.dirname, '../..' );
const TSX = path.join( ROOT, 'node_modules/.bin/tsx' );
const BIN = path.join( ROOT, 'sidecar/src/bin.ts' );

const last = ( out: string ) => out.trim().split( '\n' ).pop() as string;

/** The site's sidecar secret option and its hosted sidecar (the option the enrol route writes). */
export const siteState = () =>
	JSON.parse( last( wpEval( `echo wp_json_encode( array( 'secret' => get_option( 'igny8_sidecar_secret' ), 'hosted' => get_option( 'igny8_sidecar_hosted' ) ) );` ) ) ) as {
		secret: string;
		hosted: false | { url: string };
	};

/** A REST call as the administrator, inside WordPress (the routes the Sidecar card calls). */
export function adminRest( method: string, route: string, params: Record< string, string > = {} ): { status: number; data: Record< string, unknown > } {
	const out = wpEval(
		`wp_set_current_user( 1 ); $r = new WP_REST_Request( ${ JSON.stringify( method ) }, ${ JSON.stringify( route ) } ); foreach ( json_decode( ${ JSON.stringify(
			JSON.stringify( params )
		) }, true ) as $k => $v ) { $r->set_param( $k, $v ); } $res = rest_do_request( $r ); echo wp_json_encode( array( 'status' => $res->get_status(), 'data' => $res->get_data() ) );`
	);
	return JSON.parse( last( out ) ) as { status: number; data: Record< string, unknown > };
}

export async function waitFor( what: string, probe: () => Promise< boolean >, ms: number, log: string ): Promise< void > {
	const until = Date.now() + ms;
	while ( ! ( await probe().catch( () => false ) ) ) {
		if ( Date.now() > until ) {
			throw new Error( `${ what } did not start:\n${ fs.existsSync( log ) ? fs.readFileSync( log, 'utf8' ).slice( -2000 ) : '' }` );
		}
		await new Promise( ( resolve ) => setTimeout( resolve, 200 ) );
	}
}

/** SIGTERM to a detached child's process group, then at most 5 s for it to exit. */
export async function stopGroup( child: ChildProcess | undefined ): Promise< void > {
	if ( child?.pid === undefined || child.exitCode !== null ) {
		return;
	}
	const exited = new Promise( ( resolve ) => child.once( 'exit', resolve ) );
	process.kill( -child.pid, 'SIGTERM' );
	await Promise.race( [ exited, new Promise( ( resolve ) => setTimeout( resolve, 5000 ) ) ] );
}

export interface HostedSwitch {
	/** The hosted sidecar's own loopback URL (plain http). */
	url: string;
	/** Its log (JSON lines). */
	log: string;
	/** The single-use code `sites enroll` issued for the site's URL. */
	code: string;
	/** The site's secret option before the switch. */
	secretBefore: string;
	/** `igny8-sidecar sites …` on the hosted sidecar's database; its output. */
	sitesCli( ...args: string[] ): string;
	/** igny8-env.php without the sidecar URL, with an empty secret constant, and with or without the CA bundle constant. */
	writeEnvPhp( caBundle: string | null ): void;
	/** Puts the site back on its own sidecar and stops the hosted one and its PostgreSQL. */
	restore(): Promise< void >;
}

/**
 * Starts the hosted sidecar (its data, key and log under `dir`) with `env` added to what a hosted deployment is
 * given (none of the single site's secret, site id or WP_URL), waits for it, runs `ready` (a front to start), issues
 * the code and switches the site over.
 */
export async function switchToHosted( options: { dir: string; pgPort: number; port: number; env?: NodeJS.ProcessEnv; ready?: () => Promise< void > } ): Promise< HostedSwitch > {
	const { dir, pgPort, port } = options;
	fs.mkdirSync( dir, { recursive: true, mode: 0o700 } );
	const pg = ( action: string ) =>
		execFileSync( 'bash', [ path.join( ROOT, 'scripts/pg-runtime.sh' ), action ], { env: { ...process.env, PG_PORT: String( pgPort ) }, encoding: 'utf8' } ).trim();
	// A fresh database each time, as the key below is fresh (scripts/hosted-stack.ts does the same): a data folder an
	// earlier run left (in /tmp, which outlives the checkout) holds values sealed with that run's key, and the sidecar
	// refuses to start on those (exit 78).
	pg( 'reset' );
	pg( 'start' );
	const keyFile = path.join( dir, 'credentials.key' );
	fs.writeFileSync( keyFile, randomBytes( 32 ).toString( 'base64url' ), { mode: 0o600 } );
	const env: NodeJS.ProcessEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		IGNY8_SIDECAR_DATABASE_URL: pg( 'url' ),
		IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: keyFile,
		SIDECAR_PORT: String( port ),
		SIDECAR_DATA_DIR: path.join( dir, 'sidecar' ),
		IGNY8_API_BASE_URL: stack.simulatorUrl,
		LOG_LEVEL: 'info',
		...options.env,
	};
	const log = path.join( dir, 'sidecar.log' );
	const out = fs.openSync( log, 'w' );
	const hosted = spawn( TSX, [ BIN, 'start', '--multi-site' ], { cwd: ROOT, env, detached: true, stdio: [ 'ignore', out, out ] } );
	fs.closeSync( out );
	const url = `http://127.0.0.1:${ port }`;
	const sitesCli = ( ...args: string[] ) => execFileSync( TSX, [ BIN, 'sites', ...args ], { env, encoding: 'utf8', cwd: ROOT } );

	const envPhp = path.join( stack.stateDir, 'igny8-env.php' );
	const envPhpBefore = fs.readFileSync( envPhp, 'utf8' );
	let envPhpMtime = 0;
	const writeEnvPhp = ( caBundle: string | null ) => {
		fs.writeFileSync(
			envPhp,
			envPhpBefore
				.split( '\n' )
				.filter( ( line ) => ! line.includes( "'IGNY8_SIDECAR_URL'" ) )
				.concat( "define( 'IGNY8_SIDECAR_SECRET', '' );", caBundle === null ? '' : `define( 'IGNY8_SIDECAR_CA_BUNDLE', ${ JSON.stringify( caBundle ) } );` )
				.join( '\n' )
		);
		// opcache (PHP-FPM) checks the file's mtime in whole seconds: never let two versions share one.
		envPhpMtime = Math.max( envPhpMtime + 1, Math.ceil( Date.now() / 1000 ) );
		fs.utimesSync( envPhp, envPhpMtime, envPhpMtime );
	};
	let switched = false;
	let sidecarUrlEnv: string | undefined;
	let secretBefore = '';
	const restore = async () => {
		if ( sidecarUrlEnv !== undefined ) {
			process.env.IGNY8_SIDECAR_URL = sidecarUrlEnv;
		}
		if ( switched ) {
			fs.writeFileSync( envPhp, envPhpBefore );
			fs.utimesSync( envPhp, envPhpMtime + 1, envPhpMtime + 1 );
			wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secretBefore ) }, 'no' ); delete_option( 'igny8_sidecar_hosted' );` );
		}
		await stopGroup( hosted );
		await stack.sidecar( 'start' ).catch( () => undefined );
		pg( 'stop' );
	};
	try {
		await waitFor( 'the hosted sidecar', async () => ( await fetch( `${ url }/healthz` ) ).ok, 60_000, log );
		await options.ready?.();
		const code = last( sitesCli( 'enroll', '--url', stack.wpUrl ) );
		// And the site keeps its secret in the option, as a site configured in the settings screen does: the stack's
		// wp-config otherwise defines IGNY8_SIDECAR_SECRET from the file its own sidecar reads (an empty one is unset).
		secretBefore = siteState().secret;
		writeEnvPhp( null );
		switched = true;
		// The environment variable of that name would win too (wpEval's PHP inherits this process's environment).
		sidecarUrlEnv = process.env.IGNY8_SIDECAR_URL;
		delete process.env.IGNY8_SIDECAR_URL;
		return { url, log, code, secretBefore, sitesCli, writeEnvPhp, restore };
	} catch ( error ) {
		await restore();
		throw error;
	}
}
