/**
 * End-to-end tests against a real WordPress (native PHP), the real sidecar and the IGNY8 simulator.
 * The global setup starts one fresh stack per run; WP_VERSION / WP_DB / WP_PORT choose the instance.
 *
 * Projects: `integration` drives the public and internal HTTP APIs; `editor` drives the block editor in
 * Debian's headless Chromium (Playwright cannot download browsers here).
 */
import path from 'node:path';
import { defineConfig } from '@playwright/test';

import { adminBrowser } from './support/browser';
import { freshConnectionPerFetch } from './support/fresh-connections';
import { applySidecarTestKnobs } from './support/test-knobs';

const wpPort = Number( process.env.WP_PORT ?? 8900 );
// Read at import time by @wordpress/e2e-test-utils-playwright, in the runner and in every worker.
process.env.WP_BASE_URL ??= `http://127.0.0.1:${ wpPort }`;
// WP_SERVER (scripts/wp-runtime.sh): php (php -S), nginx or apache (+ PHP-FPM); each shape gets its own instance dir.
const wpServerSuffix = ( process.env.WP_SERVER ?? 'php' ) === 'php' ? '' : `-${ process.env.WP_SERVER }`;
// Tests get their own WordPress instance: a fresh one per run must never wipe the `npm start` dev site.
process.env.WP_STATE_DIR ??= path.join(
	import.meta.dirname,
	`../.igny8/test-wp-${ process.env.WP_VERSION ?? '6.1' }-${ process.env.WP_DB ?? 'sqlite' }${ wpServerSuffix }`
);
// Results and the saved login live next to the instance, so two runs on different instances (other ports and
// state dirs, in one working tree) neither log each other out nor delete each other's artifacts.
const resultsDir = `${ process.env.WP_STATE_DIR }-results`;
process.env.STORAGE_STATE_PATH ??= path.join( resultsDir, 'storage-states/admin.json' );
// The sidecar inherits the runner's environment: short retry timing, frequent structure pushes (support/test-knobs.ts).
applySidecarTestKnobs();
// Runs in the runner and in every worker, like the lines above.
freshConnectionPerFetch();

export default defineConfig( {
	testDir: '.',
	outputDir: path.join( resultsDir, 'artifacts' ),
	globalSetup: './global-setup.ts',
	// One shared stack; some tests stop the sidecar, so they must not overlap with others.
	workers: 1,
	fullyParallel: false,
	forbidOnly: !! process.env.CI,
	retries: 0,
	timeout: 60_000,
	expect: { timeout: 10_000 },
	reporter: [ [ 'list' ], [ 'json' ] ],
	use: {
		baseURL: process.env.WP_BASE_URL,
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
	},
	projects: [
		{ name: 'integration', testDir: './integration' },
		{
			name: 'editor',
			testDir: './specs',
			use: adminBrowser(),
		},
	],
} );
