/**
 * Composition root of the sync: store → credentials → IGNY8 client → worker → reconciler → service.
 */
import { join } from 'node:path';

import { ActivityLog, retentionOf } from '../adapters/activity-log.ts';
import { contract } from '../contract/contract.ts';
import { CredentialCipher } from '../adapters/credential-cipher.ts';
import { Igny8Client, type Igny8Paths } from '../adapters/igny8-client.ts';
import { SyncStore } from '../adapters/sync-store.ts';
import { WordPressInternalClient, WordPressUnavailableError, type WordPressOps } from '../adapters/wp-internal-client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { KeyRing } from '../protocol/keys.ts';
import { CredentialVault } from './credential-vault.ts';
import { Reconciler } from './reconciler.ts';
import { SyncService } from './service.ts';
import { SiteState } from './site-state.ts';
import { DEFAULT_STRUCTURE_INTERVAL_MS, StructureSync, type SyncParts } from './structure.ts';
import { SyncWorker } from './worker.ts';

export interface SyncRuntime {
  service: SyncService;
  structure: StructureSync;
  store: SyncStore;
  worker: SyncWorker;
  reconciler: Reconciler;
  /** Tools → IGNY8 Activity: calls in and delivery attempts out, purged in the background. */
  activity: ActivityLog;
  /** Stops the worker and the reconciler, then closes the store (releases its lock). */
  close(): Promise<void>;
}

export interface CreateSyncOptions {
  config: Pick<Config, 'dataDir' | 'wpUrl' | 'sync'>;
  keyRing: KeyRing;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: () => number;
  /** How often the activity log is purged (default: contract activity.purge_interval_seconds). */
  activityPurgeIntervalMs?: number;
  /** WordPress internal ops (tests inject a fake); defaults to the signed HTTP client for WP_URL. */
  wordpress?: WordPressOps;
}

const noWordPress: WordPressOps = {
  run: () => Promise.reject(new WordPressUnavailableError('WP_URL is not configured: the sidecar cannot write sync results back.')),
};

export function createSync(options: CreateSyncOptions): SyncRuntime {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const store = SyncStore.open({ dir: join(config.dataDir, 'sync'), clock });
  let activity: ActivityLog | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  try {
    activity = ActivityLog.open({ dir: join(config.dataDir, 'sync'), clock });
    const site = new SiteState(store, config.sync.apiBaseUrl, clock);
    const cipher = config.sync.credentialsKey === undefined ? undefined : new CredentialCipher(config.sync.credentialsKey);
    if (cipher === undefined) {
      logger.warn('no credentials key configured: IGNY8 credentials cannot be saved, tokens are kept in memory only');
    }
    const vault = new CredentialVault(
      store,
      cipher,
      { email: config.sync.email, password: config.sync.password, apiKey: config.sync.apiKey, baseUrl: config.sync.apiBaseUrl },
      () => site.sid(),
      () => site.baseUrl(),
      logger,
    );
    const client = new Igny8Client({
      tokens: vault.tokenStore(),
      logger,
      clock,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      paths: config.sync.paths as Partial<Igny8Paths>,
      timeoutMs: config.sync.httpTimeoutMs,
      retryAfterCapMs: config.sync.retryAfterCapMs,
      onConnection: SyncService.connectionSink(store),
    });
    const wordpress =
      options.wordpress ??
      (config.wpUrl === undefined
        ? noWordPress
        : new WordPressInternalClient({ wpUrl: config.wpUrl, keyRing: options.keyRing, logger }));
    const parts: SyncParts = { store, client, wordpress, site, vault, logger, clock };
    const structure = new StructureSync({
      ...parts,
      minIntervalMs: config.sync.structureMinIntervalMs ?? DEFAULT_STRUCTURE_INTERVAL_MS,
    });
    const worker = new SyncWorker({
      ...parts,
      activity,
      structure,
      policy: {
        baseMs: config.sync.backoffBaseMs,
        maxMs: config.sync.backoffMaxMs,
        retryAfterCapMs: config.sync.retryAfterCapMs,
        maxAttempts: config.sync.maxAttempts,
        concurrency: config.sync.concurrency,
      },
    });
    structure.kick = () => worker.kick();
    const reconciler = new Reconciler({ store, wordpress, site, worker, logger, intervalMs: config.sync.reconcileIntervalMs, structure });
    const service = new SyncService({ store, site, vault, worker, reconciler, client, logger, sidecarKid: options.keyRing.kid, clock, structure });
    // Retention by days and rows (settings), applied by a timer: no request pays for it.
    const log = activity;
    const purge = () => {
      const removed = log.purge(retentionOf(site.settings()));
      if (removed > 0) {
        logger.info({ removed }, 'activity log purged');
      }
    };
    purgeTimer = setInterval(purge, options.activityPurgeIntervalMs ?? contract.activity.purge_interval_seconds * 1000);
    purgeTimer.unref();
    setImmediate(purge).unref();
    return {
      service,
      activity,
      structure,
      store,
      worker,
      reconciler,
      close: async () => {
        clearInterval(purgeTimer);
        await service.stop();
        log.close();
        store.close();
      },
    };
  } catch (error) {
    clearInterval(purgeTimer);
    activity?.close();
    store.close();
    throw error;
  }
}
