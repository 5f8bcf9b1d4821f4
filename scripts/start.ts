/**
 * `npm start`: builds the editor bundle, brings up WordPress + sidecar + IGNY8 simulator, prints how to use
 * them, and stops every process it started on Ctrl-C / SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { ROOT, startStack } from './stack.js';

const t0 = Date.now();
process.stdout.write( 'Building the editor bundle…\n' );
execFileSync( 'npm', [ 'run', '--silent', 'build', '-w', 'editor-ui' ], { cwd: ROOT, stdio: [ 'ignore', 'ignore', 'inherit' ] } );

const stack = await startStack();
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

let stopping = false;
const shutdown = async ( signal: string ) => {
	if ( stopping ) {
		return;
	}
	stopping = true;
	process.stdout.write( `\n${ signal }: stopping the sidecar, the simulator and WordPress…\n` );
	await stack.stop();
	process.stdout.write( 'Stopped.\n' );
	process.exit( 0 );
};
process.on( 'SIGINT', () => void shutdown( 'SIGINT' ) );
process.on( 'SIGTERM', () => void shutdown( 'SIGTERM' ) );
