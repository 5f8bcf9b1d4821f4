/**
 * Replicas (issue #16 §4): two or more sidecar processes on one PostgreSQL share a site's work. This module is what
 * a site's sync does differently when its store is shared (`isSharedStore`); with SQLite it does nothing.
 *
 * - Key/value state: another replica's write is announced (LISTEN/NOTIFY, adapters/pg-replica-bus.ts); the key is
 *   read again into this process's copy (sync/site-values.ts), and what is derived from it follows: the site
 *   snapshot (settings, sync mode) and the circuit breaker.
 * - Wake-ups: work queued by another replica that is due now kicks this worker too, so an idle replica takes a share.
 * - The sweep, every `sweepMs`: in-flight rows whose lease ended (their replica died: `kill -9`, a lost host) go back
 *   to pending and are delivered here; pending rows that lost their wake-up with a dead process are woken again; and
 *   the worker is kicked, so retries another replica had scheduled (its timers died with it) are still sent.
 * - Singleton work: the reconciler's pass runs under `runSingleton` (one replica at a time, once per interval).
 * - IGNY8 token renewal runs under `exclusively` after re-reading the stored tokens (IGNY8 rotates refresh tokens:
 *   a second replica refreshing with the same one would be refused).
 *   Scheduled structure pushes are queue jobs (one row per site), so the claim already makes them run once.
 *
 * Delivery is at least once: a replica that dies after IGNY8 took a PUT but before its `complete` landed leaves a
 * row that is sent again after the lease (PUT is idempotent); `redeliveries` in the ledger counts those.
 */
import { isSharedStore, type QueueStore, type SharedQueueStore } from '../adapters/queue-store.ts';
import type { Logger } from '../logger.ts';
import type { ReconcileReport } from './reconciler.ts';
import { SITE_STATE_KEY, type SiteState } from './site-state.ts';
import type { SiteValues } from './site-values.ts';
import { PAUSE_KEY, type SyncWorker } from './worker.ts';

export interface ReplicaLinkOptions {
  store: QueueStore;
  values: SiteValues;
  site: SiteState;
  worker: SyncWorker;
  logger: Logger;
  /** The delivery lease (SIDECAR_SYNC_LEASE_MS): how long a dead replica's job waits. */
  leaseMs: number;
  /**
   * How often the sweep runs (default: a quarter of the lease, between 250 ms and 15 s); 0: never on a timer, because
   * the process sweeps all its sites in one pass (the multi-site runtime, hosted/hosted-sites.ts).
   */
  sweepMs?: number;
}

export interface ReplicaLink {
  /** The reconciler's `exclusive` option. */
  exclusive(work: () => Promise<ReconcileReport | undefined>, minIntervalMs: number): Promise<{ ran: true; value: ReconcileReport | undefined } | { ran: false }>;
  /** One sweep now (tests). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

export const RECONCILE_PASS = 'reconcile';
/** The lock a replica holds while it renews the site's IGNY8 tokens (sync/create-sync.ts → Igny8Client). */
export const TOKEN_RENEWAL_LOCK = 'igny8-token-renewal';

export function sweepInterval(leaseMs: number): number {
  return Math.min(15_000, Math.max(250, Math.floor(leaseMs / 4)));
}

/** Links a site's sync to the other replicas; undefined when the store is not shared. */
export async function linkReplicas(options: ReplicaLinkOptions): Promise<ReplicaLink | undefined> {
  const { store, values, site, worker, logger, leaseMs } = options;
  if (!isSharedStore(store)) {
    return undefined;
  }
  const shared: SharedQueueStore = store;
  const offChange = values.onChange((key) => {
    if (key === SITE_STATE_KEY) {
      site.reload();
    } else if (key === PAUSE_KEY) {
      worker.reloadPause();
    }
  });
  const unwatch = await shared.watch({
    value: (key) => void values.refresh(key),
    wake: () => worker.kick(),
  });

  let lastOrphanCheck = 0;
  let sweeping: Promise<void> | undefined;
  const sweep = (): Promise<void> => {
    sweeping ??= (async () => {
      try {
        const recovered = await shared.recoverLeases();
        if (recovered > 0) {
          logger.warn({ recovered }, 'sync: jobs whose lease ran out (a replica stopped mid-delivery) are pending again');
        }
        if (Date.now() - lastOrphanCheck >= leaseMs) {
          lastOrphanCheck = Date.now();
          const woken = await shared.recoverOrphans(leaseMs);
          if (woken > 0) {
            logger.warn({ woken }, 'sync: pending jobs without a wake-up (a replica stopped while claiming) woken again');
          }
        }
      } catch (error) {
        logger.error({ err: error }, 'sync: the replica sweep could not reach the store');
      } finally {
        sweeping = undefined;
      }
      worker.kick();
    })();
    return sweeping;
  };
  const every = options.sweepMs ?? sweepInterval(leaseMs);
  const timer = every > 0 ? setInterval(() => void sweep(), every) : undefined;
  timer?.unref();

  return {
    exclusive: (work, minIntervalMs) => shared.runSingleton(RECONCILE_PASS, minIntervalMs, work),
    sweep,
    close: async () => {
      clearInterval(timer);
      offChange();
      unwatch();
      await sweeping;
    },
  };
}
