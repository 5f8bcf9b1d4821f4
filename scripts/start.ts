/**
 * `npm start`: builds the editor bundle (when its sources changed), brings up WordPress + sidecar + IGNY8 simulator, prints how to use
 * them, and stops every process it started on Ctrl-C / SIGTERM.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { apiKeyProblem, devSidecarCommand, ROOT, startStack, type Stack } from './stack.js';

// Signals are handled from the first line on: a SIGINT/SIGTERM while starting stops what already started.
const starting = new AbortController();
let stack: Stack | undefined;
let stopping = false;
const shutdown = async ( signal: string ) => {
	if ( stopping ) {
		return;
	}
	stopping = true;
	process.stdout.write( `\n${ signal }: stopping the sidecar, the simulator and WordPress…\n` );
	if ( stack === undefined ) {
		// startStack sees the abort, stops what it started and rejects; the catch below exits.
		starting.abort();
		return;
	}
	await stack.stop();
	process.stdout.write( 'Stopped.\n' );
	process.exit( 0 );
};
process.on( 'SIGINT', () => void shutdown( 'SIGINT' ) );
process.on( 'SIGTERM', () => void shutdown( 'SIGTERM' ) );

// A key the site would refuse stops start-up before anything is built or started.
const keyProblem = process.env.IGNY8_API_KEY === undefined ? undefined : apiKeyProblem( process.env.IGNY8_API_KEY );
if ( keyProblem !== undefined ) {
	process.stderr.write( `npm start: ${ keyProblem }\n` );
	process.exit( 78 );
}

/** What `npm run build -w editor-ui` writes, and what it reads: its sources, its config, the contract and the lockfile. */
const EDITOR_OUTPUTS = [ 'sidebar.js', 'sidebar.asset.php', 'settings.js', 'settings.asset.php', 'activity.js', 'activity.asset.php' ];
const EDITOR_INPUTS = [ 'editor-ui/src', 'editor-ui/package.json', 'editor-ui/babel.config.js', 'editor-ui/tsconfig.json', 'plugin-php-shim/contract/igny8-contract.json', 'package-lock.json' ];

function editorSourcesHash(): string {
	const hash = createHash( 'sha256' );
	const add = ( rel: string ) => {
		const abs = path.join( ROOT, rel );
		if ( ! fs.existsSync( abs ) ) {
			return;
		}
		if ( fs.statSync( abs ).isDirectory() ) {
			fs.readdirSync( abs ).sort().forEach( ( name ) => add( path.join( rel, name ) ) );
			return;
		}
		hash.update( `${ rel }\0` ).update( fs.readFileSync( abs ) ).update( '\0' );
	};
	EDITOR_INPUTS.forEach( add );
	return hash.digest( 'hex' );
}

function readText( file: string ): string | undefined {
	try {
		return fs.readFileSync( file, 'utf8' );
	} catch {
		return undefined;
	}
}

const t0 = Date.now();
try {
	// Rebuilt only when what it is built from changed (a warm start skips the ~5 s webpack run).
	const sources = editorSourcesHash();
	const stamp = path.join( ROOT, '.igny8', 'editor-build.sha256' );
	const fresh = EDITOR_OUTPUTS.every( ( file ) => fs.existsSync( path.join( ROOT, 'plugin-php-shim/build', file ) ) ) && readText( stamp ) === sources;
	process.stdout.write( fresh ? 'Editor bundle up to date.\n' : 'Building the editor bundle…\n' );
	await ( fresh ? Promise.resolve() : new Promise< void >( ( resolve, reject ) => {
		const build = spawn( 'npm', [ 'run', '--silent', 'build', '-w', 'editor-ui' ], { cwd: ROOT, stdio: [ 'ignore', 'ignore', 'inherit' ] } );
		const abort = () => build.kill( 'SIGTERM' );
		starting.signal.addEventListener( 'abort', abort, { once: true } );
		build.once( 'exit', ( code, signal ) => {
			starting.signal.removeEventListener( 'abort', abort );
			if ( starting.signal.aborted ) {
				reject( new Error( 'start-up interrupted' ) );
			} else if ( code === 0 ) {
				resolve();
			} else {
				reject( new Error( `the editor build failed (${ signal ?? `exit ${ code }` })` ) );
			}
		} );
	} ).then( () => {
		fs.mkdirSync( path.dirname( stamp ), { recursive: true } );
		fs.writeFileSync( stamp, sources );
	} ) );
	// The sidecar runs compiled with plain node (built here only when its sources changed), not through tsx.
	const sidecarCommand = await devSidecarCommand( ( m ) => process.stdout.write( `${ m }\n` ) );
	stack = await startStack( { signal: starting.signal, sidecarCommand } );
} catch ( error ) {
	process.stderr.write( `${ starting.signal.aborted ? 'Stopped' : 'npm start failed' }: ${ ( error as Error ).message }\n` );
	process.exit( starting.signal.aborted ? 0 : 1 );
}
const seconds = ( ( Date.now() - t0 ) / 1000 ).toFixed( 1 );
process.stdout.write(
	[
		'',
		`IGNY8 Bridge dev stack ready in ${ seconds } s`,
		`  WordPress ${ stack.wpVersion } (${ stack.wpDb }):  ${ stack.wpUrl }`,
		`  Admin:                  ${ stack.wpUrl }/wp-admin/  (user ${ stack.admin.user }, password ${ stack.admin.password })`,
		`  IGNY8 API key:          ${ stack.apiKey }`,
		`  Sidecar:                ${ stack.sidecarUrl }  (log: ${ path.relative( ROOT, stack.sidecarLog ) })`,
		`  IGNY8 simulator:        ${ stack.simulator.url }`,
		`  Try:  curl -s ${ stack.wpUrl }/wp-json/igny8/v1/status`,
		`        curl -s -H 'X-IGNY8-API-KEY: ${ stack.apiKey }' ${ stack.wpUrl }/wp-json/igny8/v1/site-metadata/`,
		'Press Ctrl-C to stop everything.',
		'',
	].join( '\n' )
);
