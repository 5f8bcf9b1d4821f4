/**
 * What the two Playwright configs share (e2e/playwright.config.ts: one WordPress instance; e2e/hosted.config.ts: the
 * hosted instance's three sites). Both call it at import time, in the runner and in every worker.
 */
import path from 'node:path';
import type { PlaywrightTestConfig } from '@playwright/test';

import { freshConnectionPerFetch } from './fresh-connections';
import { applySidecarTestKnobs } from './test-knobs';

/**
 * The instance's WordPress port (WP_PORT, default 8900), with WP_BASE_URL defaulting to it: read at import time by
 * @wordpress/e2e-test-utils-playwright.
 */
export function instanceWpPort(): number {
	const wpPort = Number( process.env.WP_PORT ?? 8900 );
	process.env.WP_BASE_URL ??= `http://127.0.0.1:${ wpPort }`;
	return wpPort;
}

/**
 * The sidecar's test timing (support/test-knobs.ts: the sidecars the global setup starts inherit it), a fresh
 * connection per fetch, and the run settings both instances use: one stack per run, one test at a time (some specs
 * stop a sidecar, change a site's IGNY8 or watch its latency), no retries, list + JSON reporters (scripts/test.ts
 * reads the JSON).
 */
export function sharedConfig( options: { resultsDir: string; globalSetup: string } ): PlaywrightTestConfig {
	applySidecarTestKnobs();
	freshConnectionPerFetch();
	return {
		testDir: '.',
		outputDir: path.join( options.resultsDir, 'artifacts' ),
		globalSetup: options.globalSetup,
		workers: 1,
		fullyParallel: false,
		forbidOnly: !! process.env.CI,
		retries: 0,
		timeout: 60_000,
		expect: { timeout: 10_000 },
		reporter: [ [ 'list' ], [ 'json' ] ],
	};
}
