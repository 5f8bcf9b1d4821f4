/**
 * A hosted sidecar (issue #16 §1–2, §5): the real WordPress enrols on a real `igny8-sidecar start --multi-site`
 * (PostgreSQL 15 from scripts/pg-runtime.sh on a loopback port), with a single-use code from `sites enroll`, through
 * the settings route the Sidecar card calls. Then IGNY8 publishes through the hosted sidecar while the site's own
 * sidecar is stopped.
 *
 * The stack's wp-config names the sidecar in IGNY8_SIDECAR_URL and its secret in IGNY8_SIDECAR_SECRET, which win over
 * a hosted sidecar by design: for this spec the generated igny8-env.php is rewritten without the URL and with an empty
 * secret constant (restored afterwards; the stack rewrites it on every start anyway). The publish test runs last, so it
 * also proves the rotated secret works.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { stack, wpEval } from '../support/stack';
import { readPost } from '../support/wordpress';

const ROOT = path.resolve( import.meta.dirname, '../..' );
const TSX = path.join( ROOT, 'node_modules/.bin/tsx' );
const BIN = path.join( ROOT, 'sidecar/src/bin.ts' );
const controlPort = Number( process.env.STACK_CONTROL_PORT ?? 9200 );
// Inside this instance's + 1 … + 9 (e2e/global-setup.ts): + 60 was the next instance's image server.
const pgPort = controlPort + 6;
const hostedPort = controlPort + 7;
const hostedUrl = `http://127.0.0.1:${ hostedPort }`;

test.describe.configure( { mode: 'serial' } );

let hosted: ChildProcess | undefined;
let hostedEnv: NodeJS.ProcessEnv = {};
let hostedLog = '';
let envPhp = '';
let envPhpBefore = '';
let secretBefore = '';
let code = '';
let sidecarUrlEnv: string | undefined;

const pg = ( action: string ) =>
	execFileSync( 'bash', [ path.join( ROOT, 'scripts/pg-runtime.sh' ), action ], { env: { ...process.env, PG_PORT: String( pgPort ) }, encoding: 'utf8' } ).trim();

const sitesCli = ( ...args: string[] ) => execFileSync( TSX, [ BIN, 'sites', ...args ], { env: hostedEnv, encoding: 'utf8', cwd: ROOT } );

/** A REST call as the administrator, inside WordPress (the route the Sidecar card calls). */
function adminRest( method: string, route: string, params: Record< string, string > = {} ): { status: number; data: Record< string, unknown > } {
	const out = wpEval(
		`wp_set_current_user( 1 ); $r = new WP_REST_Request( ${ JSON.stringify( method ) }, ${ JSON.stringify( route ) } ); foreach ( json_decode( ${ JSON.stringify(
			JSON.stringify( params )
		) }, true ) as $k => $v ) { $r->set_param( $k, $v ); } $res = rest_do_request( $r ); echo wp_json_encode( array( 'status' => $res->get_status(), 'data' => $res->get_data() ) );`
	);
	return JSON.parse( out.trim().split( '\n' ).pop() as string ) as { status: number; data: Record< string, unknown > };
}

async function waitForHealth( url: string, ms: number ): Promise< void > {
	const until = Date.now() + ms;
	for ( ;; ) {
		try {
			const res = await fetch( `${ url }/healthz` );
			if ( res.ok ) {
				return;
			}
		} catch {
			// not listening yet
		}
		if ( Date.now() > until ) {
			throw new Error( `the hosted sidecar did not start:\n${ fs.readFileSync( hostedLog, 'utf8' ).slice( -2000 ) }` );
		}
		await new Promise( ( resolve ) => setTimeout( resolve, 200 ) );
	}
}

test.beforeAll( async () => {
	test.setTimeout( 180_000 );
	pg( 'start' );
	const keyFile = path.join( stack.stateDir, 'hosted-credentials.key' );
	fs.writeFileSync( keyFile, randomBytes( 32 ).toString( 'base64url' ), { mode: 0o600 } );
	// Only what a hosted deployment is given: none of the single site's secret, site id or WP_URL.
	hostedEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		IGNY8_SIDECAR_DATABASE_URL: pg( 'url' ),
		IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: keyFile,
		SIDECAR_PORT: String( hostedPort ),
		SIDECAR_DATA_DIR: path.join( stack.stateDir, 'hosted-sidecar' ),
		IGNY8_API_BASE_URL: stack.simulatorUrl,
		LOG_LEVEL: 'info',
	};
	hostedLog = path.join( stack.stateDir, 'hosted-sidecar.log' );
	const out = fs.openSync( hostedLog, 'w' );
	hosted = spawn( TSX, [ BIN, 'start', '--multi-site' ], { cwd: ROOT, env: hostedEnv, detached: true, stdio: [ 'ignore', out, out ] } );
	fs.closeSync( out );
	await waitForHealth( hostedUrl, 30_000 );
	code = sitesCli( 'enroll', '--url', stack.wpUrl ).trim().split( '\n' ).pop() as string;

	envPhp = path.join( stack.stateDir, 'igny8-env.php' );
	envPhpBefore = fs.readFileSync( envPhp, 'utf8' );
	secretBefore = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() as string;
	// And the site keeps its secret in the option, as a site configured in the settings screen does: the stack's
	// wp-config otherwise defines IGNY8_SIDECAR_SECRET from the file its own sidecar reads (an empty one is unset).
	fs.writeFileSync(
		envPhp,
		envPhpBefore
			.split( '\n' )
			.filter( ( line ) => ! line.includes( "'IGNY8_SIDECAR_URL'" ) )
			.concat( "define( 'IGNY8_SIDECAR_SECRET', '' );" )
			.join( '\n' )
	);
	// The environment variable of that name would win too (wpEval's PHP inherits this process's environment).
	sidecarUrlEnv = process.env.IGNY8_SIDECAR_URL;
	delete process.env.IGNY8_SIDECAR_URL;
} );

test.afterAll( async () => {
	if ( sidecarUrlEnv !== undefined ) {
		process.env.IGNY8_SIDECAR_URL = sidecarUrlEnv;
	}
	if ( envPhpBefore !== '' ) {
		fs.writeFileSync( envPhp, envPhpBefore );
		wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secretBefore ) }, 'no' ); delete_option( 'igny8_sidecar_hosted' );` );
	}
	if ( hosted?.pid !== undefined ) {
		const exited = new Promise( ( resolve ) => hosted?.once( 'exit', resolve ) );
		process.kill( -hosted.pid, 'SIGTERM' );
		await Promise.race( [ exited, new Promise( ( resolve ) => setTimeout( resolve, 5000 ) ) ] );
	}
	await stack.sidecar( 'start' ).catch( () => undefined );
	pg( 'stop' );
} );

test( 'a code the operator issued enrols the site: the card shows the hosted sidecar, reachable, with matching keys', async () => {
	const sid = stack.siteId();
	const enrolled = adminRest( 'POST', '/igny8/v1/admin/sidecar/enrol', { url: hostedUrl, code } );
	expect( enrolled.status, JSON.stringify( enrolled.data ) ).toBe( 200 );
	const card = ( enrolled.data as { data: Record< string, unknown > } ).data;
	expect( card ).toMatchObject( {
		mode: 'hosted',
		url: hostedUrl,
		reachable: true,
		fingerprints: { match: true },
		hosted: { url: hostedUrl },
		problem: null,
	} );
	// A fresh secret: not the one the site's own sidecar holds, nor the option's before.
	const secretNow = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() as string;
	expect( secretNow ).toMatch( /^[A-Za-z0-9_-]{43}$/ );
	expect( secretNow ).not.toBe( secretBefore );
	expect( secretNow ).not.toBe( fs.readFileSync( path.join( stack.stateDir, 'sidecar.secret' ), 'utf8' ).trim() );
	const fingerprint = ( card.fingerprints as { site: string } ).site;
	expect( sitesCli( 'list' ) ).toContain( `${ sid }\tactive\t${ fingerprint }\t${ stack.wpUrl.replace( /\/$/, '' ) }` );
	expect( sitesCli( 'list' ) ).not.toContain( secretNow );
} );

test( 'the same code is refused the second time, and the site stays enrolled with its secret', async () => {
	const secret = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() as string;
	const again = adminRest( 'POST', '/igny8/v1/admin/sidecar/enrol', { url: hostedUrl, code } );
	expect( again.data ).toMatchObject( { success: false, code: 'ENROLMENT_REFUSED' } );
	expect( wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() ).toBe( secret );
	expect( ( adminRest( 'GET', '/igny8/v1/admin/sidecar' ).data as { data: Record< string, unknown > } ).data ).toMatchObject( {
		mode: 'hosted',
		fingerprints: { match: true },
	} );
} );

test( '"Generate new secret" on a hosted site rotates it on the sidecar in one signed call; the keys still match', async () => {
	const sid = stack.siteId();
	const before = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() as string;
	const rotated = adminRest( 'POST', '/igny8/v1/admin/sidecar/rotate' );
	expect( rotated.status, JSON.stringify( rotated.data ) ).toBe( 200 );
	const card = ( rotated.data as { data: Record< string, unknown > } ).data;
	expect( card ).toMatchObject( { mode: 'hosted', reachable: true, fingerprints: { match: true }, previous_until: null } );
	const after = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim().split( '\n' ).pop() as string;
	expect( after ).not.toBe( before );
	expect( sitesCli( 'list' ) ).toContain( `${ sid }\tactive\t${ ( card.fingerprints as { site: string } ).site }\t` );
} );

test( 'IGNY8 publishes through the hosted sidecar while the site\'s own sidecar is stopped', async () => {
	await stack.sidecar( 'stop' );
	const id = 700_000 + Math.floor( Math.random() * 100_000 );
	const content = sampleContent( id, { status: 'completed' } );
	const r = await publish( stack.wpUrl, stack.apiKey, payloadA( content ) );
	expect( r.status, JSON.stringify( r.body ) ).toBe( 201 );
	const postId = ( r.body as { data: { post_id: number } } ).data.post_id;
	expect( readPost( postId ).post ).toMatchObject( { post_title: content.title, post_status: 'publish' } );
	expect( fs.readFileSync( hostedLog, 'utf8' ) ).toMatch( /"path":"\/igny8\/v1\/publish[^"]*","status":200/ );
} );
