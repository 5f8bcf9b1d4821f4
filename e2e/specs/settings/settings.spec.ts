/**
 * Settings → IGNY8 in a real wp-admin: every setting is there, secrets are write-only, fields are checked in the
 * browser and by the server, and Test connection reports what the IGNY8 simulator answered.
 */
import type { Page, Response } from '@playwright/test';
import type { Admin } from '@wordpress/e2e-test-utils-playwright';

import { expect, test } from '../../support/editor-test';
import { SIMULATOR_LOGIN } from '../../support/igny8-ui';
import { stack } from '../../support/stack';

async function openSettings( admin: Admin, page: Page ) {
	await admin.visitAdminPage( 'options-general.php', 'page=igny8-bridge' );
	await expect( page.getByRole( 'heading', { level: 1, name: 'IGNY8 Bridge' } ) ).toBeVisible();
	await expect( page.getByLabel( 'IGNY8 API base URL' ) ).toBeVisible();
}

/** Every response body the page receives from WordPress, to prove a secret never comes back. */
function recordResponses( page: Page ): () => Promise< string[] > {
	const bodies: Array< Promise< string > > = [];
	page.on( 'response', ( response: Response ) => {
		bodies.push( response.text().then( ( text ) => `${ response.url() }\n${ text }`, () => '' ) );
	} );
	return () => Promise.all( bodies );
}

const saveButton = ( page: Page ) => page.getByRole( 'button', { name: 'Save settings' } );
const notices = ( page: Page ) => page.locator( '.igny8-settings__notices' );

test.describe( 'Settings → IGNY8', () => {
	// Tall enough for the whole form: screenshots show every card, with the sticky save bar where it rests.
	test.use( { viewport: { width: 1440, height: 2200 } } );

	test( 'shows every setting, secrets only as present or absent, and checks fields before sending', async ( {
		admin,
		page,
	}, testInfo ) => {
		await openSettings( admin, page );

		await expect( page.getByLabel( 'IGNY8 email' ) ).toBeVisible();
		await expect( page.getByLabel( 'IGNY8 password' ) ).toHaveValue( '' );
		await expect( page.getByLabel( 'API key', { exact: true } ) ).toHaveValue( '' );
		// The stack provisioned a key: the screen says so without showing it.
		await expect( page.getByText( 'API key: present' ) ).toBeVisible();
		await expect( page.getByRole( 'checkbox', { name: 'Connection enabled' } ) ).toBeChecked();
		await expect( page.getByRole( 'combobox', { name: 'Sync target' } ) ).toHaveValue( /tasks|webhook/ );
		await expect( page.getByRole( 'combobox', { name: 'Sync mode' } ) ).toHaveValue( /auto|manual/ );
		const postTypes = page.getByRole( 'group', { name: 'Allowed post types' } );
		await expect( postTypes.getByRole( 'checkbox', { name: 'Posts' } ) ).toBeChecked();
		await expect( postTypes.getByRole( 'checkbox', { name: 'Pages' } ) ).toBeVisible();
		await expect( postTypes.getByRole( 'checkbox', { name: 'Products (WooCommerce)' } ) ).toBeVisible();
		await expect( page.getByRole( 'combobox', { name: 'Default post status' } ) ).toHaveValue( 'draft' );
		await expect( page.getByRole( 'combobox', { name: 'Content format' } ) ).toHaveValue( 'blocks' );
		await expect( page.getByRole( 'combobox', { name: 'Default author' } ).getByRole( 'option', { name: 'admin', exact: true } ) ).toHaveCount( 1 );
		await expect( page.getByText( 'Key fingerprint (WordPress)' ) ).toBeVisible();
		await expect( page.getByText( 'Key fingerprint (sidecar)' ) ).toBeVisible();
		await page.screenshot( { path: testInfo.outputPath( 'settings-screen.png' ), fullPage: true } );

		// Bad values are caught in the browser: nothing is sent.
		const posts: string[] = [];
		page.on( 'request', ( request ) => {
			if ( request.method() === 'POST' && request.url().includes( 'igny8/v1/settings' ) ) {
				posts.push( request.url() );
			}
		} );
		await page.getByLabel( 'IGNY8 API base URL' ).fill( 'http://igny8.example.com' );
		await page.getByLabel( 'API key', { exact: true } ).fill( 'too-short' );
		await postTypes.getByRole( 'checkbox', { name: 'Posts' } ).uncheck();
		await postTypes.getByRole( 'checkbox', { name: 'Pages' } ).uncheck();
		await saveButton( page ).click();
		await expect( page.getByText( 'The URL must start with https:// (http:// only for localhost or 127.0.0.1).' ) ).toBeVisible();
		await expect( page.getByText( 'The API key must be at least 32 characters, without spaces.' ) ).toBeVisible();
		await expect( page.getByText( 'Allow at least one post type.' ) ).toBeVisible();
		await expect( page.getByLabel( 'IGNY8 API base URL' ) ).toHaveAttribute( 'aria-invalid', 'true' );
		await expect( notices( page ) ).toContainText( 'check the highlighted fields' );
		await page.screenshot( { path: testInfo.outputPath( 'settings-validation.png' ), fullPage: true } );
		expect( posts ).toEqual( [] );

		// Fixing a field clears its message.
		await page.getByLabel( 'IGNY8 API base URL' ).fill( 'http://localhost:8000' );
		await expect( page.getByText( 'The URL must start with https://' ) ).toHaveCount( 0 );
	} );

	test( 'saving credentials, then Test connection, succeeds; wrong credentials show the error; the API key never comes back', async ( {
		admin,
		page,
	}, testInfo ) => {
		const bodies = recordResponses( page );
		await openSettings( admin, page );

		await page.getByLabel( 'IGNY8 API base URL' ).fill( stack.simulatorUrl );
		await page.getByLabel( 'IGNY8 email' ).fill( SIMULATOR_LOGIN.email );
		await page.getByLabel( 'IGNY8 password' ).fill( SIMULATOR_LOGIN.password );
		// The key the stack provisioned (so IGNY8's calls keep working), entered again.
		await page.getByLabel( 'API key', { exact: true } ).fill( stack.apiKey );
		await page.getByRole( 'combobox', { name: 'Sync target' } ).selectOption( 'tasks' );
		await saveButton( page ).click();
		await expect( notices( page ) ).toContainText( 'Settings saved.' );
		// Write-only: the fields are emptied, the screen only says the secrets are there.
		await expect( page.getByLabel( 'IGNY8 password' ) ).toHaveValue( '' );
		await expect( page.getByLabel( 'API key', { exact: true } ) ).toHaveValue( '' );
		await expect( page.getByText( 'API key: present' ) ).toBeVisible();
		await expect( page.getByText( 'Password: present' ) ).toBeVisible();

		await page.getByRole( 'button', { name: 'Test connection' } ).click();
		const result = page.locator( '.igny8-test-connection__result' );
		await expect( result ).toContainText( 'Connection works.', { timeout: 20_000 } );
		await page.screenshot( { path: testInfo.outputPath( 'settings-connected.png' ), fullPage: true } );

		// Wrong password: saved, then the test says why it fails.
		await page.getByLabel( 'IGNY8 password' ).fill( 'not-the-password' );
		await saveButton( page ).click();
		await expect( notices( page ) ).toContainText( 'Settings saved.' );
		await page.getByRole( 'button', { name: 'Test connection' } ).click();
		await expect( result ).toContainText( 'Connection failed.', { timeout: 20_000 } );
		await expect( result ).not.toHaveText( /^\s*Connection failed\.\s*$/ );
		await page.screenshot( { path: testInfo.outputPath( 'settings-wrong-password.png' ), fullPage: true } );

		// Put the right password back for the rest of the suite.
		await page.getByLabel( 'IGNY8 password' ).fill( SIMULATOR_LOGIN.password );
		await saveButton( page ).click();
		await expect( notices( page ) ).toContainText( 'Settings saved.' );
		await page.getByRole( 'button', { name: 'Test connection' } ).click();
		await expect( result ).toContainText( 'Connection works.', { timeout: 20_000 } );

		const source = await page.content();
		expect( source ).not.toContain( stack.apiKey );
		expect( source ).not.toContain( SIMULATOR_LOGIN.password );
		for ( const body of await bodies() ) {
			expect( body, 'a response body' ).not.toContain( stack.apiKey );
			expect( body, 'a response body' ).not.toContain( SIMULATOR_LOGIN.password );
		}
	} );

	test.describe( 'server-side validation', () => {
		// The browser itself logs the 422 this test provokes; nothing else may appear.
		test.use( {
			expectedConsole: [ /^Failed to load resource: the server responded with a status of 422 .*\/wp-json\/igny8\/v1\/settings\?/ ],
		} );

		test( 'a validation error from the server is shown next to its field', async ( { admin, page } ) => {
			await openSettings( admin, page );
			// Long enough for the browser check, but not printable ASCII: only the server refuses it.
			await page.getByLabel( 'API key', { exact: true } ).fill( 'é'.repeat( 40 ) );
			await saveButton( page ).click();
			const field = page.locator( '.igny8-field.has-error' ).filter( { has: page.getByLabel( 'API key', { exact: true } ) } );
			await expect( field ).toBeVisible();
			await expect( field.locator( '.components-base-control__help' ) ).toContainText( /printable|API key/i );
			await expect( notices( page ) ).toContainText( 'The settings were not saved' );
		} );
	} );
} );
