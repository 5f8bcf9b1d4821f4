/**
 * Runs every suite (PHP checks, unit tests, then the integration + browser suites against real WordPress
 * instances of the test matrix) and prints the total as the last line: `N passed, N failed[, N skipped]`.
 *
 * IGNY8_TEST_MATRIX selects the WordPress instances: comma-separated `version:db:projects`, where projects is
 * `all` (integration + editor), `integration` or `editor`. Default:
 * 6.1:sqlite:all, 6.5:sqlite:all, 6.6:sqlite:editor (6.6-RC3: the slots moved to wp.editor), 6.1:mariadb:integration.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { ROOT } from './stack.js';

interface SuiteResult {
	name: string;
	passed: number;
	failed: number;
	skipped: number;
	seconds: number;
}

const resultsDir = path.join( ROOT, '.igny8', 'test-results' );
/** Every port the suites open is PORT_BASE + an offset, so two checkouts can run their suites at once. */
const PORT_BASE = Number( process.env.IGNY8_TEST_PORT_BASE ?? 8900 );
fs.mkdirSync( resultsDir, { recursive: true } );
const bin = ( name: string ) => path.join( ROOT, 'node_modules/.bin', name );
const results: SuiteResult[] = [];

function timed( name: string, fn: () => Omit< SuiteResult, 'name' | 'seconds' > ): void {
	process.stdout.write( `\n━━ ${ name } ━━\n` );
	const t = Date.now();
	let r: Omit< SuiteResult, 'name' | 'seconds' >;
	try {
		r = fn();
	} catch ( error ) {
		process.stdout.write( `${ name } crashed: ${ ( error as Error ).message }\n` );
		r = { passed: 0, failed: 1, skipped: 0 };
	}
	const result = { name, ...r, seconds: ( Date.now() - t ) / 1000 };
	results.push( result );
	process.stdout.write( `── ${ name }: ${ r.passed } passed, ${ r.failed } failed, ${ r.skipped } skipped (${ result.seconds.toFixed( 1 ) } s)\n` );
}

function exec( cmd: string, args: string[], env: NodeJS.ProcessEnv = {} ): number {
	const r = spawnSync( cmd, args, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } } );
	return r.status ?? 1;
}

/** Every PHP file must lint; the JWT test vectors of the contract must hold in PHP too. */
function phpChecks() {
	const files: string[] = [];
	const walk = ( dir: string ) => {
		for ( const entry of fs.readdirSync( dir, { withFileTypes: true } ) ) {
			const full = path.join( dir, entry.name );
			if ( entry.isDirectory() && entry.name !== 'build' && entry.name !== 'node_modules' ) {
				walk( full );
			} else if ( entry.name.endsWith( '.php' ) ) {
				files.push( full );
			}
		}
	};
	walk( path.join( ROOT, 'plugin-php-shim' ) );
	let failed = 0;
	for ( const file of files ) {
		const r = spawnSync( 'php', [ '-l', file ], { encoding: 'utf8' } );
		if ( r.status !== 0 ) {
			failed++;
			process.stdout.write( r.stdout + r.stderr );
		}
	}
	process.stdout.write( `php -l: ${ files.length - failed }/${ files.length } files clean\n` );
	// Coding standard: errors fail, warnings (line length) are reported only.
	const phpcs = exec( 'phpcs', [ '-q', '--warning-severity=0', '--standard=plugin-php-shim/phpcs.xml.dist', 'plugin-php-shim' ] ) === 0;
	process.stdout.write( `phpcs: ${ phpcs ? 'clean' : 'errors above' }\n` );
	const vectors = exec( 'php', [ 'plugin-php-shim/tests/contract-vectors.php' ] ) === 0;
	const checks = [ vectors, phpcs ];
	const ok = checks.filter( Boolean ).length;
	return { passed: files.length - failed + ok, failed: failed + checks.length - ok, skipped: 0 };
}

/**
 * The shim's PHPUnit suite (plugin-php-shim/tests/, mirroring includes/) inside a real WordPress 6.1 on `db`
 * (`wp-runtime.sh phpunit`: Debian's phpunit with a bootstrap that loads that WordPress; worker processes for the
 * locks, image fixture servers on PORT_BASE-3 / -2). The counts are PHPUnit's own, from its JUnit log.
 */
function phpunitSuite( db: string ) {
	const env = {
		WP_DB: db,
		WP_PORT: String( PORT_BASE - 5 ),
		WP_STATE_DIR: path.join( ROOT, '.igny8', `test-php-upsert-${ db }` ),
		IGNY8_IMAGE_HOST_ALLOWLIST: `127.0.0.1:${ PORT_BASE - 3 },localhost:${ PORT_BASE - 3 }`,
	};
	const runtime = ( ...args: string[] ) =>
		spawnSync( 'bash', [ 'scripts/wp-runtime.sh', ...args ], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } } );
	const up = runtime( 'up' );
	if ( up.status !== 0 ) {
		throw new Error( `WordPress did not start:\n${ up.stdout }${ up.stderr }` );
	}
	const junit = path.join( resultsDir, `phpunit-${ db }.xml` );
	fs.rmSync( junit, { force: true } );
	try {
		const r = runtime( 'phpunit', '--log-junit', junit );
		process.stdout.write( r.stdout + r.stderr );
		// The outermost <testsuite> carries the totals.
		const m = fs.existsSync( junit ) ? /<testsuite\b[^>]*>/.exec( fs.readFileSync( junit, 'utf8' ) ) : null;
		if ( ! m ) {
			throw new Error( `PHPUnit wrote no JUnit log (exit ${ r.status })` );
		}
		const attr = ( name: string ) => Number( new RegExp( `\\b${ name }="(\\d+)"` ).exec( m[ 0 ] )?.[ 1 ] ?? 0 );
		const failed = attr( 'failures' ) + attr( 'errors' );
		const skipped = attr( 'skipped' );
		return { passed: attr( 'tests' ) - failed - skipped, failed: failed + ( r.status !== 0 && failed === 0 ? 1 : 0 ), skipped };
	} finally {
		runtime( 'stop' );
	}
}

function vitest( workspace: string ) {
	const out = path.join( resultsDir, `unit-${ workspace }.json` );
	fs.rmSync( out, { force: true } );
	exec( bin( 'vitest' ), [ 'run', '--root', workspace, '--reporter=default', '--reporter=json', `--outputFile=${ out }` ] );
	const json = JSON.parse( fs.readFileSync( out, 'utf8' ) ) as {
		numPassedTests: number;
		numFailedTests: number;
		numPendingTests: number;
		numTodoTests: number;
		success: boolean;
	};
	// A suite that fails to load reports 0 failed tests but success=false: count it as a failure.
	const failed = json.numFailedTests + ( ! json.success && json.numFailedTests === 0 ? 1 : 0 );
	return { passed: json.numPassedTests, failed, skipped: json.numPendingTests + json.numTodoTests };
}

function playwright( version: string, db: string, projects: string, port: number ) {
	const out = path.join( resultsDir, `e2e-${ version }-${ db }.json` );
	fs.rmSync( out, { force: true } );
	const projectArgs = projects === 'all' ? [] : projects.split( '+' ).map( ( p ) => `--project=${ p }` );
	exec( bin( 'playwright' ), [ 'test', '-c', 'e2e/playwright.config.ts', ...projectArgs ], {
		WP_VERSION: version,
		WP_DB: db,
		WP_PORT: String( port ),
		SIDECAR_PORT: String( port + 100 ),
		SIMULATOR_PORT: String( port + 200 ),
		STACK_CONTROL_PORT: String( port + 300 ),
		PLAYWRIGHT_JSON_OUTPUT_NAME: out,
	} );
	const json = JSON.parse( fs.readFileSync( out, 'utf8' ) ) as {
		stats: { expected: number; unexpected: number; flaky: number; skipped: number };
		errors?: unknown[];
	};
	const setupErrors = json.errors?.length ?? 0;
	return {
		passed: json.stats.expected + json.stats.flaky,
		failed: json.stats.unexpected + setupErrors,
		skipped: json.stats.skipped,
	};
}

/** `npm run release` into dist/, then scripts/*.test.ts: zip contents, tarball install, one version, npm start's key rule and signals. */
function releaseSuite() {
	if ( exec( bin( 'tsx' ), [ 'scripts/release.ts' ] ) !== 0 ) {
		throw new Error( 'npm run release failed' );
	}
	return vitest( 'scripts' );
}

const matrix = ( process.env.IGNY8_TEST_MATRIX ?? '6.1:sqlite:all,6.5:sqlite:all,6.6:sqlite:editor,6.1:mariadb:integration' )
	.split( ',' )
	.filter( Boolean )
	.map( ( entry ) => entry.split( ':' ) as [ string, string, string ] );

/** TypeScript is strict everywhere on the Node side: every project must type-check. */
function typecheck() {
	const projects = [ 'sidecar', 'simulator', 'e2e', 'editor-ui', 'bench' ];
	const failed = projects.filter( ( project ) => exec( bin( 'tsc' ), [ '-p', project ] ) !== 0 );
	process.stdout.write( `tsc: ${ projects.length - failed.length }/${ projects.length } projects clean${ failed.length ? ` (failing: ${ failed.join( ', ' ) })` : '' }\n` );
	return { passed: projects.length - failed.length, failed: failed.length, skipped: 0 };
}

const t0 = Date.now();
timed( 'typecheck', typecheck );
timed( 'php', phpChecks );
timed( 'unit: sidecar', () => vitest( 'sidecar' ) );
timed( 'unit: simulator', () => vitest( 'simulator' ) );
timed( 'release artifacts + dev stack (scripts/*.test.ts)', releaseSuite );
for ( const db of [ 'sqlite', 'mariadb' ] ) {
	timed( `php: PHPUnit in WordPress 6.1 + ${ db }`, () => phpunitSuite( db ) );
}
matrix.forEach( ( [ version, db, projects ], i ) => {
	timed( `e2e: WordPress ${ version } + ${ db } (${ projects })`, () => playwright( version, db, projects ?? 'all', PORT_BASE + i * 10 ) );
} );

const total = results.reduce(
	( sum, r ) => ( { passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped } ),
	{ passed: 0, failed: 0, skipped: 0 }
);
process.stdout.write( `\nSuites (${ ( ( Date.now() - t0 ) / 1000 ).toFixed( 0 ) } s):\n` );
for ( const r of results ) {
	process.stdout.write( `  ${ r.name.padEnd( 44 ) } ${ String( r.passed ).padStart( 4 ) } passed ${ String( r.failed ).padStart( 3 ) } failed ${ String( r.skipped ).padStart( 3 ) } skipped  ${ r.seconds.toFixed( 1 ) } s\n` );
}
process.stdout.write( `${ total.passed } passed, ${ total.failed } failed${ total.skipped ? `, ${ total.skipped } skipped` : '' }\n` );
process.exit( total.failed > 0 ? 1 : 0 );
