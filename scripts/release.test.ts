/**
 * The release artifacts in dist/ (built by `npm run release` right before this suite in `npm test`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DIST, PLUGIN_FILE_RULES } from './release.js';
import { installSidecarTarball, type InstalledSidecar } from './sidecar-install.js';
import { releaseVersion } from './versions.js';

const version = releaseVersion();
const zip = path.join( DIST, `igny8-bridge-${ version }.zip` );
const tgz = path.join( DIST, `igny8-bridge-sidecar-${ version }.tgz` );

function zipEntries(): string[] {
	const r = spawnSync( 'unzip', [ '-Z1', zip ], { encoding: 'utf8' } );
	expect( r.status, r.stderr ).toBe( 0 );
	return r.stdout.split( '\n' ).filter( ( line ) => line !== '' );
}

function zipText( entry: string ): string {
	const r = spawnSync( 'unzip', [ '-p', zip, entry ], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 } );
	expect( r.status, r.stderr ).toBe( 0 );
	return r.stdout;
}

describe( 'plugin zip', () => {
	it( 'holds only the files that belong in it, all in igny8-bridge/', () => {
		const files = zipEntries().filter( ( entry ) => ! entry.endsWith( '/' ) );
		const outside = files.filter( ( file ) => ! file.startsWith( 'igny8-bridge/' ) );
		expect( outside ).toEqual( [] );
		const stray = files.map( ( file ) => file.slice( 'igny8-bridge/'.length ) ).filter( ( file ) => ! PLUGIN_FILE_RULES.some( ( rule ) => rule.test( file ) ) );
		expect( stray, 'files that do not belong in the plugin zip' ).toEqual( [] );
		for ( const bad of [ /\/tests?\//, /fixtures/, /node_modules/, /\.map$/, /\.tsx?$/, /phpcs/, /README\.md$/ ] ) {
			expect( files.filter( ( file ) => bad.test( file ) ) ).toEqual( [] );
		}
		for ( const required of [
			'igny8-bridge.php',
			'uninstall.php',
			'readme.txt',
			'contract/igny8-contract.json',
			'includes/Plugin.php',
			'build/sidebar.js',
			'build/sidebar.asset.php',
			'build/settings.js',
			'build/settings.asset.php',
			'build/activity.js',
			'languages/igny8-bridge.pot',
		] ) {
			expect( files ).toContain( `igny8-bridge/${ required }` );
		}
	} );

	it( 'carries a .pot with the PHP strings and the editor strings', () => {
		const pot = zipText( 'igny8-bridge/languages/igny8-bridge.pot' );
		const references = ( msgid: string ) => {
			const entry = pot.split( '\n\n' ).find( ( block ) => block.includes( `\nmsgid "${ msgid }"` ) );
			return ( entry ?? '' ).split( '\n' ).filter( ( line ) => line.startsWith( '#: ' ) ).join( ' ' );
		};
		// A posts-list string from PHP, the sidebar's button and the settings screen's, with their sources.
		expect( references( 'Not managed by IGNY8' ) ).toMatch( /includes\/Admin\/Posts_List_Column\.php/ );
		expect( references( 'Sync now' ) ).toMatch( /build\/sidebar\.js/ );
		expect( references( 'Test connection' ) ).toMatch( /build\/settings\.js/ );
		expect( pot ).toContain( '"X-Domain: igny8-bridge\\n"' );
	} );

	it( 'carries a wordpress.org readme.txt whose Stable tag is the release version', () => {
		const readme = zipText( 'igny8-bridge/readme.txt' );
		for ( const header of [ 'Contributors', 'Tags', 'Requires at least', 'Tested up to', 'Requires PHP', 'Stable tag', 'License' ] ) {
			expect( readme ).toMatch( new RegExp( `^${ header }: \\S`, 'm' ) );
		}
		for ( const section of [ 'Description', 'Installation', 'Frequently Asked Questions', 'Changelog' ] ) {
			expect( readme ).toContain( `== ${ section } ==` );
		}
		expect( readme ).toContain( '= Where does the sidecar run? =' );
		expect( readme ).toMatch( new RegExp( `^Stable tag: ${ version.replace( /\./g, '\\.' ) }$`, 'm' ) );
		expect( zipText( 'igny8-bridge/igny8-bridge.php' ) ).toMatch( new RegExp( `\\* Version:\\s+${ version.replace( /\./g, '\\.' ) }\\n` ) );
	} );
} );

describe( 'SHA256SUMS', () => {
	it( 'lists both artifacts with their sha256', () => {
		const lines = fs.readFileSync( path.join( DIST, 'SHA256SUMS' ), 'utf8' ).trim().split( '\n' );
		expect( lines ).toHaveLength( 2 );
		for ( const file of [ zip, tgz ] ) {
			const sum = createHash( 'sha256' ).update( fs.readFileSync( file ) ).digest( 'hex' );
			expect( lines ).toContain( `${ sum }  ${ path.basename( file ) }` );
		}
	} );
} );

describe( 'sidecar tarball', () => {
	let installed: InstalledSidecar;

	beforeAll( async () => {
		installed = await installSidecarTarball( tgz );
	}, 600_000 );

	afterAll( () => {
		if ( installed ) {
			fs.rmSync( installed.prefix, { recursive: true, force: true } );
		}
	} );

	it( 'holds compiled JavaScript, the systemd unit and the env template, and no TypeScript or tests', () => {
		const r = spawnSync( 'tar', [ '-tzf', tgz ], { encoding: 'utf8' } );
		expect( r.status ).toBe( 0 );
		const files = r.stdout.split( '\n' ).filter( Boolean ).sort();
		expect( files ).toEqual( [
			'package/README.md',
			'package/dist/igny8-sidecar.js',
			'package/package.json',
			'package/systemd/igny8-sidecar.env',
			'package/systemd/igny8-sidecar.service',
		] );
		const manifest = JSON.parse( fs.readFileSync( path.join( installed.prefix, 'lib/node_modules/igny8-bridge-sidecar/package.json' ), 'utf8' ) );
		expect( manifest.version ).toBe( version );
		expect( manifest.devDependencies ).toBeUndefined();
		expect( Object.keys( manifest.dependencies ).sort() ).toEqual( [ 'better-sqlite3', 'express', 'jose', 'parse5', 'pg', 'pg-boss', 'pino', 'prom-client', 'zod' ] );
		const unit = fs.readFileSync( path.join( installed.prefix, 'lib/node_modules/igny8-bridge-sidecar/systemd/igny8-sidecar.service' ), 'utf8' );
		// One plain NAME=value per line: read the same by systemd and by the suite's releaseSidecarEnv().
		const environment = unit.split( '\n' ).filter( ( line ) => line.startsWith( 'Environment=' ) );
		expect( environment.length ).toBeGreaterThan( 0 );
		for ( const line of environment ) {
			expect( line ).toMatch( /^Environment=[A-Z_][A-Z0-9_]*=[^\s"']*$/ );
		}
		for ( const directive of [ /^DynamicUser=yes$/m, /^StateDirectory=igny8-sidecar$/m, /^NoNewPrivileges=yes$/m, /^ProtectSystem=strict$/m, /^Restart=on-failure$/m, /^KillSignal=SIGTERM$/m, /^ExecStart=\S*igny8-sidecar start$/m ] ) {
			expect( unit ).toMatch( directive );
		}
	} );

	it( 'installs with npm install -g into a prefix and igny8-sidecar --version prints the release version', () => {
		const r = spawnSync( installed.bin, [ '--version' ], { encoding: 'utf8', env: { PATH: process.env.PATH } } );
		expect( r.stderr ).toBe( '' );
		expect( r.status ).toBe( 0 );
		expect( r.stdout ).toBe( `${ version }\n` );
		const help = spawnSync( installed.bin, [ '--help' ], { encoding: 'utf8' } );
		expect( help.status ).toBe( 0 );
		expect( help.stdout ).toMatch( /igny8-sidecar start/ );
		expect( help.stdout ).toMatch( /igny8-sidecar check/ );
	} );

	it( 'runs on the installed production dependencies alone: bad or missing values stop start-up naming the variable', () => {
		const start = ( env: Record< string, string > ) =>
			spawnSync( 'node', [ installed.entry, 'start' ], {
				encoding: 'utf8',
				cwd: installed.prefix,
				env: { PATH: process.env.PATH, SIDECAR_DATA_DIR: path.join( installed.prefix, 'data' ), ...env },
				timeout: 30_000,
			} );
		const noSecret = start( {} );
		expect( noSecret.status ).toBe( 78 );
		expect( noSecret.stderr ).toMatch( /IGNY8_SIDECAR_SECRET or IGNY8_SIDECAR_SECRET_FILE is required/ );
		const badPort = start( { SIDECAR_PORT: 'eighty', IGNY8_SIDECAR_SECRET: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8' } );
		expect( badPort.status ).toBe( 78 );
		expect( badPort.stderr ).toMatch( /SIDECAR_PORT: must be a port number/ );
	} );
} );
