/**
 * Settings → IGNY8 → Sidecar (issue #11 §2): URL, reachable + version, both key fingerprints and whether they
 * match, the exact env lines; the secret only on demand and only for manage_options; "Generate new secret" keeps
 * the previous key valid for 10 minutes.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Page, Response } from '@playwright/test';

import { expect, test } from '../../support/editor-test';
import { internalClaims, signTransportJwt, stack, wp, wpEval } from '../../support/stack';

const card = ( page: Page ) => page.locator( '[data-igny8="sidecar-card"]' );

function recordBodies( page: Page ): () => Promise< string > {
	const bodies: Array< Promise< string > > = [];
	page.on( 'response', ( response: Response ) => {
		bodies.push( response.text().catch( () => '' ) );
	} );
	return async () => ( await Promise.all( bodies ) ).join( '\n' );
}

test.describe( 'Settings → IGNY8 → Sidecar', () => {
	test.use( { viewport: { width: 1440, height: 1600 } } );

	test( 'shows where the sidecar is, its version, matching fingerprints and the env lines; the secret only on demand', async ( { admin, page }, testInfo ) => {
		const secret = fs.readFileSync( path.join( stack.stateDir, 'sidecar.secret' ), 'utf8' ).trim();
		const bodies = recordBodies( page );
		await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
		await expect( card( page ).getByRole( 'heading', { name: 'Sidecar' } ) ).toBeVisible();
		await expect( card( page ).locator( '[data-igny8="sidecar-status"]' ) ).toHaveText( /^Answers, version \d+\.\d+\.\d+/ );
		await expect( card( page ).getByText( stack.sidecarUrl ) ).toBeVisible();
		const fingerprints = card( page ).locator( '[data-igny8="sidecar-fingerprints"]' );
		await expect( fingerprints ).toHaveText( /^site ([0-9a-f]{16}) · sidecar \1 · Match$/ );
		const env = card( page ).locator( '[data-igny8="sidecar-env"]' );
		await expect( env ).toContainText( 'IGNY8_SIDECAR_SECRET=••••' );
		await expect( env ).toContainText( `IGNY8_SIDECAR_SITE_ID=${ stack.siteId() }` );
		await expect( env ).toContainText( `WP_URL=${ stack.wpUrl }` );
		await expect( env ).toContainText( `SIDECAR_PORT=${ new URL( stack.sidecarUrl ).port }` );

		// Not in the page source, nor in anything the page loaded, until asked.
		expect( await page.content() ).not.toContain( secret );
		expect( await bodies() ).not.toContain( secret );

		await card( page ).getByRole( 'button', { name: 'Reveal secret' } ).click();
		await expect( env ).toContainText( `IGNY8_SIDECAR_SECRET=${ secret }` );
		await card( page ).screenshot( { path: testInfo.outputPath( 'sidecar-card-revealed.png' ) } );
		await card( page ).getByRole( 'button', { name: 'Hide secret' } ).click();
		await expect( env ).toContainText( 'IGNY8_SIDECAR_SECRET=••••' );
		// A secret from wp-config.php is rotated there: the button is not offered.
		await expect( card( page ).getByRole( 'button', { name: 'Generate new secret' } ) ).toHaveCount( 0 );
	} );

	test( 'the pairing routes answer manage_options only', async () => {
		const secret = fs.readFileSync( path.join( stack.stateDir, 'sidecar.secret' ), 'utf8' ).trim();
		for ( const [ method, route ] of [
			[ 'GET', '/wp-json/igny8/v1/admin/sidecar/secret' ],
			[ 'GET', '/wp-json/igny8/v1/admin/sidecar' ],
			[ 'POST', '/wp-json/igny8/v1/admin/sidecar/rotate' ],
		] as const ) {
			// Anonymous, and with IGNY8's API key (which opens the IGNY8 routes, not this one).
			for ( const apiKey of [ false, undefined ] as const ) {
				const r = await wp( route, { method, apiKey } );
				expect( [ 401, 403 ], `${ method } ${ route }` ).toContain( r.status );
				expect( r.body.success ).toBe( false );
				expect( r.text ).not.toContain( secret );
			}
		}
	} );

	test( 'Generate new secret rotates the option secret; the previous key keeps working for 10 minutes', async ( { admin, page }, testInfo ) => {
		// The test site takes its secret from wp-config (read from sidecar.secret). Move the file away for this test
		// so the site uses the option, which starts as the same secret: the pairing still matches.
		const file = path.join( stack.stateDir, 'sidecar.secret' );
		const aside = `${ file }.aside`;
		const secret = fs.readFileSync( file, 'utf8' ).trim();
		fs.renameSync( file, aside );
		try {
			wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secret ) }, 'no' ); delete_option( 'igny8_sidecar_secret_previous' );` );
			await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
			const fingerprints = card( page ).locator( '[data-igny8="sidecar-fingerprints"]' );
			await expect( fingerprints ).toHaveText( /· Match$/ );
			const before = /^site ([0-9a-f]{16})/.exec( ( await fingerprints.textContent() ) ?? '' )?.[ 1 ];

			await card( page ).getByRole( 'button', { name: 'Generate new secret' } ).click();
			await card( page ).getByRole( 'button', { name: 'Yes, generate' } ).click();
			// The site signs with the new key now; the running sidecar still has the old one.
			await expect( fingerprints ).toHaveText( new RegExp( `^site (?!${ before })[0-9a-f]{16} · sidecar ${ before } · Do not match$` ) );
			await expect( card( page ).locator( '[data-igny8="sidecar-problem"]' ) ).toContainText( 'another secret' );
			const env = card( page ).locator( '[data-igny8="sidecar-env"]' );
			await expect( env ).toContainText( 'IGNY8_SIDECAR_SECRET_PREVIOUS=••••' );
			await expect( card( page ).getByText( /The previous secret keeps working until/ ) ).toBeVisible();
			await card( page ).getByRole( 'button', { name: 'Reveal secret' } ).click();
			await expect( env ).toContainText( `IGNY8_SIDECAR_SECRET_PREVIOUS=${ secret }` );
			const rotated = wpEval( `echo get_option( 'igny8_sidecar_secret' );` ).trim();
			expect( rotated ).not.toBe( secret );
			await expect( env ).toContainText( `IGNY8_SIDECAR_SECRET=${ rotated }` );
			await card( page ).screenshot( { path: testInfo.outputPath( 'sidecar-card-rotated.png' ) } );

			const until = Number( wpEval( `echo get_option( 'igny8_sidecar_secret_previous' )['until'];` ).trim() );
			expect( until - Math.floor( Date.now() / 1000 ) ).toBeGreaterThan( 590 );
			expect( until - Math.floor( Date.now() / 1000 ) ).toBeLessThanOrEqual( 600 );

			// A sidecar that still signs with the previous key is accepted during the grace period.
			const body = JSON.stringify( { ops: [ { op: 'list_pending', limit: 1 } ] } );
			const claims = internalClaims( body );
			const old = await wp( '/wp-json/igny8/v1/internal/ops', { method: 'POST', apiKey: false, body, headers: { Authorization: `Bearer ${ signTransportJwt( 'sidecar->shim', claims, { secret: Buffer.from( secret, 'base64url' ) } ) }` } } );
			expect( old.status ).toBe( 200 );
		} finally {
			fs.renameSync( aside, file );
			wpEval( `update_option( 'igny8_sidecar_secret', ${ JSON.stringify( secret ) }, 'no' ); delete_option( 'igny8_sidecar_secret_previous' );` );
		}
	} );
} );
