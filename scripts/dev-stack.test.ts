/**
 * `npm start` stops and fails like a tool should (issue #11 §5): a key the site would refuse stops it before
 * anything starts; SIGTERM while it is still starting, and kill -9 of its launcher, leave no child behind.
 * Runs the real scripts/start.ts (WordPress on php -S, the sidecar, the simulator) on ports PORT_BASE+50…+250.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from './versions.js';

const PORT_BASE = Number( process.env.IGNY8_TEST_PORT_BASE ?? 8900 ) + 50;
const STATE_DIR = path.join( ROOT, '.igny8', `test-dev-stack-${ PORT_BASE }` );
const ENV = {
	...process.env,
	WP_PORT: String( PORT_BASE ),
	SIDECAR_PORT: String( PORT_BASE + 100 ),
	SIMULATOR_PORT: String( PORT_BASE + 200 ),
	WP_STATE_DIR: STATE_DIR,
};
const PORTS = [ PORT_BASE, PORT_BASE + 100, PORT_BASE + 200 ];

const sleep = ( ms: number ) => new Promise( ( resolve ) => setTimeout( resolve, ms ) );

function portOpen( port: number ): Promise< boolean > {
	return new Promise( ( resolve ) => {
		const socket = net.connect( port, '127.0.0.1' );
		socket.once( 'connect', () => {
			socket.destroy();
			resolve( true );
		} );
		socket.once( 'error', () => resolve( false ) );
	} );
}

/** Processes whose command line names this test's state folder or ports (php -S, the sidecar, MariaDB…). */
function leftovers(): string[] {
	const found: string[] = [];
	for ( const entry of fs.readdirSync( '/proc' ) ) {
		if ( ! /^\d+$/.test( entry ) || Number( entry ) === process.pid ) {
			continue;
		}
		try {
			const cmdline = fs.readFileSync( `/proc/${ entry }/cmdline`, 'utf8' ).split( '\0' ).join( ' ' );
			const env = fs.readFileSync( `/proc/${ entry }/environ`, 'utf8' );
			if ( cmdline.includes( STATE_DIR ) || env.includes( `WP_STATE_DIR=${ STATE_DIR }\0` ) || cmdline.includes( `127.0.0.1:${ PORT_BASE } ` ) ) {
				found.push( `${ entry }: ${ cmdline.slice( 0, 120 ) }` );
			}
		} catch {
			// Gone meanwhile.
		}
	}
	return found;
}

async function settle( seconds: number ): Promise< { procs: string[]; open: number[] } > {
	const deadline = Date.now() + seconds * 1000;
	for ( ;; ) {
		const procs = leftovers();
		const open: number[] = [];
		for ( const port of PORTS ) {
			if ( await portOpen( port ) ) {
				open.push( port );
			}
		}
		if ( ( procs.length === 0 && open.length === 0 ) || Date.now() > deadline ) {
			return { procs, open };
		}
		await sleep( 250 );
	}
}

interface Started {
	child: ChildProcess;
	output: () => string;
	waitFor: ( pattern: RegExp, timeoutMs: number ) => Promise< void >;
	exited: Promise< number | null >;
}

function npmStart( env: NodeJS.ProcessEnv = ENV ): Started {
	const child = spawn( path.join( ROOT, 'node_modules/.bin/tsx' ), [ 'scripts/start.ts' ], { cwd: ROOT, env, stdio: [ 'ignore', 'pipe', 'pipe' ] } );
	let text = '';
	child.stdout?.on( 'data', ( chunk: Buffer ) => ( text += chunk.toString() ) );
	child.stderr?.on( 'data', ( chunk: Buffer ) => ( text += chunk.toString() ) );
	const exited = new Promise< number | null >( ( resolve ) => child.once( 'exit', ( code ) => resolve( code ) ) );
	const waitFor = async ( pattern: RegExp, timeoutMs: number ) => {
		const deadline = Date.now() + timeoutMs;
		while ( ! pattern.test( text ) ) {
			if ( Date.now() > deadline || child.exitCode !== null ) {
				throw new Error( `no ${ pattern } in npm start's output:\n${ text }` );
			}
			await sleep( 50 );
		}
	};
	return { child, output: () => text, waitFor, exited };
}

let running: Started | undefined;

beforeAll( () => {
	// The dev site keeps the key it was given last; these tests want the generated one.
	fs.rmSync( path.join( STATE_DIR, 'igny8-api-key' ), { force: true } );
} );

afterEach( async () => {
	if ( running && running.child.exitCode === null ) {
		running.child.kill( 'SIGKILL' );
	}
	running = undefined;
	await settle( 20 );
} );

describe( 'npm start', () => {
	it( 'stops before starting anything when IGNY8_API_KEY breaks the site\'s rule', async () => {
		running = npmStart( { ...ENV, IGNY8_API_KEY: 'too-short-for-the-site' } );
		expect( await running.exited ).toBe( 78 );
		expect( running.output() ).toContain( 'IGNY8_API_KEY must be 32–512 printable characters' );
		expect( running.output() ).not.toContain( 'Building the editor bundle' );
		expect( await settle( 1 ) ).toEqual( { procs: [], open: [] } );
	} );

	it( 'stops every child on SIGTERM while it is still starting', async () => {
		running = npmStart();
		// WordPress is up (php -S runs in its own process group), the sidecar is being started.
		await running.waitFor( /WordPress ready in/, 240_000 );
		running.child.kill( 'SIGTERM' );
		expect( await running.exited ).toBe( 0 );
		expect( await settle( 20 ) ).toEqual( { procs: [], open: [] } );
	}, 300_000 );

	it( 'leaves no child running when its launcher is killed with kill -9', async () => {
		running = npmStart();
		await running.waitFor( /Press Ctrl-C to stop everything/, 240_000 );
		expect( await portOpen( PORT_BASE + 100 ) ).toBe( true );
		running.child.kill( 'SIGKILL' );
		expect( await settle( 20 ) ).toEqual( { procs: [], open: [] } );
	}, 300_000 );

	it( 'a warm start (nothing changed since the last build) does not rebuild the editor bundle', async () => {
		// The starts above built it (or found it built); nothing under editor-ui/ or the contract changed since.
		running = npmStart();
		await running.waitFor( /Press Ctrl-C to stop everything/, 240_000 );
		expect( running.output() ).toContain( 'Editor bundle up to date.' );
		expect( running.output() ).not.toContain( 'Building the editor bundle' );
		running.child.kill( 'SIGTERM' );
		expect( await running.exited ).toBe( 0 );
		expect( await settle( 20 ) ).toEqual( { procs: [], open: [] } );
	}, 300_000 );
} );
