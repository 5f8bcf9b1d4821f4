/**
 * A hosted sidecar over https (issue #16 §5): the real WordPress reaches a real `igny8-sidecar start --multi-site`
 * (PostgreSQL 15 from scripts/pg-runtime.sh) only through a loopback nginx TLS front whose certificate a private CA
 * signed, made by openssl for this run in the stack's state dir (scripts/replica-front.ts). The shim verifies the
 * certificate: with WordPress's CA bundle the private CA is unknown, and `localhost` is not a name the certificate
 * carries; both are refused with SIDECAR_TLS_FAILED before anything is sent (nginx logs no request and the code stays
 * unspent). With the CA named in IGNY8_SIDECAR_CA_BUNDLE the site enrols, IGNY8 publishes through the front, and a
 * WordPress change comes back as a write-back that the hosted sidecar sends to the internal route at the URL the site
 * enrolled with, while the site's own sidecar is stopped.
 *
 * The Sidecar card is looked at in the browser once enrolled and once refused.
 *
 * As in hosted-enrol.spec.ts, the generated igny8-env.php is rewritten without IGNY8_SIDECAR_URL and with an empty
 * secret constant (both would win over a hosted sidecar), and restored afterwards.
 * Ports: STACK_CONTROL_PORT + 5 (PostgreSQL), + 8 (the hosted sidecar, plain http on loopback), + 9 (nginx, https).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { ensureNginx, makeTestCertificates, NGINX_BIN, nginxArgs, nginxUpstreamConf, type TestCertificates } from '../../scripts/replica-front';
import { adminBrowser } from '../support/browser';
import { expect, test } from '../support/editor-test';
import { bootstraps, stack, wpEval } from '../support/stack';
import { createManagedPosts, expectTasks, setStatus, syncMeta, taskIds } from '../support/sync';

const ROOT = path.resolve( import.meta.dirname, '../..' );
const TSX = path.join( ROOT, 'node_modules/.bin/tsx' );
const BIN = path.join( ROOT, 'sidecar/src/bin.ts' );
const controlPort = Number( process.env.STACK_CONTROL_PORT ?? 9200 );
// Inside this instance's + 1 … + 9 (e2e/global-setup.ts); hosted-enrol.spec.ts has + 6 / + 7.
const pgPort = controlPort + 5;
const sidecarPort = controlPort + 8;
const frontPort = controlPort + 9;
const httpsUrl = `https://127.0.0.1:${ frontPort }`;

test.use( adminBrowser() );
test.describe.configure( { mode: 'serial' } );

let work = '';
let certs: TestCertificates;
let hosted: ChildProcess | undefined;
let nginx: ChildProcess | undefined;
let hostedEnv: NodeJS.ProcessEnv = {};
let envPhp = '';
let envPhpBefore = '';
let envPhpMtime = 0;
let secretBefore = '';
let code = '';
let sidecarUrlEnv: string | undefined;

const last = ( out: string ) => out.trim().split( '\n' ).pop() as string;
const pg = ( action: string ) =>
	execFileSync( 'bash', [ path.join( ROOT, 'scripts/pg-runtime.sh' ), action ], { env: { ...process.env, PG_PORT: String( pgPort ) }, encoding: 'utf8' } ).trim();
const sitesCli = ( ...args: string[] ) => execFileSync( TSX, [ BIN, 'sites', ...args ], { env: hostedEnv, encoding: 'utf8', cwd: ROOT } );
const accessLog = () => ( fs.existsSync( path.join( work, 'nginx/access.log' ) ) ? fs.readFileSync( path.join( work, 'nginx/access.log' ), 'utf8' ) : '' );
const siteState = () =>
	JSON.parse( last( wpEval( `echo wp_json_encode( array( 'secret' => get_option( 'igny8_sidecar_secret' ), 'hosted' => get_option( 'igny8_sidecar_hosted' ) ) );` ) ) ) as {
		secret: string;
		hosted: false | { url: string };
	};

/** igny8-env.php without the sidecar URL, with an empty secret constant, and with or without the CA bundle constant. */
function writeEnvPhp( caBundle: string | null ): void {
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
}

/** A REST call as the administrator, inside WordPress (the routes the Sidecar card calls). */
function adminRest( method: string, route: string, params: Record< string, string > = {} ): { status: number; data: Record< string, unknown > } {
	const out = wpEval(
		`wp_set_current_user( 1 ); $r = new WP_REST_Request( ${ JSON.stringify( method ) }, ${ JSON.stringify( route ) } ); foreach ( json_decode( ${ JSON.stringify(
			JSON.stringify( params )
		) }, true ) as $k => $v ) { $r->set_param( $k, $v ); } $res = rest_do_request( $r ); echo wp_json_encode( array( 'status' => $res->get_status(), 'data' => $res->get_data() ) );`
	);
	return JSON.parse( last( out ) ) as { status: number; data: Record< string, unknown > };
}

async function waitFor( what: string, probe: () => Promise< boolean >, ms: number, log: string ): Promise< void > {
	const until = Date.now() + ms;
	while ( ! ( await probe().catch( () => false ) ) ) {
		if ( Date.now() > until ) {
			throw new Error( `${ what } did not start:\n${ fs.existsSync( log ) ? fs.readFileSync( log, 'utf8' ).slice( -2000 ) : '' }` );
		}
		await new Promise( ( resolve ) => setTimeout( resolve, 200 ) );
	}
}

async function stopGroup( child: ChildProcess | undefined ): Promise< void > {
	if ( child?.pid === undefined || child.exitCode !== null ) {
		return;
	}
	const exited = new Promise( ( resolve ) => child.once( 'exit', resolve ) );
	process.kill( -child.pid, 'SIGTERM' );
	await Promise.race( [ exited, new Promise( ( resolve ) => setTimeout( resolve, 5000 ) ) ] );
}

test.beforeAll( async () => {
	test.setTimeout( 120_000 );
	work = path.join( stack.stateDir, 'hosted-https' );
	fs.rmSync( work, { recursive: true, force: true } );
	fs.mkdirSync( path.join( work, 'nginx' ), { recursive: true, mode: 0o700 } );
	// Valid for 127.0.0.1 only: https://localhost:… is the wrong host name for it.
	certs = makeTestCertificates( path.join( work, 'tls' ), { ips: [ '127.0.0.1' ] } );
	ensureNginx( ROOT );
	pg( 'start' );

	const keyFile = path.join( work, 'credentials.key' );
	fs.writeFileSync( keyFile, randomBytes( 32 ).toString( 'base64url' ), { mode: 0o600 } );
	hostedEnv = {
		PATH: process.env.PATH,
		HOME: process.env.HOME,
		IGNY8_SIDECAR_DATABASE_URL: pg( 'url' ),
		IGNY8_SIDECAR_CREDENTIALS_KEY_FILE: keyFile,
		SIDECAR_PORT: String( sidecarPort ),
		SIDECAR_DATA_DIR: path.join( work, 'sidecar' ),
		// nginx passes the Host the shim sent: the public name of the deployment.
		SIDECAR_ALLOWED_HOSTS: `127.0.0.1:${ frontPort },127.0.0.1:${ sidecarPort }`,
		IGNY8_API_BASE_URL: stack.simulatorUrl,
		// The simulator's development login (scripts/stack.ts gives the site's own sidecar the same).
		IGNY8_EMAIL: 'dev@igny8.test',
		IGNY8_PASSWORD: 'igny8-dev-password',
		SIDECAR_SYNC_BACKOFF_BASE_MS: '200',
		SIDECAR_SYNC_BACKOFF_MAX_MS: '2000',
		// A notify lost under load is found by the reconciler (list_pending: the same internal route) within seconds.
		SIDECAR_RECONCILE_INTERVAL_MS: '3000',
		LOG_LEVEL: 'info',
	};
	const sidecarLog = path.join( work, 'sidecar.log' );
	const out = fs.openSync( sidecarLog, 'w' );
	hosted = spawn( TSX, [ BIN, 'start', '--multi-site' ], { cwd: ROOT, env: hostedEnv, detached: true, stdio: [ 'ignore', out, out ] } );
	fs.closeSync( out );

	const nginxDir = path.join( work, 'nginx' );
	fs.writeFileSync( path.join( nginxDir, 'nginx.conf' ), nginxUpstreamConf( { dir: nginxDir, listenPort: frontPort, upstreamPorts: [ sidecarPort ], tls: certs } ) );
	nginx = spawn( NGINX_BIN, nginxArgs( nginxDir ), { detached: true, stdio: 'ignore' } );
	await waitFor( 'the hosted sidecar', async () => ( await fetch( `http://127.0.0.1:${ sidecarPort }/healthz` ) ).ok, 30_000, sidecarLog );
	await waitFor(
		'nginx',
		async () => {
			execFileSync( 'curl', [ '-sf', '--cacert', certs.caCert, `${ httpsUrl }/healthz` ], { stdio: 'ignore', timeout: 5000 } );
			return true;
		},
		10_000,
		path.join( nginxDir, 'error.log' )
	);
	fs.writeFileSync( path.join( nginxDir, 'access.log' ), '' ); // nginx appends; the probes above are not the shim's.
	code = last( sitesCli( 'enroll', '--url', stack.wpUrl ) );

	envPhp = path.join( stack.stateDir, 'igny8-env.php' );
	envPhpBefore = fs.readFileSync( envPhp, 'utf8' );
	secretBefore = siteState().secret;
	writeEnvPhp( null );
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
		fs.utimesSync( envPhp, envPhpMtime + 1, envPhpMtime + 1 );
		wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secretBefore ) }, 'no' ); delete_option( 'igny8_sidecar_hosted' );` );
	}
	await stopGroup( nginx );
	await stopGroup( hosted );
	await stack.sidecar( 'start' ).catch( () => undefined );
	pg( 'stop' );
} );

test( 'a certificate from a CA WordPress does not know is refused: SIDECAR_TLS_FAILED (untrusted), nothing sent, nothing changed', async () => {
	const refused = adminRest( 'POST', '/igny8/v1/admin/sidecar/enrol', { url: httpsUrl, code } );
	expect( refused.status, JSON.stringify( refused.data ) ).toBe( 503 );
	expect( refused.data ).toMatchObject( { success: false, code: 'SIDECAR_TLS_FAILED', reason: 'untrusted' } );
	expect( refused.data.error ).toMatch( /certificate is not trusted .*IGNY8_SIDECAR_CA_BUNDLE/ );
	expect( siteState() ).toEqual( { secret: secretBefore, hosted: false } );
	expect( accessLog(), 'the TLS handshake failed before any request' ).toBe( '' );
} );

test( 'with the private CA trusted, a host name the certificate does not carry is refused: SIDECAR_TLS_FAILED (host_mismatch)', async () => {
	writeEnvPhp( certs.caCert );
	const refused = adminRest( 'POST', '/igny8/v1/admin/sidecar/enrol', { url: `https://localhost:${ frontPort }`, code } );
	expect( refused.status, JSON.stringify( refused.data ) ).toBe( 503 );
	expect( refused.data ).toMatchObject( { success: false, code: 'SIDECAR_TLS_FAILED', reason: 'host_mismatch' } );
	expect( refused.data.error ).toContain( "'localhost'" );
	expect( siteState() ).toEqual( { secret: secretBefore, hosted: false } );
	expect( accessLog() ).toBe( '' );
} );

test( 'the same code then enrols over https: the card shows the hosted sidecar, its certificate checked against the wp-config CA, reachable, keys matching', async ( {
	admin,
	page,
} ) => {
	const enrolled = adminRest( 'POST', '/igny8/v1/admin/sidecar/enrol', { url: httpsUrl, code } );
	expect( enrolled.status, JSON.stringify( enrolled.data ) ).toBe( 200 );
	const card = ( enrolled.data as { data: Record< string, unknown > } ).data;
	expect( card ).toMatchObject( { mode: 'hosted', url: httpsUrl, tls: 'wp-config', reachable: true, fingerprints: { match: true }, hosted: { url: httpsUrl }, problem: null } );
	expect( card.latency_ms ).toEqual( expect.any( Number ) );
	expect( accessLog() ).toMatch( /"POST \/_shim\/enrol HTTP\/1\.1" 201 / );
	// The site enrolled with its public URL: that is where the hosted sidecar calls WordPress back.
	expect( sitesCli( 'list' ) ).toContain( `${ stack.siteId() }\tactive\t${ ( card.fingerprints as { site: string } ).site }\t${ stack.wpUrl.replace( /\/$/, '' ) }` );

	await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
	const shown = page.locator( '[data-igny8="sidecar-card"]' );
	await expect( shown.getByRole( 'heading', { name: 'Hosted sidecar', exact: true } ) ).toBeVisible();
	await expect( shown.locator( '[data-igny8="sidecar-mode"]' ) ).toHaveText( 'Hosted sidecar' );
	await expect( shown.locator( '[data-igny8="sidecar-tls"]' ) ).toContainText( 'https, certificate checked against the CA file in wp-config.php (IGNY8_SIDECAR_CA_BUNDLE)' );
	await expect( shown.locator( '[data-igny8="sidecar-status"]' ) ).toHaveText( /^Answers, version \d+\.\d+\.\d+\S* \(\d+ ms\)$/ );
	await expect( shown.locator( '[data-igny8="sidecar-fingerprints"]' ) ).toHaveText( /· Match$/ );
} );

test( 'IGNY8 publishes through the TLS front, and a WordPress change is written back over the site\'s public URL (own sidecar stopped)', async () => {
	await stack.sidecar( 'stop' );
	const id = 800_000 + Math.floor( Math.random() * 100_000 );
	const r = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( id, { status: 'completed' } ) ) );
	expect( r.status, JSON.stringify( r.body ) ).toBe( 201 );
	expect( accessLog() ).toMatch( /"POST \/igny8\/v1\/publish-content\/? HTTP\/1\.1" 200 / );

	const [ task ] = taskIds( 1 ) as [ number ];
	const [ post ] = createManagedPosts( [ task ] ) as [ number ];
	const internalBefore = bootstraps().filter( ( b ) => b.request.includes( '/internal/ops' ) ).length;
	setStatus( [ post ], 'publish' );
	await expectTasks( { [ task ]: { wordpress_status: 'publish', assigned_post_id: post } }, { message: 'the change reaches IGNY8 through the hosted sidecar' } );
	// Written back by the internal route, which only a correctly signed sidecar call opens: the hosted sidecar's.
	await expect.poll( () => syncMeta( [ post ] )[ post ]?._igny8_sync_state, { timeout: 15_000 } ).toBe( 'synced' );
	expect( bootstraps().filter( ( b ) => b.request.includes( '/internal/ops' ) ).length ).toBeGreaterThan( internalBefore );
	expect( accessLog() ).toMatch( /"POST \/_shim\/events HTTP\/1\.1" 202 / );
} );

test.describe( 'the CA no longer trusted', () => {
	// The settings screen's other cards ask the sidecar too (through the shim): their 503 is the point here.
	test.use( { expectedConsole: [ /^Failed to load resource: the server responded with a status of 503/ ] } );

	test( 'without the CA in wp-config the card and IGNY8 get the refusal: SIDECAR_TLS_FAILED, never a silent fallback', async ( { admin, page } ) => {
		writeEnvPhp( null );
		const card = ( adminRest( 'GET', '/igny8/v1/admin/sidecar' ).data as { data: Record< string, unknown > } ).data;
		expect( card ).toMatchObject( { mode: 'hosted', url: httpsUrl, tls: 'wordpress', reachable: false, problem: { code: 'SIDECAR_TLS_FAILED', reason: 'untrusted' } } );
		const before = accessLog();
		const r = await publish( stack.wpUrl, stack.apiKey, payloadA( sampleContent( 900_000 + Math.floor( Math.random() * 50_000 ) ) ) );
		expect( r.status, JSON.stringify( r.body ) ).toBe( 503 );
		expect( r.body ).toMatchObject( { success: false, code: 'SIDECAR_TLS_FAILED', reason: 'untrusted' } );
		expect( accessLog() ).toBe( before );

		await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
		const shown = page.locator( '[data-igny8="sidecar-card"]' );
		await expect( shown.locator( '[data-igny8="sidecar-status"]' ) ).toHaveText( 'Certificate refused' );
		await expect( shown.locator( '[data-igny8="sidecar-tls"]' ) ).toContainText( 'WordPress’s CA bundle' );
		await expect( shown.locator( '[data-igny8="sidecar-problem"]' ) ).toContainText( /certificate is not trusted .*IGNY8_SIDECAR_CA_BUNDLE/ );
	} );
} );
