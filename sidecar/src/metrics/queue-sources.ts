/**
 * Where `/metrics` reads the queue from (metrics/sync-metrics.ts): the shared PostgreSQL tables (every site, every
 * replica's work), or one site's own store (the embedded SQLite single site).
 */
import type pg from 'pg';

import type { QueueStore } from '../adapters/queue-store.ts';
import type { QueueCounts, SyncState } from '../adapters/sync-store.ts';
import type { QueueSnapshot, QueueSnapshotSource } from './sync-metrics.ts';

const PAUSE_KEY = 'target_paused';
/** At most this many sites are listed per gauge (the ones with the most waiting). */
const MAX_LISTED_SITES = 500;

const emptyCounts = (): QueueCounts => ({ pending: 0, pending_manual: 0, in_flight: 0, synced: 0, failed: 0, dead: 0 });

/** Every site in the database, in three grouped queries (no per-site round trip). */
export function pgQueueSource(pool: Pick<pg.Pool, 'query'>, clock: () => number = Date.now): QueueSnapshotSource {
  return {
    async snapshot(): Promise<QueueSnapshot> {
      const now = clock();
      const [states, waiting, paused, sites] = await Promise.all([
        pool.query(`SELECT state, COUNT(*)::int AS n FROM igny8_sync_jobs WHERE kind = 'post' GROUP BY state`),
        // The wait of a change: its seq is microseconds since the epoch when WordPress made it (else the row's update).
        pool.query(
          `SELECT site_id, COUNT(*)::int AS n,
             MIN(CASE WHEN seq_wanted ~ '^[0-9]{16,19}$' AND seq_wanted::numeric BETWEEN 1577836800000000 AND ($1::numeric + 86400000) * 1000
                      THEN seq_wanted::numeric / 1000 ELSE updated_at END) AS oldest
           FROM igny8_sync_jobs WHERE kind = 'post' AND state IN ('pending', 'in_flight')
           GROUP BY site_id ORDER BY n DESC LIMIT ${MAX_LISTED_SITES}`,
          [now],
        ),
        pool.query(`SELECT site_id FROM igny8_kv WHERE key = $1 ORDER BY site_id LIMIT ${MAX_LISTED_SITES}`, [PAUSE_KEY]),
        pool.query(`SELECT GREATEST((SELECT COUNT(*) FROM igny8_sites), (SELECT COUNT(DISTINCT site_id) FROM igny8_kv))::int AS n`),
      ]);
      const byState = emptyCounts();
      for (const row of states.rows as Array<{ state: SyncState; n: number }>) {
        byState[row.state] = row.n;
      }
      return {
        byState,
        waiting: (waiting.rows as Array<{ site_id: string; n: number; oldest: string | null }>).map((row) => ({
          siteId: row.site_id,
          jobs: row.n,
          oldestWaitingSeconds: row.oldest === null ? null : Math.max(0, (now - Number(row.oldest)) / 1000),
        })),
        circuitOpen: (paused.rows as Array<{ site_id: string }>).map((row) => row.site_id),
        sites: Number((sites.rows[0] as { n?: number } | undefined)?.n ?? 0),
      };
    },
  };
}

/** One site's store (the single-site sidecar on SQLite) and its breaker. */
export function siteQueueSource(options: {
  store: Pick<QueueStore, 'counts' | 'oldestWaitingAt'>;
  circuitOpen: () => boolean;
  siteId: () => string;
  clock?: () => number;
}): QueueSnapshotSource {
  const clock = options.clock ?? Date.now;
  return {
    async snapshot(): Promise<QueueSnapshot> {
      const byState = { ...emptyCounts(), ...(await options.store.counts()) };
      const jobs = byState.pending + byState.in_flight;
      const oldest = jobs > 0 ? await options.store.oldestWaitingAt() : undefined;
      const siteId = options.siteId();
      return {
        byState,
        waiting: jobs > 0 ? [{ siteId, jobs, oldestWaitingSeconds: oldest === undefined ? null : Math.max(0, (clock() - oldest) / 1000) }] : [],
        circuitOpen: options.circuitOpen() ? [siteId] : [],
        sites: 1,
      };
    },
  };
}
