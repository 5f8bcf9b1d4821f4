/**
 * `.wp-env.json` (README "With @wordpress/env"): loaded and validated by @wordpress/env's own config loader from the
 * npm package (installed once into .igny8/dist/npm/, not a copy of its schema), and the plain-http rule the shim
 * applies to it: http to a non-loopback sidecar only on a `local` site and only to the host that wp-config names in
 * IGNY8_SIDECAR_HTTP_HOST. (No Docker on these machines: the containers themselves are not started.)
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';

import { wpEval } from '../support/stack';

const ROOT = path.resolve( import.meta.dirname, '../..' );
const WP_ENV_VERSION = '11.16.0';
const prefix = path.join( process.env.IGNY8_HOME ?? path.join( ROOT, '.igny8' ), 'dist/npm', `wp-env-${ WP_ENV_VERSION }` );

interface WpEnvConfig {
	env: Record< string, { config: Record< string, unknown >; pluginSources: Array< { type: string; path: string } >; coreSource: { ref?: string } | null } >;
}
type LoadConfig = ( dir: string ) => Promise< WpEnvConfig >;

/**
 * @wordpress/env's lib/config, from the npm package (installed on first use). Instances of the test matrix run side by
 * side and share the prefix, so the install goes to a folder of its own that is renamed into place once complete: a
 * second instance never reads, or reinstalls over, a half-written tree (it did, and found no lib/config).
 */
function wpEnvLoader(): { loadConfig: LoadConfig; ValidationError: new () => Error; md5: ( s: string ) => string } {
	const pkg = path.join( prefix, 'node_modules/@wordpress/env/package.json' );
	if ( ! fs.existsSync( pkg ) ) {
		fs.mkdirSync( path.dirname( prefix ), { recursive: true } );
		const staging = fs.mkdtempSync( `${ prefix }.installing-` );
		try {
			fs.writeFileSync( path.join( staging, 'package.json' ), '{"private":true}\n' );
			execFileSync( 'npm', [ 'install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `@wordpress/env@${ WP_ENV_VERSION }` ], { cwd: staging, stdio: 'inherit' } );
			if ( ! fs.existsSync( pkg ) ) {
				fs.rmSync( prefix, { recursive: true, force: true } ); // a partial tree from before this rule
			}
			try {
				fs.renameSync( staging, prefix );
			} catch ( error ) {
				// Another instance renamed its complete install into place first: use that one.
				if ( ! fs.existsSync( pkg ) ) {
					throw error;
				}
			}
		} finally {
			fs.rmSync( staging, { recursive: true, force: true } );
		}
	}
	const require = createRequire( pkg );
	return { ...( require( './lib/config' ) as { loadConfig: LoadConfig; ValidationError: new () => Error } ), md5: require( './lib/md5' ) as ( s: string ) => string };
}

/**
 * Runs the loader on a directory holding `config` as .wp-env.json. Offline, wp-env reads the latest WordPress version
 * (its default core) from its cache instead of wordpress.org: the cache is seeded the way wp-env itself writes it.
 */
async function load( config: string ): Promise< WpEnvConfig > {
	const { loadConfig, md5 } = wpEnvLoader();
	const dir = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-wp-env-' ) );
	const home = path.join( dir, 'wp-env-home' );
	try {
		fs.writeFileSync( path.join( dir, '.wp-env.json' ), config );
		fs.cpSync( path.join( ROOT, 'plugin-php-shim/igny8-bridge.php' ), path.join( dir, 'plugin-php-shim/igny8-bridge.php' ) );
		const cache = path.join( home, md5( path.join( dir, '.wp-env.json' ) ) );
		fs.mkdirSync( cache, { recursive: true } );
		fs.writeFileSync( path.join( cache, 'wp-env-cache.json' ), JSON.stringify( { latestWordPressVersion: '6.5.5' } ) );
		process.env.WP_ENV_HOME = home;
		return await loadConfig( dir );
	} finally {
		delete process.env.WP_ENV_HOME;
		fs.rmSync( dir, { recursive: true, force: true } );
	}
}

test( '.wp-env.json passes @wordpress/env\'s own config loader: the plugin mapped, a local site, plain http to the named Docker host', async () => {
	test.setTimeout( 180_000 );
	const config = await load( fs.readFileSync( path.join( ROOT, '.wp-env.json' ), 'utf8' ) );
	for ( const name of [ 'development', 'tests' ] ) {
		const env = config.env[ name ];
		expect( env, name ).toBeDefined();
		expect( env?.coreSource?.ref, name ).toBe( '6.5.5' );
		expect( env?.pluginSources.map( ( p ) => [ p.type, path.basename( p.path ) ] ), name ).toEqual( [ [ 'local', 'plugin-php-shim' ] ] );
		expect( env?.config, name ).toMatchObject( {
			WP_ENVIRONMENT_TYPE: 'local',
			IGNY8_SIDECAR_URL: 'http://host.docker.internal:8787',
			IGNY8_SIDECAR_HTTP_HOST: 'host.docker.internal',
		} );
	}
} );

test( 'the loader really validates: a broken .wp-env.json is refused', async () => {
	test.setTimeout( 180_000 );
	const { ValidationError } = wpEnvLoader();
	await expect( load( JSON.stringify( { core: 'WordPress/WordPress#6.5.5', plugins: 'not-a-list' } ) ) ).rejects.toBeInstanceOf( ValidationError );
	await expect( load( '{ "core": ' ) ).rejects.toBeInstanceOf( ValidationError );
} );

/** Whether the shim accepts this sidecar URL (Transport::for_url), or its refusal message. */
function transport( url: string, environmentType: string, httpHost: string ): string {
	return wpEval(
		`try { Igny8\\Bridge\\Sidecar\\Transport::for_url( ${ JSON.stringify( url ) }, ${ JSON.stringify( environmentType ) }, ${ JSON.stringify( httpHost ) } ); echo 'ok'; } catch ( Igny8\\Bridge\\Bridge_Error $e ) { echo $e->getMessage(); }`
	).trim();
}

test( 'plain http to a non-loopback sidecar: only on a local site, only to the host wp-config names', () => {
	const docker = 'http://host.docker.internal:8787';
	expect( transport( docker, 'local', 'host.docker.internal' ) ).toBe( 'ok' );
	expect( transport( docker, 'local', 'HOST.docker.internal' ) ).toBe( 'ok' );
	// Not named, named another host, or not a local site: refused.
	for ( const [ env, named ] of [ [ 'local', '' ], [ 'local', 'docker.internal' ], [ 'local', 'evil.example' ], [ 'development', 'host.docker.internal' ], [ 'staging', 'host.docker.internal' ], [ 'production', 'host.docker.internal' ] ] as const ) {
		expect( transport( docker, env, named ), `${ env } / ${ named }` ).toMatch( /must use https/ );
	}
	// The named host opens http to that host only.
	expect( transport( 'http://10.0.0.5:8787', 'local', 'host.docker.internal' ) ).toMatch( /must use https/ );
	expect( transport( 'http://host.docker.internal.evil.example:8787', 'local', 'host.docker.internal' ) ).toMatch( /must use https/ );
	// https anywhere and http on loopback stay as they were.
	expect( transport( 'https://sidecar.example:8787', 'production', '' ) ).toBe( 'ok' );
	expect( transport( 'http://127.0.0.1:8787', 'production', '' ) ).toBe( 'ok' );
} );
