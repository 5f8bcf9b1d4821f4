/**
 * What a test needs from the stack that the global setup started: URLs, the API key, the sidecar switch,
 * the site secret (to forge or sign transport JWTs) and the logs.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { test } from '@playwright/test';

/** The shim ⇄ sidecar protocol version (`pv` claim) from the one contract file. */
export const PROTOCOL_VERSION: string = (
	JSON.parse( fs.readFileSync( path.resolve( import.meta.dirname, '../../plugin-php-shim/contract/igny8-contract.json' ), 'utf8' ) ) as { protocol_version: string }
).protocol_version;

/**
 * The hosted instance (e2e/hosted.config.ts) runs the same specs against several WordPress sites, one Playwright
 * project each: its global setup hands each project's site in IGNY8_HOSTED_SITES (project name → variables), and
 * those win over the runner's environment for the tests of that project.
 */
export function siteOverrides(): Record< string, string > {
	const all = process.env.IGNY8_HOSTED_SITES;
	if ( ! all ) {
		return {};
	}
	let project = pinnedSite;
	if ( project === undefined ) {
		try {
			project = test.info().project.name;
		} catch {
			return {};
		}
	}
	return ( JSON.parse( all ) as Record< string, Record< string, string > > )[ project ] ?? {};
}

let pinnedSite: string | undefined;

/**
 * Runs `fn` with the helpers pointed at another site of the hosted instance (its project name): for specs that work
 * on several sites (e2e/hosted/). One at a time: the helpers read the pinned site while `fn` runs.
 */
export async function onSite< T >( project: string, fn: () => T | Promise< T > ): Promise< T > {
	const before = pinnedSite;
	pinnedSite = project;
	try {
		return await fn();
	} finally {
		pinnedSite = before;
	}
}

const env = ( name: string ): string => {
	const value = siteOverrides()[ name ] ?? process.env[ name ];
	if ( ! value ) {
		throw new Error( `${ name } is not set: run the tests through e2e/playwright.config.ts` );
	}
	return value;
};

let siteIdCache: string | undefined;

export const stack = {
	get wpUrl() {
		return env( 'WP_BASE_URL' );
	},
	get apiKey() {
		return env( 'IGNY8_API_KEY' );
	},
	get simulatorUrl() {
		return env( 'IGNY8_SIMULATOR_URL' );
	},
	get sidecarUrl() {
		return env( 'IGNY8_SIDECAR_URL' );
	},
	get stateDir() {
		return env( 'IGNY8_STATE_DIR' );
	},
	/** This site's id (`sid` claim; the transport keys are bound to it), read once per test worker. */
	siteId(): string {
		const hosted = siteOverrides().IGNY8_SITE_ID;
		if ( hosted !== undefined ) {
			return hosted;
		}
		siteIdCache ??= wpEval( 'echo \\Igny8\\Bridge\\Security\\Site_Id::current();' ).trim().split( '\n' ).pop() as string;
		return siteIdCache;
	},
	secret(): Buffer {
		return Buffer.from( fs.readFileSync( path.join( this.stateDir, 'sidecar.secret' ), 'utf8' ).trim(), 'base64url' );
	},
	readLog( name: 'sidecar' | 'debug' | 'bootstrap' ): string {
		const file = {
			sidecar: env( 'IGNY8_SIDECAR_LOG' ),
			debug: env( 'IGNY8_DEBUG_LOG' ),
			bootstrap: path.join( this.stateDir, 'site/wp-content/igny8-bootstrap.log' ),
		}[ name ];
		return fs.existsSync( file ) ? fs.readFileSync( file, 'utf8' ) : '';
	},
	async sidecar( action: 'stop' | 'start' | 'kill' ): Promise< void > {
		const url =
			action === 'start' ? '/sidecar/start' : `/sidecar/stop?signal=${ action === 'kill' ? 'SIGKILL' : 'SIGTERM' }`;
		const res = await fetch( env( 'STACK_CONTROL_URL' ) + url, { method: 'POST' } );
		if ( ! res.ok ) {
			throw new Error( `sidecar ${ action } failed: ${ await res.text() }` );
		}
	},
};

/** WordPress bootstraps (HTTP requests) logged by the bootstrap-counter test plugin, in start order. */
export function bootstraps(): Array< { request: string; start: number } > {
	return stack
		.readLog( 'bootstrap' )
		.split( '\n' )
		.map( ( line ) => /^START (\d+\.\d+) \d+ (.*)$/.exec( line ) )
		.filter( ( m ): m is RegExpExecArray => m !== null )
		.map( ( m ) => ( { start: Number( m[ 1 ] ), request: m[ 2 ] as string } ) );
}

/**
 * Runs one call and returns the WordPress bootstraps it caused: the requests that started after it was sent.
 * The sidecar's calls to the internal route are left out: they are its asynchronous work (write-backs, the
 * reconciler, structure pushes), which may run at any moment; conversation handlers cannot reach WordPress at all
 * (sidecar/test/architecture.test.ts keeps the WordPress client out of the request path).
 */
export async function bootstrapsOf< T >( call: () => Promise< T > ): Promise< { result: T; requests: string[] } > {
	const before = bootstraps().length;
	const result = await call();
	const requests = bootstraps()
		.slice( before )
		.map( ( r ) => r.request )
		.filter( ( request ) => ! request.includes( '/internal/' ) );
	return { result, requests };
}

export interface Reply< T = Record< string, unknown > > {
	status: number;
	headers: Headers;
	body: T;
	text: string;
}

/** One HTTP call to WordPress; the body is parsed as JSON when it is JSON. */
export async function wp< T = Record< string, unknown > >(
	route: string,
	init: RequestInit & { apiKey?: string | false } = {}
): Promise< Reply< T > > {
	const headers = new Headers( init.headers );
	const key = init.apiKey === undefined ? stack.apiKey : init.apiKey;
	if ( key ) {
		headers.set( 'X-IGNY8-API-KEY', key );
	}
	if ( init.body && ! headers.has( 'Content-Type' ) ) {
		headers.set( 'Content-Type', 'application/json' );
	}
	const res = await fetch( stack.wpUrl + route, { ...init, headers, signal: AbortSignal.timeout( 30_000 ) } );
	const text = await res.text();
	let body: unknown = {};
	try {
		body = JSON.parse( text );
	} catch {
		body = { __not_json: text.slice( 0, 500 ) };
	}
	return { status: res.status, headers: res.headers, body: body as T, text };
}

/**
 * An independent HS256 signer for transport JWTs (deliberately not the sidecar's code), so the tests also
 * prove that both sides agree with a third implementation of docs/architecture.md §1-2.
 */
/** The direction key bound to a site id: HMAC-SHA256(secret, direction + "|" + sid) (contract jwt, protocol 2.0). */
export function transportKey( secret: Buffer, direction: 'shim->sidecar' | 'sidecar->shim', sid: unknown ): Buffer {
	return createHmac( 'sha256', secret ).update( `${ direction }|${ typeof sid === 'string' ? sid : '' }` ).digest();
}

export function signTransportJwt(
	direction: 'shim->sidecar' | 'sidecar->shim',
	claims: Record< string, unknown >,
	options: { secret?: Buffer; kid?: string; keySid?: string } = {}
): string {
	const secret = options.secret ?? stack.secret();
	const key = transportKey( secret, direction, options.keySid ?? claims.sid );
	const kid = options.kid ?? createHash( 'sha256' ).update( secret ).digest( 'hex' ).slice( 0, 16 );
	const b64 = ( value: unknown ) => Buffer.from( JSON.stringify( value ) ).toString( 'base64url' );
	const input = `${ b64( { alg: 'HS256', typ: 'JWT', kid } ) }.${ b64( claims ) }`;
	return `${ input }.${ createHmac( 'sha256', key ).update( input ).digest( 'base64url' ) }`;
}

/** Claims of a sidecar → shim internal call (`POST /igny8/v1/internal/ops`) as the sidecar signs them. */
export function internalClaims( body: string, overrides: Record< string, unknown > = {} ) {
	return {
		iss: 'igny8-sidecar',
		aud: 'igny8-shim-internal',
		iat: now(),
		exp: now() + 30,
		jti: newJti(),
		sid: stack.siteId(),
		htm: 'POST',
		htu: '/igny8/v1/internal/ops',
		bh: bodyHash( body ),
		pv: PROTOCOL_VERSION,
		...overrides,
	};
}

/** Claims of a shim → sidecar request as the PHP proxy signs them (docs/architecture.md §2–3). */
export function shimRequestClaims( request: { method: string; route: string; routeId: string; body?: string }, overrides: Record< string, unknown > = {} ) {
	return {
		iss: 'igny8-shim',
		aud: 'igny8-sidecar',
		iat: now(),
		exp: now() + 30,
		jti: newJti(),
		sid: stack.siteId(),
		htm: request.method,
		htu: request.route,
		bh: bodyHash( request.body ?? '' ),
		pv: PROTOCOL_VERSION,
		ctx: {
			request_id: randomUUID(),
			route_id: request.routeId,
			params: {},
			query: {},
			user_id: 0,
			site: { home_url: stack.wpUrl, timezone: 'UTC', gmt_offset: 0, locale: 'en_US', wp_version: '6.1.9', plugin_version: '0.1.0', structure_rev: 999999 },
			settings: {},
			facts: { api_key_present: true, connection_enabled: true, woocommerce: false, aioseo_table: false },
		},
		...overrides,
	};
}

export const bodyHash = ( body: string ) => createHash( 'sha256' ).update( body ).digest( 'base64url' );
export const newJti = () => randomBytes( 16 ).toString( 'hex' );
export const now = () => Math.floor( Date.now() / 1000 );

/** Runs PHP inside the stack's WordPress (php-cli, a separate bootstrap that tests never count). */
export function wpEval( php: string ): string {
	return execFileSync( 'bash', [ path.join( import.meta.dirname, '../../scripts/wp-runtime.sh' ), 'eval', php ], {
		encoding: 'utf8',
		env: {
			...process.env,
			...siteOverrides(),
			WP_STATE_DIR: stack.stateDir,
			WP_VERSION: env( 'IGNY8_WP_VERSION' ),
			WP_DB: env( 'IGNY8_WP_DB' ),
		},
	} );
}

/** wpEval without blocking this process: for PHP that calls back into a server the test itself runs. */
export function wpEvalAsync( php: string ): Promise< string > {
	return new Promise( ( resolve, reject ) => {
		execFile(
			'bash',
			[ path.join( import.meta.dirname, '../../scripts/wp-runtime.sh' ), 'eval', php ],
			{ encoding: 'utf8', env: { ...process.env, ...siteOverrides(), WP_STATE_DIR: stack.stateDir, WP_VERSION: env( 'IGNY8_WP_VERSION' ), WP_DB: env( 'IGNY8_WP_DB' ) } },
			( error, stdout ) => ( error ? reject( error ) : resolve( stdout ) )
		);
	} );
}

export interface WpCliResult {
	status: number;
	stdout: string;
	stderr: string;
}

const wpCliEnv = ( extra: Record< string, string > = {} ) => ( {
	...process.env,
	...siteOverrides(),
	WP_STATE_DIR: stack.stateDir,
	WP_VERSION: env( 'IGNY8_WP_VERSION' ),
	WP_DB: env( 'IGNY8_WP_DB' ),
	...extra,
} );

/** The real WP-CLI 2.10.0 (vendored, checksum-verified) against the stack's WordPress: `wp ARGS`. */
export function wpCli( ...args: string[] ): Promise< WpCliResult > {
	return wpCliWith( {}, ...args );
}

/** wpCli with extra environment, e.g. `SHELL_PIPE=0`: WP-CLI draws its progress bars although stdout is a pipe. */
export function wpCliWith( extraEnv: Record< string, string >, ...args: string[] ): Promise< WpCliResult > {
	return new Promise( ( resolve ) => {
		execFile(
			'bash',
			[ path.join( import.meta.dirname, '../../scripts/wp-runtime.sh' ), 'wp', ...args ],
			{ encoding: 'utf8', env: wpCliEnv( extraEnv ) },
			( error, stdout, stderr ) =>
				resolve( { status: error ? ( typeof error.code === 'number' ? error.code : 1 ) : 0, stdout, stderr } )
		);
	} );
}

/** `wp ARGS` started in its own process group, to be interrupted by the test (`process.kill( -child.pid )`). */
export function wpCliSpawn( extraEnv: Record< string, string >, ...args: string[] ): ChildProcess {
	return spawn( 'bash', [ path.join( import.meta.dirname, '../../scripts/wp-runtime.sh' ), 'wp', ...args ], {
		env: wpCliEnv( extraEnv ),
		detached: true,
		stdio: [ 'ignore', 'pipe', 'pipe' ],
	} );
}
