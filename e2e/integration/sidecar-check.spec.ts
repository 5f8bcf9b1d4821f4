/**
 * `igny8-sidecar check` against the real site of this run: it validates the configuration, reaches WordPress
 * (the plugin's /status, then one signed internal call) and IGNY8 (the simulator), and says what is wrong and how
 * to fix it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { stack } from '../support/stack';

const ROOT = path.resolve( import.meta.dirname, '../..' );

function check( env: Record< string, string > ) {
	const dataDir = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-check-' ) );
	try {
		const r = spawnSync( path.join( ROOT, 'node_modules/.bin/tsx' ), [ path.join( ROOT, 'sidecar/src/bin.ts' ), 'check' ], {
			encoding: 'utf8',
			env: { PATH: process.env.PATH ?? '', SIDECAR_DATA_DIR: dataDir, ...env },
			timeout: 60_000,
		} );
		return { code: r.status, out: r.stdout + r.stderr };
	} finally {
		fs.rmSync( dataDir, { recursive: true, force: true } );
	}
}

const paired = () => ( {
	IGNY8_SIDECAR_SECRET: fs.readFileSync( path.join( stack.stateDir, 'sidecar.secret' ), 'utf8' ).trim(),
	IGNY8_SIDECAR_SITE_ID: stack.siteId(),
	WP_URL: stack.wpUrl,
	IGNY8_API_BASE_URL: stack.simulatorUrl,
} );

test.describe( 'igny8-sidecar check', () => {
	test( 'passes on a paired site and names what it reached', () => {
		const r = check( paired() );
		expect( r.out ).toContain( '✓ configuration is valid' );
		expect( r.out ).toMatch( /✓ WordPress at \S+ answers: IGNY8 Bridge \d+\.\d+\.\d+/ );
		expect( r.out ).toContain( "✓ the site accepts this sidecar's signature: the secret matches" );
		expect( r.out ).toMatch( /✓ IGNY8 at \S+ answers \(HTTP \d{3}\)/ );
		expect( r.out ).toContain( 'All checks passed.' );
		expect( r.code ).toBe( 0 );
	} );

	test( 'a secret the site does not have: says so and how to fix it', () => {
		const r = check( { ...paired(), IGNY8_SIDECAR_SECRET: randomBytes( 32 ).toString( 'base64url' ) } );
		expect( r.out ).toMatch( /✗ WordPress refused a signed call: .*SIDECAR_AUTH_MISMATCH|✗ WordPress refused a signed call: .*HTTP 401/ );
		expect( r.out ).toContain( 'copy the IGNY8_SIDECAR_SECRET and IGNY8_SIDECAR_SITE_ID lines from Settings -> IGNY8 -> Sidecar' );
		expect( r.code ).toBe( 1 );
	} );

	test( 'the id of another site (a subsite sharing the secret): WordPress refuses the signature, and the fix names IGNY8_SIDECAR_SITE_ID', () => {
		const r = check( { ...paired(), IGNY8_SIDECAR_SITE_ID: '6f1c1e2a-0000-4000-8000-0000000000b7' } );
		expect( r.out ).toMatch( /✗ WordPress refused a signed call: .*HTTP 401/ );
		expect( r.out ).toContain( 'IGNY8_SIDECAR_SITE_ID lines from Settings -> IGNY8 -> Sidecar' );
		expect( r.code ).toBe( 1 );
	} );

	test( 'no site id yet (not configured, never called): says no signed call can be made and how to fix it', () => {
		const { IGNY8_SIDECAR_SITE_ID: _omitted, ...env } = paired();
		const r = check( env );
		expect( r.out ).toContain( '✗ the site id is not known yet' );
		expect( r.out ).toContain( 'copy the IGNY8_SIDECAR_SITE_ID line from Settings -> IGNY8 -> Sidecar' );
		expect( r.code ).toBe( 1 );
	} );

	test( 'WordPress and IGNY8 out of reach: each named, with a fix', () => {
		const r = check( { ...paired(), WP_URL: 'http://127.0.0.1:9', IGNY8_API_BASE_URL: 'http://127.0.0.1:9' } );
		expect( r.out ).toMatch( /✗ WordPress at http:\/\/127\.0\.0\.1:9 is not reachable/ );
		expect( r.out ).toContain( 'fix: check WP_URL' );
		expect( r.out ).toMatch( /✗ IGNY8 at http:\/\/127\.0\.0\.1:9 is not reachable/ );
		expect( r.out ).toContain( '2 problems found.' );
		expect( r.code ).toBe( 1 );
	} );

	test( 'a bad value stops it before any network call, naming the variable', () => {
		const r = check( { ...paired(), SIDECAR_PORT: 'http', IGNY8_API_BASE_URL: 'ftp://x' } );
		expect( r.code ).toBe( 78 );
		expect( r.out ).toContain( 'SIDECAR_PORT: must be a port number' );
		expect( r.out ).toContain( 'IGNY8_API_BASE_URL: must be an http(s) URL' );
		expect( r.out ).not.toContain( 'WordPress at' );
	} );
} );
