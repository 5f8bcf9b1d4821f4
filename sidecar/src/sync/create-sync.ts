/**
 * Composition root of the sync: store → credentials → IGNY8 client → worker → reconciler → service.
 *
 * The store is the embedded SQLite file under the data dir (the default), or PostgreSQL when
 * IGNY8_SIDECAR_DATABASE_URL is set (the same code on the QueueStore interface; pg and pg-boss load only then).
 */
import { join } from 'node:path';

import { SqliteActivityLog, retentionOf, type ActivityLog } from '../adapters/activity-log.ts';
import { contract } from '../contract/contract.ts';
import { cipherFromConfig, type CredentialCipher } from '../adapters/credential-cipher.ts';
import { keyIdsOf, requireKeys, resealValues, sealedCredentialValues } from '../adapters/credential-reseal.ts';
import { Igny8Client, type Igny8Paths } from '../adapters/igny8-client.ts';
import type { QueueStore } from '../adapters/queue-store.ts';
import { SyncStore } from '../adapters/sync-store.ts';
import { WordPressInternalClient, WordPressUnavailableError, type WordPressOps } from '../adapters/wp-internal-client.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { KeyRing } from '../protocol/keys.ts';
import { CredentialVault } from './credential-vault.ts';
import { Reconciler } from './reconciler.ts';
import { linkReplicas, TOKEN_RENEWAL_LOCK, type ReplicaLink } from './replica-link.ts';
import { isSharedStore } from '../adapters/queue-store.ts';
import { SyncService } from './service.ts';
import { SiteState } from './site-state.ts';
import { SiteValues } from './site-values.ts';
import { DEFAULT_STRUCTURE_INTERVAL_MS, StructureSync, type SyncParts } from './structure.ts';
import { DEFAULT_WORKER_POLICY, SyncWorker } from './worker.ts';
import { countDeliveries } from '../metrics/sync-metrics.ts';

export interface SyncRuntime {
  service: SyncService;
  structure: StructureSync;
  store: QueueStore;
  values: SiteValues;
  worker: SyncWorker;
  reconciler: Reconciler;
  /** Tools → IGNY8 Activity: calls in and delivery attempts out, purged in the background. */
  activity: ActivityLog;
  /** Stops the worker and the reconciler, then closes the store (releases its lock). */
  close(): Promise<void>;
}

export interface CreateSyncOptions {
  config: Pick<Config, 'dataDir' | 'wpUrl' | 'sync'> & Partial<Pick<Config, 'databaseUrl'>>;
  /** A store opened by the caller (the multi-site runtime, tests); closed with the runtime unless `keepStore`. */
  store?: QueueStore;
  keepStore?: boolean;
  keyRing: KeyRing;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: () => number;
  /** How often the activity log is purged (default: contract activity.purge_interval_seconds). */
  activityPurgeIntervalMs?: number;
  /** WordPress internal ops (tests inject a fake); defaults to the signed HTTP client for WP_URL. */
  wordpress?: WordPressOps;
  /**
   * Whether this site's runtime sweeps its own expired leases on a timer (default true). The multi-site runtime sweeps
   * every open site in one pass instead (hosted/hosted-sites.ts): 1,000 sites' timers were hundreds of queries a second.
   */
  ownSweep?: boolean;
}

const noWordPress: WordPressOps = {
  run: () => Promise.reject(new WordPressUnavailableError('WP_URL is not configured: the sidecar cannot write sync results back.')),
};

/** The store key of the one site a single-site sidecar serves on PostgreSQL. */
export const SINGLE_SITE_STORE_ID = 'single-site';

interface OpenedStore {
  store: QueueStore;
  close(): Promise<void>;
}

async function openStore(options: CreateSyncOptions, clock: () => number): Promise<OpenedStore> {
  if (options.store !== undefined) {
    const store = options.store;
    return { store, close: async () => (options.keepStore === true ? undefined : store.close()) };
  }
  const url = options.config.databaseUrl;
  if (url !== undefined) {
    const { PgDatabase } = await import('../adapters/pg-store.ts');
    const db = await PgDatabase.open({ url });
    return { store: db.site(SINGLE_SITE_STORE_ID, clock), close: () => db.close() };
  }
  const store = SyncStore.open({ dir: join(options.config.dataDir, 'sync'), clock });
  return { store, close: async () => store.close() };
}

/**
 * A single site's sealed credentials at start (docs/hosted-sidecar.md, Secret rotation): a value naming a key the
 * sidecar is not given refuses the start (CredentialKeyMissingError). The embedded SQLite store belongs to this one
 * process, so values sealed with a previous key are sealed again with the current one here; replicas on PostgreSQL
 * share theirs, and the operator re-seals them once every replica has the new key (`igny8-sidecar sites reseal`).
 * The multi-site process checks the whole deployment once at its start (hosted/start.ts).
 */
async function prepareSealedValues(store: QueueStore, cipher: CredentialCipher, logger: Logger): Promise<void> {
  const shared = isSharedStore(store);
  const kids = keyIdsOf(sealedCredentialValues(await store.values()));
  requireKeys(kids, cipher, shared ? 'start again, then run `igny8-sidecar sites reseal`' : 'start again: the sidecar seals them again with the current key at start');
  if (!shared && [...kids.keys()].some((kid) => kid !== cipher.kid)) {
    const counts = await resealValues(store, cipher);
    logger.info({ ...counts, key_id: cipher.kid }, 'IGNY8 credentials sealed with a previous credentials key were sealed again with the current key');
  }
}

export async function createSync(options: CreateSyncOptions): Promise<SyncRuntime> {
  const { config, logger } = options;
  const clock = options.clock ?? Date.now;
  const opened = await openStore(options, clock);
  const { store } = opened;
  let activity: ActivityLog | undefined;
  let purgeTimer: NodeJS.Timeout | undefined;
  let replicas: ReplicaLink | undefined;
  try {
    // On PostgreSQL the log is the site's rows in the shared database (every replica pages the same log); else its file.
    activity = isSharedStore(store) ? store.activityLog() : SqliteActivityLog.open({ dir: join(config.dataDir, 'sync'), clock });
    const cipher = cipherFromConfig(config.sync);
    if (cipher !== undefined && options.store === undefined) {
      await prepareSealedValues(store, cipher, logger);
    }
    const values = await SiteValues.load(store, logger);
    const site = new SiteState(values, config.sync.apiBaseUrl, clock);
    if (cipher === undefined) {
      logger.warn('no credentials key configured: IGNY8 credentials cannot be saved, tokens are kept in memory only');
    }
    const vault = new CredentialVault(
      values,
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
      onConnection: SyncService.connectionSink(values),
      // Replicas share the site's tokens: one renews at a time, on the stored tokens read again (sync/replica-link.ts).
      ...(isSharedStore(store)
        ? {
            renewExclusively: <T>(work: () => Promise<T>) =>
              store.exclusively(TOKEN_RENEWAL_LOCK, async () => {
                await values.refresh(null);
                const renewed = await work();
                await values.flush(); // the next holder must read the rotated tokens
                return renewed;
              }),
          }
        : {}),
    });
    const wordpress =
      options.wordpress ??
      (config.wpUrl === undefined
        ? noWordPress
        : new WordPressInternalClient({ wpUrl: config.wpUrl, keyRing: options.keyRing, logger }));
    const parts: SyncParts = { store, values, client, wordpress, site, vault, logger, clock };
    const structure = new StructureSync({
      ...parts,
      minIntervalMs: config.sync.structureMinIntervalMs ?? DEFAULT_STRUCTURE_INTERVAL_MS,
    });
    const worker = new SyncWorker({
      ...parts,
      // Every delivery attempt also counts in the process's Prometheus metrics (GET /metrics).
      activity: countDeliveries(activity),
      structure,
      policy: {
        baseMs: config.sync.backoffBaseMs,
        maxMs: config.sync.backoffMaxMs,
        retryAfterCapMs: config.sync.retryAfterCapMs,
        maxAttempts: config.sync.maxAttempts,
        concurrency: config.sync.concurrency,
        leaseMs: config.sync.leaseMs ?? DEFAULT_WORKER_POLICY.leaseMs,
      },
      // Shared store (PostgreSQL): the replica sweep takes back expired leases, and one claim serves several slots
      // (pg-boss's fetch reads the site's whole due backlog: 3 ms at 5,000 pending, measured, so fewer fetches matter).
      // A freed slot claims only after something woke the worker (skipIdleClaims: an empty fetch is a statement). A
      // write-back batch waits 250 ms there (50 on SQLite): each is a store read, a WordPress call over the network and
      // a store write per site, so the deliveries of a site's backlog share fewer of them.
      ...(config.sync.writebackIntervalMs === undefined ? {} : { writebackIntervalMs: config.sync.writebackIntervalMs }),
      ...(isSharedStore(store) ? { recoverLeasesWhenIdle: false, prefetch: 3 * config.sync.concurrency, writebackDelayMs: 250, skipIdleClaims: true } : {}),
    });
    structure.kick = () => worker.kick();
    // PostgreSQL: other replicas may share this site (sync/replica-link.ts); SQLite: undefined.
    replicas = await linkReplicas({ store, values, site, worker, logger, leaseMs: worker.policy.leaseMs, ...(options.ownSweep === false ? { sweepMs: 0 } : {}) });
    const link = replicas;
    const reconciler = new Reconciler({
      store,
      wordpress,
      site,
      worker,
      logger,
      intervalMs: config.sync.reconcileIntervalMs,
      structure,
      ...(link === undefined ? {} : { exclusive: link.exclusive }),
    });
    const service = new SyncService({ store, values, site, vault, worker, reconciler, client, logger, sidecarKid: options.keyRing.kid, clock, structure });
    // Retention by days and rows (settings), applied by a timer: no request pays for it.
    const log = activity;
    const purgeIntervalMs = options.activityPurgeIntervalMs ?? contract.activity.purge_interval_seconds * 1000;
    const purgeOnce = async (): Promise<number> => log.purge(retentionOf(site.settings()));
    const purge = () => {
      // Replicas share a PostgreSQL log: one of them purges it per interval.
      const purged = isSharedStore(store)
        ? store.runSingleton('activity-purge', purgeIntervalMs / 2, purgeOnce).then((outcome) => (outcome.ran ? (outcome.value ?? 0) : 0))
        : purgeOnce();
      purged.then(
        (removed) => {
          if (removed > 0) {
            logger.info({ removed }, 'activity log purged');
          }
        },
        (error: unknown) => logger.warn({ err: error }, 'activity log purge failed; retrying at the next interval'),
      );
    };
    purgeTimer = setInterval(purge, purgeIntervalMs);
    purgeTimer.unref();
    setImmediate(purge).unref();
    let closing: Promise<void> | undefined;
    const close = async (): Promise<void> => {
      clearInterval(purgeTimer);
      await link?.close();
      await service.stop();
      await log.close();
      await values.flush();
      await opened.close();
    };
    return {
      service,
      activity,
      structure,
      store,
      values,
      worker,
      reconciler,
      close: () => (closing ??= close()),
    };
  } catch (error) {
    clearInterval(purgeTimer);
    await replicas?.close();
    await activity?.close();
    await opened.close();
    throw error;
  }
}
