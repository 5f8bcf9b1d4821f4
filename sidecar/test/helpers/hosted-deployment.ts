/**
 * A multi-site deployment for the hosted tests (multi-site.test, operator-api.test): the suite's PostgreSQL, a site
 * registry with its own credentials key, and HostedSites whose sites reach no WordPress (no write-back in these
 * tests). `close()` closes the sites and the database and removes the data folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inject } from 'vitest';

import { CredentialCipher } from '../../src/adapters/credential-cipher.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { SiteRegistry } from '../../src/adapters/site-registry.ts';
import { WordPressUnavailableError } from '../../src/adapters/wp-internal-client.ts';
import { HostedSites } from '../../src/hosted/hosted-sites.ts';
import type { Logger } from '../../src/logger.ts';
import { testSyncConfig } from './harness.ts';

export interface HostedDeployment {
  db: PgDatabase;
  registry: SiteRegistry;
  sites: HostedSites;
  close(): Promise<void>;
}

export async function openHostedDeployment(options: { logger: Logger; maxOpenSites: number; clock?: () => number }): Promise<HostedDeployment> {
  const db = await PgDatabase.open({ url: inject('pgUrl'), poolSize: 4 });
  const registry = new SiteRegistry(db, new CredentialCipher(randomBytes(32)), ...(options.clock === undefined ? [] : [options.clock]));
  const dataDir = mkdtempSync(join(tmpdir(), 'igny8-hosted-'));
  const base = testSyncConfig(dataDir);
  const sites = new HostedSites({
    config: { dataDir, sync: { ...base.sync, credentialsKey: randomBytes(32) }, rateLimitPerMin: 600, maxOpenSites: options.maxOpenSites },
    db,
    registry,
    logger: options.logger,
    wordpress: () => ({ run: () => Promise.reject(new WordPressUnavailableError('no WordPress in this test')) }),
  });
  return {
    db,
    registry,
    sites,
    close: async () => {
      await sites.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
