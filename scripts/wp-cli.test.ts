import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ROOT } from './versions.js';

const DEB = 'php-wpcli_2.10.0_all.deb';
let dir = '';

/** A checkout with only scripts/wp/wp-cli.sh and vendor/wp-cli, and its own IGNY8_HOME. */
function checkoutCopy( tamper: boolean ): string {
	dir = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-wp-cli-' ) );
	fs.mkdirSync( path.join( dir, 'scripts/wp' ), { recursive: true } );
	fs.copyFileSync( path.join( ROOT, 'scripts/wp/wp-cli.sh' ), path.join( dir, 'scripts/wp/wp-cli.sh' ) );
	fs.cpSync( path.join( ROOT, 'vendor/wp-cli' ), path.join( dir, 'vendor/wp-cli' ), { recursive: true } );
	if ( tamper ) {
		const deb = path.join( dir, 'vendor/wp-cli', DEB );
		const bytes = fs.readFileSync( deb );
		bytes[ bytes.length - 100 ] = ( bytes[ bytes.length - 100 ] as number ) ^ 0xff;
		fs.writeFileSync( deb, bytes );
	}
	return dir;
}

const run = ( root: string, ...args: string[] ) =>
	spawnSync( 'bash', [ path.join( root, 'scripts/wp/wp-cli.sh' ), ...args ], { encoding: 'utf8', env: { ...process.env, IGNY8_HOME: path.join( root, '.igny8' ) } } );

afterEach( () => {
	fs.rmSync( dir, { recursive: true, force: true } );
} );

describe( 'the vendored WP-CLI (scripts/wp/wp-cli.sh)', () => {
	it( 'is unpacked from vendor/wp-cli after its checksum matched, into IGNY8_HOME/tools, and runs', () => {
		const root = checkoutCopy( false );
		const got = run( root, 'path' );
		expect( got.status, got.stderr ).toBe( 0 );
		expect( got.stdout.trim() ).toBe( path.join( root, '.igny8/tools/wp-cli-2.10.0/usr/bin/wp' ) );
		const version = run( root, '--version', '--allow-root' );
		expect( version.stdout.trim() ).toBe( 'WP-CLI 2.10.0' );
		expect( fs.existsSync( path.join( root, 'vendor/wp-cli/COPYRIGHT' ) ) ).toBe( true );
	} );

	it( 'refuses a .deb that does not match SHA256SUMS and unpacks nothing', () => {
		const root = checkoutCopy( true );
		const got = run( root, 'path' );
		expect( got.status ).toBe( 1 );
		expect( got.stderr ).toContain( `${ DEB } does not match vendor/wp-cli/SHA256SUMS` );
		expect( fs.existsSync( path.join( root, '.igny8/tools' ) ) ).toBe( false );
	} );
} );
