/**
 * `npm run release`: builds, from a clean checkout, into dist/:
 *   igny8-bridge-<v>.zip          the plugin (folder igny8-bridge/) for Plugins → Add New → Upload Plugin
 *   igny8-bridge-sidecar-<v>.tgz  the sidecar as an npm package: compiled JS, production dependencies only,
 *                                 bin igny8-sidecar, the systemd unit and the env-file template
 *   SHA256SUMS                    sha256sum -c format
 * The editor assets are built here (wp-scripts), the .pot by the vendored WP-CLI (vendor/wp-cli, checksum
 * verified before it is unpacked).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';

import { releaseVersion, ROOT } from './versions.js';

export const DIST = path.join( ROOT, 'dist' );
const PLUGIN_SRC = path.join( ROOT, 'plugin-php-shim' );

/** What the plugin zip may hold, relative to igny8-bridge/ (scripts/release.test.ts checks the zip against it). */
export const PLUGIN_FILE_RULES: readonly RegExp[] = [
	/^igny8-bridge\.php$/,
	/^uninstall\.php$/,
	/^readme\.txt$/,
	/^includes\/[A-Za-z_]+(\/[A-Za-z_]+)*\.php$/,
	/^contract\/igny8-contract\.json$/,
	/^build\/[a-z-]+\.js$/,
	/^build\/[a-z-]+\.asset\.php$/,
	/^build\/[a-z-]+(-rtl)?\.css$/,
	/^languages\/igny8-bridge\.pot$/,
];

function log( message: string ): void {
	process.stdout.write( `release: ${ message }\n` );
}

function run( cmd: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {} ): string {
	const r = spawnSync( cmd, args, {
		cwd: options.cwd ?? ROOT,
		env: { ...process.env, ...options.env },
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	} );
	if ( r.status !== 0 ) {
		throw new Error( `${ cmd } ${ args.join( ' ' ) } failed (exit ${ r.status ?? r.signal }):\n${ r.stdout }${ r.stderr }` );
	}
	return r.stdout;
}

function ensureCommand( command: string, debianPackage: string ): void {
	if ( spawnSync( 'sh', [ '-c', `command -v ${ command }` ] ).status === 0 ) {
		return;
	}
	log( `installing ${ debianPackage } (apt)` );
	const sudo = process.getuid?.() === 0 ? [] : [ 'sudo' ];
	const install = [ ...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', debianPackage ];
	if ( spawnSync( install[ 0 ] as string, install.slice( 1 ), { stdio: 'ignore' } ).status !== 0 ) {
		run( sudo[ 0 ] ?? 'apt-get', sudo.length ? [ 'apt-get', 'update', '-q' ] : [ 'update', '-q' ] );
		run( install[ 0 ] as string, install.slice( 1 ) );
	}
}

function sha256( file: string ): string {
	return createHash( 'sha256' ).update( fs.readFileSync( file ) ).digest( 'hex' );
}

/** The vendored WP-CLI phar (scripts/wp/wp-cli.sh verifies the .deb against SHA256SUMS and unpacks it once). */
function wpCli(): string {
	return execFileSync( 'bash', [ path.join( ROOT, 'scripts/wp/wp-cli.sh' ), 'path' ], { encoding: 'utf8' } ).trim();
}

function copyInto( from: string, to: string ): void {
	fs.mkdirSync( path.dirname( to ), { recursive: true } );
	fs.copyFileSync( from, to );
}

function listFiles( dir: string, base = dir ): string[] {
	return fs.readdirSync( dir, { withFileTypes: true } ).flatMap( ( entry ) => {
		const full = path.join( dir, entry.name );
		return entry.isDirectory() ? listFiles( full, base ) : [ path.relative( base, full ) ];
	} );
}

function buildPluginZip( version: string, stage: string ): string {
	log( 'building the editor assets (wp-scripts build)' );
	fs.rmSync( path.join( PLUGIN_SRC, 'build' ), { recursive: true, force: true } );
	run( 'npm', [ 'run', 'build', '-w', 'editor-ui', '--silent' ] );

	const pluginDir = path.join( stage, 'igny8-bridge' );
	for ( const file of [ 'igny8-bridge.php', 'uninstall.php', 'readme.txt', 'contract/igny8-contract.json' ] ) {
		copyInto( path.join( PLUGIN_SRC, file ), path.join( pluginDir, file ) );
	}
	for ( const file of listFiles( path.join( PLUGIN_SRC, 'includes' ) ) ) {
		copyInto( path.join( PLUGIN_SRC, 'includes', file ), path.join( pluginDir, 'includes', file ) );
	}
	const assets = listFiles( path.join( PLUGIN_SRC, 'build' ) ).filter( ( file ) => /\.(js|css|asset\.php)$/.test( file ) );
	if ( ! assets.some( ( file ) => file.endsWith( '.js' ) ) ) {
		throw new Error( 'the editor build produced no JavaScript' );
	}
	for ( const file of assets ) {
		copyInto( path.join( PLUGIN_SRC, 'build', file ), path.join( pluginDir, 'build', file ) );
	}

	log( 'extracting strings (wp i18n make-pot)' );
	fs.mkdirSync( path.join( pluginDir, 'languages' ) );
	run( 'php', [
		wpCli(),
		'i18n',
		'make-pot',
		pluginDir,
		path.join( pluginDir, 'languages/igny8-bridge.pot' ),
		'--domain=igny8-bridge',
		'--slug=igny8-bridge',
		'--package-name=IGNY8 Bridge',
		'--headers={"Report-Msgid-Bugs-To":""}',
		'--skip-audit',
		'--allow-root',
	] );

	const stray = listFiles( pluginDir ).filter( ( file ) => ! PLUGIN_FILE_RULES.some( ( rule ) => rule.test( file ) ) );
	if ( stray.length > 0 ) {
		throw new Error( `files that do not belong in the plugin zip: ${ stray.join( ', ' ) }` );
	}
	const zip = path.join( DIST, `igny8-bridge-${ version }.zip` );
	ensureCommand( 'zip', 'zip' );
	run( 'zip', [ '-r', '-X', '-q', zip, 'igny8-bridge' ], { cwd: stage } );
	return zip;
}

/** Exact versions of the sidecar's production dependencies as installed from package-lock.json. */
function pinnedDependencies(): Record< string, string > {
	const sidecarPackage = JSON.parse( fs.readFileSync( path.join( ROOT, 'sidecar/package.json' ), 'utf8' ) ) as {
		dependencies: Record< string, string >;
	};
	const requireFromSidecar = createRequire( path.join( ROOT, 'sidecar/package.json' ) );
	const pinned: Record< string, string > = {};
	for ( const name of Object.keys( sidecarPackage.dependencies ) ) {
		let dir = path.dirname( requireFromSidecar.resolve( name ) );
		while ( ! fs.existsSync( path.join( dir, 'package.json' ) ) || JSON.parse( fs.readFileSync( path.join( dir, 'package.json' ), 'utf8' ) ).name !== name ) {
			dir = path.dirname( dir );
		}
		pinned[ name ] = ( JSON.parse( fs.readFileSync( path.join( dir, 'package.json' ), 'utf8' ) ) as { version: string } ).version;
	}
	return pinned;
}

async function buildSidecarTarball( version: string, stage: string ): Promise< string > {
	const pkgDir = path.join( stage, 'igny8-bridge-sidecar' );
	log( 'compiling the sidecar (esbuild: one ES module, dependencies external)' );
	await build( {
		entryPoints: [ path.join( ROOT, 'sidecar/src/bin.ts' ) ],
		outfile: path.join( pkgDir, 'dist/igny8-sidecar.js' ),
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node20.19',
		packages: 'external',
		sourcemap: false,
		legalComments: 'none',
		// Whitespace and comments out (names kept, so stack traces still name every function): V8 holds the source of
		// the whole file in memory for lazy compilation, and the comments' non-ASCII characters (→, §, …) made it a
		// two-byte string: 859 KiB of heap for a 440 KB file, now 305 KB one-byte (idle RSS −1.2 MiB, issue #15).
		minifyWhitespace: true,
		logLevel: 'warning',
	} );
	const js = fs.readFileSync( path.join( pkgDir, 'dist/igny8-sidecar.js' ), 'utf8' );
	if ( ! js.startsWith( '#!/usr/bin/env node' ) ) {
		fs.writeFileSync( path.join( pkgDir, 'dist/igny8-sidecar.js' ), `#!/usr/bin/env node\n${ js }` );
	}
	fs.chmodSync( path.join( pkgDir, 'dist/igny8-sidecar.js' ), 0o755 );
	copyInto( path.join( ROOT, 'sidecar/README.md' ), path.join( pkgDir, 'README.md' ) );
	for ( const file of [ 'igny8-sidecar.service', 'igny8-sidecar.env' ] ) {
		copyInto( path.join( ROOT, 'sidecar/packaging', file ), path.join( pkgDir, 'systemd', file ) );
	}
	const manifest = {
		name: 'igny8-bridge-sidecar',
		version,
		description: 'IGNY8 Bridge sidecar: the service behind the IGNY8 Bridge WordPress plugin',
		license: 'GPL-2.0-or-later',
		type: 'module',
		bin: { 'igny8-sidecar': 'dist/igny8-sidecar.js' },
		files: [ 'dist/', 'systemd/', 'README.md' ],
		engines: { node: '>=20.19' },
		dependencies: pinnedDependencies(),
	};
	fs.writeFileSync( path.join( pkgDir, 'package.json' ), JSON.stringify( manifest, null, 2 ) + '\n' );
	log( 'packing the sidecar (npm pack)' );
	const out = JSON.parse( run( 'npm', [ 'pack', '--json', '--pack-destination', DIST ], { cwd: pkgDir } ) ) as Array< { filename: string } >;
	const tgz = path.join( DIST, path.basename( out[ 0 ]?.filename ?? '' ) );
	if ( path.basename( tgz ) !== `igny8-bridge-sidecar-${ version }.tgz` || ! fs.existsSync( tgz ) ) {
		throw new Error( `npm pack wrote ${ tgz }, not igny8-bridge-sidecar-${ version }.tgz` );
	}
	return tgz;
}

export async function release(): Promise< string[] > {
	const version = releaseVersion();
	log( `version ${ version }` );
	fs.rmSync( DIST, { recursive: true, force: true } );
	fs.mkdirSync( DIST, { recursive: true } );
	const stage = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-release-' ) );
	try {
		const artifacts = [ buildPluginZip( version, stage ), await buildSidecarTarball( version, stage ) ];
		const sums = artifacts.map( ( file ) => `${ sha256( file ) }  ${ path.basename( file ) }\n` ).join( '' );
		fs.writeFileSync( path.join( DIST, 'SHA256SUMS' ), sums );
		for ( const file of [ ...artifacts, path.join( DIST, 'SHA256SUMS' ) ] ) {
			log( `${ path.relative( ROOT, file ) }  ${ ( fs.statSync( file ).size / 1024 ).toFixed( 1 ) } KiB` );
		}
		return artifacts;
	} finally {
		fs.rmSync( stage, { recursive: true, force: true } );
	}
}

if ( import.meta.url === `file://${ process.argv[ 1 ] }` ) {
	release().catch( ( error: unknown ) => {
		process.stderr.write( `release failed: ${ ( error as Error ).message }\n` );
		process.exit( 1 );
	} );
}
