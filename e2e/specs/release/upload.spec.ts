/**
 * The release zip installs the way a site owner installs it: on a fresh WordPress (no plugin, its own instance, the
 * same web server shape as the run: WP_SERVER), Chromium logs in through wp-login.php, uploads dist/'s zip through
 * Plugins → Add New → Upload Plugin, and activates it. No PHP warning, notice or deprecation may reach the logs.
 * Needs `npm run release` (scripts/test.ts runs it first).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

import { releaseVersion, ROOT } from '../../../scripts/versions';

const zip = path.join( ROOT, 'dist', `igny8-bridge-${ releaseVersion() }.zip` );
// Inside this instance's port range (WP_PORT … +300), clear of the next instance's (+10) and of PHP-FPM (port + 5).
const port = Number( process.env.WP_PORT ?? 8900 ) + 8;
const site = `http://127.0.0.1:${ port }`;
const runtimeEnv = {
	...process.env,
	WP_VERSION: process.env.IGNY8_WP_VERSION ?? process.env.WP_VERSION ?? '6.1',
	WP_DB: 'sqlite',
	WP_SERVER: process.env.WP_SERVER ?? 'php',
	WP_PORT: String( port ),
	WP_STATE_DIR: `${ process.env.IGNY8_STATE_DIR ?? path.join( ROOT, '.igny8/test-upload' ) }-upload-site`,
	PLUGIN_DIR: 'none',
	PLUGIN_ZIP: '',
	EXTRA_PLUGIN_DIRS: '',
	IGNY8_TRUSTED_PROXIES: '',
	IGNY8_IMAGE_HOST_ALLOWLIST: '',
};
const runtime = ( ...args: string[] ) =>
	execFileSync( 'bash', [ path.join( ROOT, 'scripts/wp-runtime.sh' ), ...args ], { env: runtimeEnv, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 } );

/** PHP warnings, notices and deprecations in the fresh site's logs (WordPress's debug.log and PHP-FPM's log). */
function phpProblems(): string[] {
	const stateDir = runtimeEnv.WP_STATE_DIR;
	return [ 'site/wp-content/debug.log', 'php-fpm.log', 'php-server.log' ]
		.map( ( file ) => path.join( stateDir, file ) )
		.filter( ( file ) => fs.existsSync( file ) )
		.flatMap( ( file ) => fs.readFileSync( file, 'utf8' ).split( '\n' ) )
		.filter( ( line ) => /PHP (Warning|Notice|Deprecated|Fatal|Parse error)|PHP Stack trace/i.test( line ) );
}

// One instance of the matrix proves it: the release one (IGNY8_FROM_RELEASE=1, nginx + PHP-FPM in scripts/test.ts).
test.skip( process.env.IGNY8_FROM_RELEASE !== '1', 'runs on the release instance (IGNY8_FROM_RELEASE=1)' );

test.describe( 'the release zip through Plugins → Add New → Upload Plugin', () => {
	test.use( { storageState: { cookies: [], origins: [] }, baseURL: site } );

	test.beforeAll( () => {
		test.setTimeout( 180_000 );
		expect( fs.existsSync( zip ), `${ zip } (run npm run release)` ).toBe( true );
		runtime( 'up' );
	} );
	test.afterAll( () => {
		runtime( 'reset' );
	} );

	test( 'a fresh site installs and activates it, with no PHP warning or notice', async ( { page } ) => {
		test.setTimeout( 120_000 );
		const before = phpProblems();
		await page.goto( '/wp-login.php' );
		await page.locator( '#user_login' ).fill( 'admin' );
		await page.locator( '#user_pass' ).fill( 'password' );
		await page.locator( '#wp-submit' ).click();
		await expect( page.locator( '#wpadminbar' ) ).toBeVisible();

		await page.goto( '/wp-admin/plugin-install.php' );
		await page.locator( '.upload-view-toggle' ).click();
		await page.locator( '#pluginzip' ).setInputFiles( zip );
		await page.locator( '#install-plugin-submit' ).click();
		await expect( page.getByText( 'Plugin installed successfully.' ) ).toBeVisible( { timeout: 60_000 } );

		// A real folder now, unpacked by WordPress itself.
		const installed = path.join( runtimeEnv.WP_STATE_DIR, 'site/wp-content/plugins/igny8-bridge' );
		expect( fs.lstatSync( installed ).isDirectory() ).toBe( true );
		expect( fs.existsSync( path.join( installed, 'igny8-bridge.php' ) ) ).toBe( true );

		await page.getByRole( 'link', { name: 'Activate Plugin' } ).click();
		await expect( page.locator( '#message, .notice-success' ).filter( { hasText: 'Plugin activated.' } ) ).toBeVisible();
		const row = page.locator( 'tr[data-plugin="igny8-bridge/igny8-bridge.php"]' );
		await expect( row ).toHaveClass( /\bactive\b/ );
		await expect( row ).toContainText( releaseVersion() );

		// The plugin's own screen renders for the admin after activation.
		await page.goto( '/wp-admin/options-general.php?page=igny8-bridge' );
		await expect( page.locator( '#igny8-bridge-settings' ) ).toBeAttached();

		expect( phpProblems().slice( before.length ), 'PHP warnings or notices in the logs' ).toEqual( [] );
	} );
} );
