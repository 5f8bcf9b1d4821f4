/**
 * The one version number of a release, as every place that states it states it. `npm run release` refuses to
 * build when they differ, and scripts/versions.test.ts fails on it.
 */
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve( import.meta.dirname, '..' );

const WORKSPACES = [ 'sidecar', 'simulator', 'editor-ui', 'e2e' ];

/** The files statedVersions reads. */
export const VERSION_FILES = [
	'package.json',
	...WORKSPACES.map( ( ws ) => `${ ws }/package.json` ),
	'package-lock.json',
	'plugin-php-shim/igny8-bridge.php',
	'plugin-php-shim/readme.txt',
	'plugin-php-shim/contract/igny8-contract.json',
];

/** Every place that names the release version → what it says (`root`: a checkout, the repo by default). */
export function statedVersions( root = ROOT ): Record< string, string > {
	const readJson = ( file: string ) => JSON.parse( fs.readFileSync( path.join( root, file ), 'utf8' ) ) as Record< string, unknown >;
	const match = ( file: string, pattern: RegExp ) =>
		pattern.exec( fs.readFileSync( path.join( root, file ), 'utf8' ) )?.[ 1 ]?.trim() ?? '(missing)';
	const versions: Record< string, string > = {};
	versions[ 'package.json' ] = String( readJson( 'package.json' ).version );
	for ( const ws of WORKSPACES ) {
		versions[ `${ ws }/package.json` ] = String( readJson( `${ ws }/package.json` ).version );
	}
	const lock = readJson( 'package-lock.json' ) as { version?: string; packages?: Record< string, { version?: string } > };
	versions[ 'package-lock.json' ] = String( lock.version );
	for ( const ws of WORKSPACES ) {
		versions[ `package-lock.json packages["${ ws }"]` ] = String( lock.packages?.[ ws ]?.version );
	}
	versions[ 'plugin header Version' ] = match( 'plugin-php-shim/igny8-bridge.php', /^\s*\*\s*Version:\s*(\S+)/m );
	versions[ 'IGNY8_BRIDGE_VERSION' ] = match( 'plugin-php-shim/igny8-bridge.php', /define\(\s*'IGNY8_BRIDGE_VERSION',\s*'([^']+)'/ );
	versions[ 'readme.txt Stable tag' ] = match( 'plugin-php-shim/readme.txt', /^Stable tag:\s*(\S+)/m );
	versions[ 'contract plugin_version' ] = String(
		( readJson( 'plugin-php-shim/contract/igny8-contract.json' ) as { plugin_version?: string } ).plugin_version
	);
	return versions;
}

/** The release version, or an error naming every place that disagrees with package.json. */
export function releaseVersion( root = ROOT ): string {
	const versions = statedVersions( root );
	const want = versions[ 'package.json' ] as string;
	const wrong = Object.entries( versions ).filter( ( [ , v ] ) => v !== want );
	if ( wrong.length > 0 ) {
		throw new Error(
			`version mismatch: package.json says ${ want }, but ${ wrong.map( ( [ where, v ] ) => `${ where } says ${ v }` ).join( '; ' ) }`
		);
	}
	return want;
}
