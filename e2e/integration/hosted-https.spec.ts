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
 * As in hosted-enrol.spec.ts, support/hosted-switch.ts starts the hosted sidecar, issues the code and rewrites the
 * generated igny8-env.php without IGNY8_SIDECAR_URL and with an empty secret constant (both would win over a hosted
 * sidecar), and restores it afterwards.
 * Ports: STACK_CONTROL_PORT + 5 (PostgreSQL), + 8 (the hosted sidecar, plain http on loopback), + 9 (nginx, https).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { ensureNginx, makeTestCertificates, NGINX_BIN, nginxArgs, nginxUpstreamConf, type TestCertificates } from '../../scripts/replica-front';
import { adminBrowser } from '../support/browser';
import { expect, test } from '../support/editor-test';
import { adminRest, siteState, stopGroup, switchToHosted, waitFor, type HostedSwitch } from '../support/hosted-switch';
import { bootstraps, stack } from '../support/stack';
import { createManagedPosts, expectTasks, setStatus, syncMeta, taskIds } from '../support/sync';

const ROOT = path.resolve( import.meta.dirname, '../..' );
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
let hosted: HostedSwitch | undefined;
let nginx: ChildProcess | undefined;
let secretBefore = '';
let code = '';
const sitesCli = ( ...args: string[] ) => ( hosted as HostedSwitch ).sitesCli( ...args );
const writeEnvPhp = ( caBundle: string | null ) => ( hosted as HostedSwitch ).writeEnvPhp( caBundle );

// The shim's requests only: the readiness probe's lines (curl's user agent) are left out, not truncated away: nginx
// logs a request after its response is sent, so a probe's line can land after any truncation.
const accessLog = () => {
	const file = path.join( work, 'nginx/access.log' );
	return ( fs.existsSync( file ) ? fs.readFileSync( file, 'utf8' ) : '' )
		.split( '\n' )
		.filter( ( line ) => line !== '' && ! line.includes( '"curl/' ) )
		.join( '\n' );
};

test.beforeAll( async () => {
	test.setTimeout( 120_000 );
	work = path.join( stack.stateDir, 'hosted-https' );
	fs.rmSync( work, { recursive: true, force: true } );
	fs.mkdirSync( path.join( work, 'nginx' ), { recursive: true, mode: 0o700 } );
	// Valid for 127.0.0.1 only: https://localhost:… is the wrong host name for it.
	certs = makeTestCertificates( path.join( work, 'tls' ), { ips: [ '127.0.0.1' ] } );
	ensureNginx( ROOT );
	hosted = await switchToHosted( {
		dir: work,
		pgPort,
		port: sidecarPort,
		env: {
			// nginx passes the Host the shim sent: the public name of the deployment.
			SIDECAR_ALLOWED_HOSTS: `127.0.0.1:${ frontPort },127.0.0.1:${ sidecarPort }`,
			// The simulator's development login (scripts/stack.ts gives the site's own sidecar the same).
			IGNY8_EMAIL: 'dev@igny8.test',
			IGNY8_PASSWORD: 'igny8-dev-password',
			SIDECAR_SYNC_BACKOFF_BASE_MS: '200',
			SIDECAR_SYNC_BACKOFF_MAX_MS: '2000',
			// A notify lost under load is found by the reconciler (list_pending: the same internal route) within seconds.
			SIDECAR_RECONCILE_INTERVAL_MS: '3000',
		},
		ready: async () => {
			const nginxDir = path.join( work, 'nginx' );
			fs.writeFileSync( path.join( nginxDir, 'nginx.conf' ), nginxUpstreamConf( { dir: nginxDir, listenPort: frontPort, upstreamPorts: [ sidecarPort ], tls: certs } ) );
			nginx = spawn( NGINX_BIN, nginxArgs( nginxDir ), { detached: true, stdio: 'ignore' } );
			await waitFor(
				'nginx',
				async () => {
					execFileSync( 'curl', [ '-sf', '--cacert', certs.caCert, `${ httpsUrl }/healthz` ], { stdio: 'ignore', timeout: 5000 } );
					return true;
				},
				30_000,
				path.join( nginxDir, 'error.log' )
			);
		},
	} );
	( { code, secretBefore } = hosted );
} );

test.afterAll( async () => {
	await stopGroup( nginx );
	await hosted?.restore();
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
