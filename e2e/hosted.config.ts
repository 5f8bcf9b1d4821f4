/**
 * The hosted instance (issue #16, Tests): three real WordPress sites (6.1 SQLite, 6.5 SQLite, 6.1 MariaDB), each
 * enrolled through the real enrolment path on one pair of `igny8-sidecar start --multi-site` replicas behind a
 * loopback nginx upstream, on PostgreSQL 15 (e2e/hosted-setup.ts). The publish, lookup and sync specs of the
 * integration suite run once per site (one project each; e2e/support/stack.ts points the shared helpers at the
 * project's site), then the isolation specs (e2e/hosted/) against all three.
 *
 *   WP_PORT=P SIDECAR_PORT=P+100 SIMULATOR_PORT=P+200 STACK_CONTROL_PORT=P+300 npx playwright test -c e2e/hosted.config.ts
 */
import path from 'node:path';
import { defineConfig } from '@playwright/test';

import { HOSTED_SITES } from './support/hosted-sites';
import { instanceWpPort, sharedConfig } from './support/shared-config';

const wpPort = instanceWpPort();
// The instance's folder: each site's WordPress, the replicas' data and logs, results.
process.env.IGNY8_HOSTED_DIR ??= path.join( import.meta.dirname, `../.igny8/test-hosted-${ wpPort }` );

/** What proves the hosted path for a site: publish (both spellings, images, idempotency) with the lookups, and WordPress → IGNY8 sync. */
const SITE_SPECS = [ 'publish.spec.ts', 'sync-status.spec.ts', 'sync-latency.spec.ts' ];

export default defineConfig( {
	...sharedConfig( { resultsDir: `${ process.env.IGNY8_HOSTED_DIR }-results`, globalSetup: './hosted-setup.ts' } ),
	use: { trace: 'retain-on-failure' },
	projects: [
		...HOSTED_SITES.map( ( site ) => ( {
			name: site.project,
			testDir: './integration',
			testMatch: SITE_SPECS,
			use: { baseURL: `http://127.0.0.1:${ wpPort + site.index }` },
		} ) ),
		{ name: 'hosted-isolation', testDir: './hosted' },
	],
} );
