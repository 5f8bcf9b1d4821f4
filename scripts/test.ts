/**
 * Runs every suite (PHP checks, unit tests, then the integration + browser suites against real WordPress
 * instances of the test matrix) and prints the total as the last line: `N passed, N failed[, N skipped]`.
 * Independent suites run IGNY8_TEST_JOBS at a time (default 2: CI has 2 cores); each suite's output is printed
 * in one block when it ends, and kept in .igny8/test-results/<suite>.log.
 *
 * IGNY8_TEST_MATRIX selects the WordPress instances: comma-separated `version:db:projects[:server[:filters]]`, where
 * projects is `all` (integration + editor), `integration`, `editor` or `integration+editor`; server is `php`
 * (php -S, default), `nginx` or `apache` (+ PHP-FPM, scripts/wp-runtime.sh WP_SERVER); filters are
 * `+`-separated spec file filters (Playwright's file arguments). Each instance runs only what proves something new
 * there (default, DEFAULT_MATRIX below):
 *   6.1 + SQLite + php -S          everything (integration + editor)
 *   6.5 + MariaDB + nginx/PHP-FPM  the whole integration suite + the editor smoke spec, on the release artifacts
 *                                  (plugin zip unpacked, sidecar from its tarball under plain node; fastcgi_finish_request),
 *                                  and the upload of the zip through Plugins → Add New on a fresh site
 *   6.5 + SQLite + php -S          the editor specs (the 6.5 block editor)
 *   6.6-RC3 + SQLite + php -S      the editor specs (6.6 moved the slots to wp.editor)
 *   6.5 + SQLite + Apache/PHP-FPM  the API-key auth specs (api-key-auth, hostile-auth: Authorization is stripped there unless configured)
 *   hosted                         three sites (6.1 SQLite, 6.5 SQLite, 6.1 MariaDB) enrolled on two multi-site replicas
 *                                  behind nginx, on PostgreSQL 15 (e2e/hosted.config.ts): publish, lookups and sync per
 *                                  site, then the isolation specs (e2e/hosted/). The matrix entry is the word `hosted`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT } from './stack.js';

interface Counts {
	passed: number;
	failed: number;
	skipped: number;
}
interface SuiteResult extends Counts {
	name: string;
	seconds: number;
}
/** A suite writes its output through `out`; it runs concurrently with others, so it never writes to stdout. */
type Suite = { name: string; run: ( out: ( text: string ) => void ) => Promise< Counts > };

const resultsDir = path.join( ROOT, '.igny8', 'test-results' );
/** Every port the suites open is PORT_BASE + an offset, so two checkouts can run their suites at once. */
const PORT_BASE = Number( process.env.IGNY8_TEST_PORT_BASE ?? 8900 );
const JOBS = Math.max( 1, Number( process.env.IGNY8_TEST_JOBS ?? 2 ) );
fs.mkdirSync( resultsDir, { recursive: true } );
const bin = ( name: string ) => path.join( ROOT, 'node_modules/.bin', name );
const slug = ( name: string ) => name.replace( /[^a-z0-9.]+/gi, '-' ).replace( /^-|-$/g, '' ).toLowerCase();

/** Runs a command with its output captured (never inherited: suites run side by side). */
function exec(
	cmd: string,
	args: string[],
	out: ( text: string ) => void,
	env: NodeJS.ProcessEnv = {}
): Promise< { status: number; stdout: string } > {
	return new Promise( ( resolve ) => {
		let stdout = '';
		const child = spawn( cmd, args, { cwd: ROOT, stdio: [ 'ignore', 'pipe', 'pipe' ], env: { ...process.env, ...env } } );
		child.stdout.on( 'data', ( chunk: Buffer ) => {
			stdout += chunk.toString();
			out( chunk.toString() );
		} );
		child.stderr.on( 'data', ( chunk: Buffer ) => out( chunk.toString() ) );
		child.once( 'error', ( error ) => {
			out( `${ cmd }: ${ error.message }\n` );
			resolve( { status: 1, stdout } );
		} );
		child.once( 'close', ( code ) => resolve( { status: code ?? 1, stdout } ) );
	} );
}

/** Every PHP file must lint; the JWT test vectors of the contract must hold in PHP too. */
async function phpChecks( out: ( text: string ) => void ): Promise< Counts > {
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
		let text = '';
		const r = await exec( 'php', [ '-l', file ], ( t ) => ( text += t ) );
		if ( r.status !== 0 ) {
			failed++;
			out( text );
		}
	}
	out( `php -l: ${ files.length - failed }/${ files.length } files clean\n` );
	// Coding standard: errors fail, warnings (line length) are reported only.
	const phpcs = ( await exec( 'phpcs', [ '-q', '--warning-severity=0', '--standard=plugin-php-shim/phpcs.xml.dist', 'plugin-php-shim' ], out ) ).status === 0;
	out( `phpcs: ${ phpcs ? 'clean' : 'errors above' }\n` );
	const vectors = ( await exec( 'php', [ 'plugin-php-shim/tests/contract-vectors.php' ], out ) ).status === 0;
	const checks = [ vectors, phpcs ];
	const ok = checks.filter( Boolean ).length;
	return { passed: files.length - failed + ok, failed: failed + checks.length - ok, skipped: 0 };
}

/**
 * The shim's PHPUnit suite (plugin-php-shim/tests/, mirroring includes/) inside a real WordPress 6.1 on `db`
 * (`wp-runtime.sh phpunit`: Debian's phpunit with a bootstrap that loads that WordPress; worker processes for the
 * locks, image fixture servers on port + 2 / + 3, a sidecar stand-in on port + 4). The counts are PHPUnit's own, from
 * its JUnit log.
 */
async function phpunitSuite( db: string, port: number, out: ( text: string ) => void ): Promise< Counts > {
	const env = {
		WP_DB: db,
		WP_SERVER: 'php',
		WP_PORT: String( port ),
		WP_STATE_DIR: path.join( ROOT, '.igny8', `test-php-upsert-${ db }` ),
		IGNY8_IMAGE_HOST_ALLOWLIST: `127.0.0.1:${ port + 2 },localhost:${ port + 2 }`,
	};
	const runtime = ( ...args: string[] ) => exec( 'bash', [ 'scripts/wp-runtime.sh', ...args ], out, env );
	const up = await runtime( 'up' );
	if ( up.status !== 0 ) {
		throw new Error( 'WordPress did not start (output above)' );
	}
	const junit = path.join( resultsDir, `phpunit-${ db }.xml` );
	fs.rmSync( junit, { force: true } );
	try {
		const r = await runtime( 'phpunit', '--log-junit', junit );
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
		await runtime( 'stop' );
	}
}

async function vitest( workspace: string, out: ( text: string ) => void ): Promise< Counts > {
	const file = path.join( resultsDir, `unit-${ workspace }.json` );
	fs.rmSync( file, { force: true } );
	await exec( bin( 'vitest' ), [ 'run', '--root', workspace, '--reporter=default', '--reporter=json', `--outputFile=${ file }` ], out );
	const json = JSON.parse( fs.readFileSync( file, 'utf8' ) ) as {
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

interface Instance {
	/** `hosted`: the hosted-sidecar instance (e2e/hosted.config.ts), whose sites are fixed there. */
	kind: 'wp' | 'hosted';
	version: string;
	db: string;
	projects: string;
	server: string;
	filters: string[];
}

async function playwright( instance: Instance, port: number, out: ( text: string ) => void ): Promise< Counts > {
	const { kind, version, db, projects, server, filters } = instance;
	const file = path.join( resultsDir, kind === 'hosted' ? 'e2e-hosted.json' : `e2e-${ version }-${ db }-${ server }.json` );
	fs.rmSync( file, { force: true } );
	const projectArgs = projects === 'all' ? [] : projects.split( '+' ).map( ( p ) => `--project=${ p }` );
	const config = kind === 'hosted' ? 'e2e/hosted.config.ts' : 'e2e/playwright.config.ts';
	await exec( bin( 'playwright' ), [ 'test', '-c', config, ...projectArgs, ...filters ], out, {
		WP_VERSION: version,
		WP_DB: db,
		WP_SERVER: server,
		WP_PORT: String( port ),
		SIDECAR_PORT: String( port + 100 ),
		SIMULATOR_PORT: String( port + 200 ),
		STACK_CONTROL_PORT: String( port + 300 ),
		PLAYWRIGHT_JSON_OUTPUT_NAME: file,
		// Apache serves as www-data, which may not get through the checkout's parent directories: its instance lives in tmp.
		...( server === 'apache' ? { WP_STATE_DIR: path.join( os.tmpdir(), `igny8-test-wp-${ version }-${ db }-apache-${ port }` ) } : {} ),
		// Built once by this runner before the suites start: two instances must not rebuild it at the same time.
		IGNY8_EDITOR_BUILT: '1',
		// The production shape runs the release artifacts: dist/'s plugin zip and sidecar tarball (e2e/global-setup.ts).
		...( server === 'nginx' ? { IGNY8_FROM_RELEASE: '1' } : {} ),
	} );
	const json = JSON.parse( fs.readFileSync( file, 'utf8' ) ) as {
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

const DEFAULT_MATRIX = [
	'6.1:sqlite:all',
	'6.5:mariadb:integration+editor:nginx:integration/+editor/smoke.spec+release/upload.spec',
	'6.5:sqlite:editor',
	'6.6:sqlite:editor',
	'6.5:sqlite:integration:apache:integration/api-key-auth.spec+integration/hostile-auth.spec',
	'hosted',
].join( ',' );
const matrix: Instance[] = ( process.env.IGNY8_TEST_MATRIX ?? DEFAULT_MATRIX )
	.split( ',' )
	.filter( Boolean )
	.map( ( entry ): Instance => {
		if ( entry === 'hosted' ) {
			return { kind: 'hosted', version: '6.1+6.5', db: 'sqlite+mariadb', projects: 'all', server: 'php', filters: [] };
		}
		const [ version = '6.1', db = 'sqlite', projects = 'all', server = 'php', filters = '' ] = entry.split( ':' );
		return { kind: 'wp', version, db, projects, server, filters: filters.split( '+' ).filter( Boolean ) };
	} );

/** TypeScript is strict everywhere on the Node side: every project must type-check. */
async function typecheck( out: ( text: string ) => void ): Promise< Counts > {
	const projects = [ 'sidecar', 'simulator', 'e2e', 'editor-ui', 'bench' ];
	const failed: string[] = [];
	for ( const project of projects ) {
		if ( ( await exec( bin( 'tsc' ), [ '-p', project ], out ) ).status !== 0 ) {
			failed.push( project );
		}
	}
	out( `tsc: ${ projects.length - failed.length }/${ projects.length } projects clean${ failed.length ? ` (failing: ${ failed.join( ', ' ) })` : '' }\n` );
	return { passed: projects.length - failed.length, failed: failed.length, skipped: 0 };
}

const e2eSuites = matrix.map( ( instance, i ) => ( { instance, i } ) );
// The hosted instance keeps its port slot (its matrix index) but starts third: it is one of the long suites.
e2eSuites.sort( ( x, y ) => rank( x ) - rank( y ) );
function rank( { instance, i }: { instance: Instance; i: number } ): number {
	return instance.kind === 'hosted' ? Math.min( i, 1.5 ) : i;
}

/** Longest first, so the two slots end at about the same time. */
const suites: Suite[] = [
	...e2eSuites.map( ( { instance, i } ): Suite => ( {
		name:
			instance.kind === 'hosted'
				? 'e2e: hosted (WordPress 6.1 + sqlite, 6.5 + sqlite, 6.1 + mariadb; 2 replicas, PG)'
				: `e2e: WordPress ${ instance.version } + ${ instance.db }${ instance.server === 'php' ? '' : ` + ${ instance.server }` } (${ instance.projects }${ instance.filters.length ? `: ${ instance.filters.join( ' ' ) }` : '' })`,
		run: ( out ) => playwright( instance, PORT_BASE + i * 10, out ),
	} ) ),
	{ name: 'typecheck', run: typecheck },
	{ name: 'unit: sidecar', run: ( out ) => vitest( 'sidecar', out ) },
	...[ 'sqlite', 'mariadb' ].map( ( db, i ): Suite => ( {
		name: `php: PHPUnit in WordPress 6.1 + ${ db }`,
		run: ( out ) => phpunitSuite( db, PORT_BASE - 5 - i * 20, out ),
	} ) ),
	{ name: 'php', run: phpChecks },
	{ name: 'unit: simulator', run: ( out ) => vitest( 'simulator', out ) },
];

const results: SuiteResult[] = [];
async function runSuite( suite: Suite ): Promise< void > {
	const t = Date.now();
	const logFile = path.join( resultsDir, `${ slug( suite.name ) }.log` );
	let text = '';
	const out = ( chunk: string ) => {
		text += chunk;
	};
	process.stdout.write( `▶ ${ suite.name } (log: ${ path.relative( ROOT, logFile ) })\n` );
	let r: Counts;
	try {
		r = await suite.run( out );
	} catch ( error ) {
		out( `${ suite.name } crashed: ${ ( error as Error ).message }\n` );
		r = { passed: 0, failed: 1, skipped: 0 };
	}
	const result = { name: suite.name, ...r, seconds: ( Date.now() - t ) / 1000 };
	results.push( result );
	fs.writeFileSync( logFile, text );
	process.stdout.write( `\n━━ ${ suite.name } ━━\n${ text }${ text.endsWith( '\n' ) ? '' : '\n' }` );
	process.stdout.write( `── ${ suite.name }: ${ r.passed } passed, ${ r.failed } failed, ${ r.skipped } skipped (${ result.seconds.toFixed( 1 ) } s)\n` );
}

const t0 = Date.now();
// `npm run release` first, alone: it rebuilds the editor bundle (plugin-php-shim/build, which the symlinked dev
// plugin of the php -S instances loads) and writes dist/ (the plugin zip and sidecar tarball of the nginx instance).
process.stdout.write( '▶ npm run release (dist/, editor bundle)\n' );
const release = await exec( bin( 'tsx' ), [ 'scripts/release.ts' ], ( t ) => process.stdout.write( t ) );
if ( release.status !== 0 ) {
	results.push( { name: 'npm run release', passed: 0, failed: 1, skipped: 0, seconds: ( Date.now() - t0 ) / 1000 } );
}
// scripts/*.test.ts (zip contents, tarball install, one version, npm start's key rule and signals) alone too: its
// npm start runs rebuild the editor bundle that the browser suites load.
await runSuite( { name: 'release artifacts + dev stack (scripts/*.test.ts)', run: ( out ) => vitest( 'scripts', out ) } );
const queue = [ ...suites ];
await Promise.all(
	Array.from( { length: Math.min( JOBS, queue.length ) }, async () => {
		for ( let suite = queue.shift(); suite; suite = queue.shift() ) {
			await runSuite( suite );
		}
	} )
);

const total = results.reduce(
	( sum, r ) => ( { passed: sum.passed + r.passed, failed: sum.failed + r.failed, skipped: sum.skipped + r.skipped } ),
	{ passed: 0, failed: 0, skipped: 0 }
);
process.stdout.write( `\nSuites (${ ( ( Date.now() - t0 ) / 1000 ).toFixed( 0 ) } s wall, ${ JOBS } at a time):\n` );
for ( const r of results ) {
	process.stdout.write( `  ${ r.name.padEnd( 72 ) } ${ String( r.passed ).padStart( 4 ) } passed ${ String( r.failed ).padStart( 3 ) } failed ${ String( r.skipped ).padStart( 3 ) } skipped  ${ r.seconds.toFixed( 1 ) } s\n` );
}
process.stdout.write( `${ total.passed } passed, ${ total.failed } failed${ total.skipped ? `, ${ total.skipped } skipped` : '' }\n` );
process.exit( total.failed > 0 ? 1 : 0 );
