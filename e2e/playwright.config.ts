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
import { instanceWpPort, sharedConfig } from './support/shared-config';

instanceWpPort();
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

export default defineConfig( {
	...sharedConfig( { resultsDir, globalSetup: './global-setup.ts' } ),
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
