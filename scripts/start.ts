/**
 * `npm start`: builds the editor bundle, brings up WordPress + sidecar + IGNY8 simulator, prints how to use
 * them, and stops every process it started on Ctrl-C / SIGTERM.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

import { apiKeyProblem, ROOT, startStack, type Stack } from './stack.js';

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

const t0 = Date.now();
try {
	process.stdout.write( 'Building the editor bundle…\n' );
	await new Promise< void >( ( resolve, reject ) => {
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
	} );
	stack = await startStack( { signal: starting.signal } );
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
