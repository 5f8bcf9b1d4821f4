/**
 * `igny8-sidecar start --multi-site`: one process serving every enrolled site from PostgreSQL (issue #16 §1–2).
 * server.ts owns the process (signals, exit codes); this wires the store, the registry, the sites and the app.
 */
import { CredentialCipher } from '../adapters/credential-cipher.ts';
import { PgDatabase } from '../adapters/pg-store.ts';
import { SiteRegistry } from '../adapters/site-registry.ts';
import type { MultiSiteConfig } from '../config.ts';
import type { AppError } from '../contract/errors.ts';
import { listenApp, type RunningSidecar } from '../http/listen.ts';
import { operatorMetrics } from '../http/metrics-route.ts';
import { pgQueueSource } from '../metrics/queue-sources.ts';
import { createMultiSiteApp } from '../http/multi-site-app.ts';
import type { Logger } from '../logger.ts';
import { HostedSites } from './hosted-sites.ts';

export interface RunningMultiSite {
  url: string;
  port: number;
  sites: HostedSites;
  close(): Promise<void>;
}

export async function startMultiSite(
  config: MultiSiteConfig,
  deps: { logger: Logger; onCatastrophic?: (error: AppError) => void; db?: PgDatabase; fetch?: typeof fetch },
): Promise<RunningMultiSite> {
  const db = deps.db ?? (await PgDatabase.open({ url: config.databaseUrl, poolSize: 20 }));
  const registry = new SiteRegistry(db, new CredentialCipher(config.sync.credentialsKey, config.sync.previousCredentialsKeys ?? []));
  try {
    // Every sealed value of the deployment must open with a key this process is given (CredentialKeyMissingError).
    await registry.requireKeys();
  } catch (error) {
    if (deps.db === undefined) {
      await db.close();
    }
    throw error;
  }
  const sites = new HostedSites({
    config,
    db,
    registry,
    logger: deps.logger,
    ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
    ...(deps.onCatastrophic === undefined ? {} : { onCatastrophic: deps.onCatastrophic }),
  });
  let running: RunningSidecar;
  try {
    const app = createMultiSiteApp({
      logger: deps.logger,
      sites,
      enrolment: registry,
      operator: { token: config.operatorToken, desk: registry },
      allowedHosts: config.allowedHosts,
      ...(config.operatorToken === undefined ? {} : { metrics: operatorMetrics(config.operatorToken, pgQueueSource(db.pool)) }),
      ...(deps.onCatastrophic === undefined ? {} : { onCatastrophic: deps.onCatastrophic }),
    });
    running = await listenApp(app, config);
  } catch (error) {
    if (deps.db === undefined) {
      await db.close();
    }
    throw error;
  }
  sites.start();
  let closing: Promise<void> | undefined;
  return {
    url: running.url,
    port: running.port,
    sites,
    close: () =>
      (closing ??= (async () => {
        await running.close();
        await sites.close();
        if (deps.db === undefined) {
          await db.close();
        }
      })()),
  };
}
