import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { releaseVersion, ROOT, statedVersions, VERSION_FILES } from './versions.js';

function checkoutCopy(): string {
	const dir = fs.mkdtempSync( path.join( os.tmpdir(), 'igny8-versions-' ) );
	for ( const file of VERSION_FILES ) {
		fs.mkdirSync( path.dirname( path.join( dir, file ) ), { recursive: true } );
		fs.copyFileSync( path.join( ROOT, file ), path.join( dir, file ) );
	}
	return dir;
}

describe( 'one version number', () => {
	it( 'is the same in the plugin header, readme.txt, every package.json, the lock file and the contract', () => {
		const versions = statedVersions();
		expect( Object.keys( versions ).length ).toBeGreaterThanOrEqual( 14 );
		const want = JSON.parse( fs.readFileSync( path.join( ROOT, 'package.json' ), 'utf8' ) ).version as string;
		expect( want ).toMatch( /^\d+\.\d+\.\d+$/ );
		expect( versions ).toEqual( Object.fromEntries( Object.keys( versions ).map( ( k ) => [ k, want ] ) ) );
		expect( releaseVersion() ).toBe( want );
	} );

	it( 'names the place that differs', () => {
		const dir = checkoutCopy();
		try {
			const readme = path.join( dir, 'plugin-php-shim/readme.txt' );
			fs.writeFileSync( readme, fs.readFileSync( readme, 'utf8' ).replace( /^Stable tag:.*$/m, 'Stable tag: 9.9.9' ) );
			expect( () => releaseVersion( dir ) ).toThrow( /readme\.txt Stable tag says 9\.9\.9/ );
			const header = path.join( dir, 'plugin-php-shim/igny8-bridge.php' );
			fs.writeFileSync( header, fs.readFileSync( header, 'utf8' ).replace( /(\* Version:\s*)\S+/, '$19.9.8' ) );
			expect( () => releaseVersion( dir ) ).toThrow( /plugin header Version says 9\.9\.8/ );
		} finally {
			fs.rmSync( dir, { recursive: true, force: true } );
		}
	} );
} );
