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
import fs from 'node:fs';
import path from 'node:path';

import { expect, test } from '@playwright/test';

import { payloadA, publish, sampleContent } from '../../simulator/src/publisher';
import { adminRest, switchToHosted, type HostedSwitch } from '../support/hosted-switch';
import { stack, wpEval } from '../support/stack';
import { readPost } from '../support/wordpress';

const controlPort = Number( process.env.STACK_CONTROL_PORT ?? 9200 );
// Inside this instance's + 1 … + 9 (e2e/global-setup.ts): + 60 was the next instance's image server.
const pgPort = controlPort + 6;
const hostedPort = controlPort + 7;

test.describe.configure( { mode: 'serial' } );

let hosted: HostedSwitch | undefined;
let hostedUrl = '';
let hostedLog = '';
let secretBefore = '';
let code = '';
const sitesCli = ( ...args: string[] ) => ( hosted as HostedSwitch ).sitesCli( ...args );

test.beforeAll( async () => {
	test.setTimeout( 180_000 );
	hosted = await switchToHosted( { dir: path.join( stack.stateDir, 'hosted-enrol' ), pgPort, port: hostedPort } );
	( { url: hostedUrl, log: hostedLog, code, secretBefore } = hosted );
} );

test.afterAll( async () => {
	await hosted?.restore();
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
