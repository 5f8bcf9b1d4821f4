/**
 * Installs the release tarball the way the README says (`npm install -g ./igny8-bridge-sidecar-<v>.tgz`), into a
 * private prefix, for the release tests, the benchmarks and the production-topology suites.
 *
 * better-sqlite3 has no prebuilt binary reachable from these machines, so its install script would compile SQLite
 * (minutes on 2 cores) on every install. When this checkout already compiled the same version (npm ci did), that
 * addon is offered to its prebuild-install step as a local prebuild (`npm_config_better_sqlite3_local_prebuilds`): the install
 * runs exactly as a user's would, it just finds the binary instead of building it.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT } from './versions.js';

export interface InstalledSidecar {
	prefix: string;
	/** The `igny8-sidecar` bin npm linked. */
	bin: string;
	/** The compiled entry (`node <entry> start` is what the bin runs). */
	entry: string;
	/** Seconds the install took. */
	seconds: number;
}

function localPrebuilds(): string | undefined {
	const addonDir = path.join( ROOT, 'node_modules/better-sqlite3' );
	const addon = path.join( addonDir, 'build/Release/better_sqlite3.node' );
	if ( ! fs.existsSync( addon ) ) {
		return undefined;
	}
	const version = ( JSON.parse( fs.readFileSync( path.join( addonDir, 'package.json' ), 'utf8' ) ) as { version: string } ).version;
	const dir = path.join( ROOT, '.igny8/prebuilds' );
	// prebuild-install's file name: <name>-v<version>-<runtime>-v<abi>-<platform>-<arch>.tar.gz
	const tarball = path.join( dir, `better-sqlite3-v${ version }-node-v${ process.versions.modules }-${ process.platform }-${ process.arch }.tar.gz` );
	if ( ! fs.existsSync( tarball ) || fs.statSync( tarball ).mtimeMs < fs.statSync( addon ).mtimeMs ) {
		fs.mkdirSync( dir, { recursive: true } );
		const r = spawnSync( 'tar', [ '-czf', tarball, '-C', addonDir, 'build/Release/better_sqlite3.node' ] );
		if ( r.status !== 0 ) {
			return undefined;
		}
	}
	return dir;
}

export async function installSidecarTarball( tgz: string, prefix = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-sidecar-prefix-' ) ) ): Promise< InstalledSidecar > {
	const t = Date.now();
	const prebuilds = localPrebuilds();
	const child = spawn(
		'npm',
		[ 'install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `./${ path.relative( process.cwd(), tgz ) }` ],
		{
			stdio: [ 'ignore', 'pipe', 'pipe' ],
			env: { ...process.env, ...( prebuilds ? { npm_config_better_sqlite3_local_prebuilds: prebuilds } : {} ) },
		}
	);
	let output = '';
	child.stdout.on( 'data', ( chunk: Buffer ) => ( output += chunk.toString() ) );
	child.stderr.on( 'data', ( chunk: Buffer ) => ( output += chunk.toString() ) );
	const code = await new Promise< number | null >( ( resolve ) => child.once( 'exit', resolve ) );
	if ( code !== 0 ) {
		throw new Error( `npm install -g ${ tgz } failed (exit ${ code }):\n${ output }` );
	}
	const bin = path.join( prefix, 'bin/igny8-sidecar' );
	return {
		prefix,
		bin,
		entry: fs.realpathSync( bin ),
		seconds: ( Date.now() - t ) / 1000,
	};
}
