/**
 * Issue #14 §2: Tools → Site Health in the real browser. The bridge's tests (asynchronous, backed by
 * /igny8/v1/admin/site-health/{check}: one sidecar exchange per page load) turn red when the sidecar is down and when
 * the key fingerprints differ; the "IGNY8 Bridge" Info section holds the non-secret configuration and no secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

import type { Page } from '@playwright/test';

import { expect, test } from '../support/editor-test';
import { adminBrowser } from '../support/browser';
import { stack, wpEval } from '../support/stack';

/** A new page load must not reuse the facts the previous one fetched (kept 5 s for the tests of one load). */
const forgetSharedReport = () => wpEval( "delete_transient( 'igny8_site_health_report' );" );

async function statusPage( page: Page, visit: () => Promise< void > ) {
	forgetSharedReport();
	await visit();
	// Every IGNY8 test has reported (9 results, in whichever section).
	await expect( page.locator( '.health-check-accordion-trigger', { hasText: /^\s*IGNY8 / } ) ).toHaveCount( 9, { timeout: 30_000 } );
	return {
		critical: page.locator( '#health-check-issues-critical' ),
		good: page.locator( '#health-check-issues-good' ),
	};
}

test.use( adminBrowser() );
test.describe.configure( { mode: 'serial' } );

test( 'a paired stack: sidecar and fingerprints pass; stopping the sidecar turns the sidecar test red with the action', async ( { admin, page }, testInfo ) => {
	test.setTimeout( 120_000 );
	const visit = () => admin.visitAdminPage( 'site-health.php', '' );
	const healthy = await statusPage( page, visit );
	await expect( healthy.critical ).not.toContainText( 'IGNY8 sidecar' );
	await page.getByRole( 'button', { name: 'Passed tests' } ).click();
	await expect( healthy.good ).toContainText( /IGNY8 sidecar: The sidecar .* answers at/ );
	await expect( healthy.good ).toContainText( 'IGNY8 key fingerprints: WordPress and the sidecar both sign with key' );

	await stack.sidecar( 'stop' );
	try {
		const down = await statusPage( page, visit );
		const sidecar = down.critical.locator( '.health-check-accordion-trigger', { hasText: 'IGNY8 sidecar' } );
		await expect( sidecar ).toContainText( `The sidecar does not answer at ${ stack.sidecarUrl }` );
		await sidecar.click();
		await expect( down.critical ).toContainText( 'What to do: Start the sidecar' );
		await page.screenshot( { path: testInfo.outputPath( 'site-health-sidecar-down.png' ), fullPage: true } );
	} finally {
		await stack.sidecar( 'start' );
	}
	await expect.poll( async () => ( await fetch( `${ stack.sidecarUrl }/healthz` ).catch( () => null ) )?.status, { timeout: 20_000 } ).toBe( 200 );
} );

test( 'different key fingerprints turn the fingerprints test red, naming both', async ( { admin, page }, testInfo ) => {
	test.setTimeout( 120_000 );
	// The site takes its secret from wp-config (read from sidecar.secret): move it aside and give the site another one.
	const file = path.join( stack.stateDir, 'sidecar.secret' );
	const aside = `${ file }.aside`;
	const secret = fs.readFileSync( file, 'utf8' ).trim();
	fs.renameSync( file, aside );
	try {
		wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( randomBytes( 32 ).toString( 'base64url' ) ) }, 'no' ); delete_option( 'igny8_sidecar_secret_previous' );` );
		const siteKid = wpEval( 'echo Igny8\\Bridge\\Security\\Keys::fingerprint();' ).trim();
		const { critical } = await statusPage( page, () => admin.visitAdminPage( 'site-health.php', '' ) );
		const fingerprints = critical.locator( '.health-check-accordion-trigger', { hasText: 'IGNY8 key fingerprints' } );
		await expect( fingerprints ).toContainText( `The key fingerprints differ: WordPress ${ siteKid }, sidecar ` );
		await expect( critical ).not.toContainText( 'IGNY8 sidecar:' );
		// The sidecar answers, so the skipped tests point at the fingerprints, not only at the sidecar check.
		await expect( page.locator( '.health-check-accordion-trigger', { hasText: 'IGNY8 connection' } ) ).toContainText( 'see the sidecar and key fingerprint checks' );
		await fingerprints.click();
		await expect( critical ).toContainText( 'wp igny8 secret show' );
		await page.screenshot( { path: testInfo.outputPath( 'site-health-fingerprints.png' ), fullPage: true } );
	} finally {
		fs.renameSync( aside, file );
		wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secret ) }, 'no' ); delete_option( 'igny8_sidecar_secret_previous' );` );
	}
} );

test.describe( 'Info', () => {
	// Core's own directory-size probe answers 500 on the SQLite drop-in (nothing of ours).
	test.use( { expectedConsole: [ /wp-site-health\/v1\/directory-sizes/ ] } );

	test( 'Info → IGNY8 Bridge: the non-secret configuration, and no secret', async ( { admin, page }, testInfo ) => {
		await admin.visitAdminPage( 'site-health.php', 'tab=debug' );
		const section = page.getByRole( 'button', { name: 'IGNY8 Bridge' } );
		await section.click();
		const fingerprint = wpEval( 'echo Igny8\\Bridge\\Security\\Keys::fingerprint();' ).trim();
		const panel = page.locator( '#health-check-accordion-block-igny8-bridge' );
		await expect( panel ).toContainText( 'Key fingerprint (WordPress)' );
		await expect( panel ).toContainText( fingerprint );
		await expect( panel ).toContainText( stack.sidecarUrl );
		await expect( panel ).toContainText( 'igny8_sync_mode' );
		await panel.screenshot( { path: testInfo.outputPath( 'site-health-info.png' ) } );
		// What "Copy site info to clipboard" copies is in the page too.
		const html = await page.content();
		expect( html ).not.toContain( stack.secret().toString( 'base64url' ) );
		expect( html ).not.toContain( stack.apiKey );
	} );
} );
