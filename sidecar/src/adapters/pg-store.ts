/**
 * The sync queue and key/value state in PostgreSQL (issue #16 §3): the hosted shape, one deployment and many sites.
 *
 * The ledger (`igny8_sync_jobs`, one row per site + post, the same columns and rules as the SQLite store: newest seq
 * wins, one delivery in flight per post, leases, parking, write-backs owed) is the truth. Delivery is driven by a
 * pg-boss queue (`igny8-sync-wake`): every change that makes a row deliverable sends a wake-up job (deferred with
 * `startAfter` to the row's next attempt); `claimNext` fetches wake-ups (pg-boss: SELECT … FOR UPDATE SKIP LOCKED,
 * so two replicas never get the same one), completes them and claims the row with one conditional UPDATE (state must
 * still be `pending` and due), so a stale or duplicate wake-up costs a no-op, never a second delivery. The lease is
 * the row's `lease_until`: a replica killed mid-delivery leaves `in_flight` rows that `recoverLeases` (any replica)
 * makes pending again, with a new wake-up; `redeliveries` counts them.
 *
 * Migrations are versioned (`igny8_schema_migrations`) and run at open inside a transaction holding a
 * transaction-level advisory lock, so two replicas starting at once apply each version exactly once; pg-boss
 * migrates its own schema the same way.
 */
import { createHash, randomUUID } from 'node:crypto';

// Types only here: the modules load in open(). The release is one esbuild bundle, where a static import of an
// external package is hoisted to the top and loaded at start even behind a dynamic import of this file, so pg,
// pg-boss and their dependencies (cron-parser, luxon) cost every SQLite-only sidecar RSS at idle (issue #15).
import type pg from 'pg';
import type PgBoss from 'pg-boss';

import { compareSeq, type SyncSnapshot } from '../sync/snapshot.ts';
import { KV_CHANNEL, kvPayload, ReplicaBus, WAKE_CHANNEL, wakePayload } from './pg-replica-bus.ts';
import type { SharedQueueStore, SingletonOutcome, StoreEvents } from './queue-store.ts';
import { clip, toJob, type JobKind, type JobRow, type QueueCounts, type RecordOutcome, type SyncJob, type SyncState, type Writeback } from './sync-store.ts';

/** The advisory lock key of the store's migrations ('igny8' as a number). */
const MIGRATION_LOCK = 0x69676e79;
/** The first key of the two-key advisory locks of singleton passes ('sgl1'); the second is hashtext(site|name). */
const SINGLETON_LOCK = 0x73676c31;
/** Wake-ups one claimNext looks at before it gives up for now (stale, excluded or not yet due ones). */
const CLAIM_ROUNDS = 20;

/** A site's pg-boss queue (pg-boss keeps each queue in its own partition; fetches never see another site's jobs). */
export const wakeQueue = (siteId: string): string =>
  `igny8-sync-${/^[A-Za-z0-9_-]{1,64}$/.test(siteId) ? siteId : createHash('sha256').update(siteId).digest('hex').slice(0, 40)}`;

/** Versioned migrations: append, never edit a released one. */
export const PG_MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
CREATE TABLE igny8_sync_jobs (
  site_id TEXT NOT NULL,
  post_id BIGINT NOT NULL,
  kind TEXT NOT NULL DEFAULT 'post',
  seq_wanted TEXT NOT NULL,
  seq_sent TEXT,
  seq_inflight TEXT,
  snapshot TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  error_kind TEXT,
  next_attempt_at BIGINT,
  lease_until BIGINT,
  writeback TEXT,
  writeback_seq TEXT,
  last_synced_at BIGINT,
  last_synced_site_time TEXT,
  sent_wordpress_status TEXT,
  redeliveries INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (site_id, post_id)
);
CREATE INDEX igny8_sync_jobs_due ON igny8_sync_jobs (site_id, state, next_attempt_at);
CREATE INDEX igny8_sync_jobs_lease ON igny8_sync_jobs (lease_until) WHERE state = 'in_flight';
CREATE INDEX igny8_sync_jobs_writeback ON igny8_sync_jobs (site_id, updated_at) WHERE writeback IS NOT NULL;
CREATE TABLE igny8_kv (
  site_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (site_id, key)
);`,
  },
  {
    // The hosted sites (adapters/site-registry.ts) and their enrolment codes (only the code's SHA-256 is kept).
    version: 2,
    sql: `
CREATE TABLE igny8_sites (
  site_id TEXT PRIMARY KEY,
  wp_url TEXT NOT NULL,
  key_id TEXT NOT NULL,
  secret_sealed TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE igny8_enrolment_codes (
  code_hash TEXT PRIMARY KEY,
  wp_url TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  used_by_site TEXT,
  created_at BIGINT NOT NULL
);`,
  },
  {
    // Singleton work across replicas (sync/replica-link.ts): when a named pass of a site last started, read and
    // written under that pass's advisory lock, so N replicas run it once per interval between them.
    version: 3,
    sql: `
CREATE TABLE igny8_singletons (
  site_id TEXT NOT NULL,
  name TEXT NOT NULL,
  last_started_at BIGINT NOT NULL,
  last_succeeded_at BIGINT,
  replica TEXT NOT NULL,
  PRIMARY KEY (site_id, name)
);`,
  },
];

type Row = Record<string, unknown>;
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function fromPg(row: Row): JobRow {
  return {
    post_id: Number(row.post_id),
    kind: row.kind as JobKind,
    seq_wanted: row.seq_wanted as string,
    seq_sent: row.seq_sent as string | null,
    seq_inflight: row.seq_inflight as string | null,
    snapshot: row.snapshot as string,
    state: row.state as SyncState,
    attempts: Number(row.attempts),
    last_error: row.last_error as string | null,
    error_kind: row.error_kind as string | null,
    next_attempt_at: num(row.next_attempt_at),
    lease_until: num(row.lease_until),
    writeback: row.writeback as Writeback | null,
    writeback_seq: row.writeback_seq as string | null,
    last_synced_at: num(row.last_synced_at),
    last_synced_site_time: row.last_synced_site_time as string | null,
    sent_wordpress_status: row.sent_wordpress_status as string | null,
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

type Querier = Pick<pg.PoolClient, 'query'>;

/** Applies the pending migrations under the advisory lock; returns the versions it applied. */
export async function migrate(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS igny8_schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const done = new Set((await client.query('SELECT version FROM igny8_schema_migrations')).rows.map((r: Row) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of PG_MIGRATIONS) {
      if (!done.has(migration.version)) {
        await client.query(migration.sql);
        await client.query('INSERT INTO igny8_schema_migrations (version) VALUES ($1)', [migration.version]);
        applied.push(migration.version);
      }
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface PgDatabaseOptions {
  url: string;
  /** pg-boss's schema (default `igny8_boss`). */
  bossSchema?: string;
  poolSize?: number;
}

/** One process's connection to the shared database: the pool, pg-boss and the migrated schema; `site()` opens a store. */
export class PgDatabase {
  readonly pool: pg.Pool;
  readonly boss: PgBoss;
  readonly bossSchema: string;
  /** This process among the replicas (its notifications carry it, so it ignores its own). */
  readonly replicaId = randomUUID();
  private readonly url: string;
  private busStarted: Promise<ReplicaBus> | undefined;
  /** The tail of this process's queue creations: one at a time (see createQueue). */
  private queueCreations: Promise<unknown> = Promise.resolve();
  private constructor(pool: pg.Pool, boss: PgBoss, bossSchema: string, url: string) {
    this.pool = pool;
    this.boss = boss;
    this.bossSchema = bossSchema;
    this.url = url;
  }

  /**
   * Creates a pg-boss queue. pg-boss runs DDL for it (a partition table), and concurrent creations deadlock
   * (40P01) when many sites take their first change at once: this process creates one at a time, and a deadlock
   * with another replica is retried after a short random pause.
   */
  createQueue(name: string): Promise<void> {
    const create = async (): Promise<void> => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.boss.createQueue(name, { name, policy: 'standard', retryLimit: 0 });
          return;
        } catch (error) {
          if ((error as { code?: unknown }).code !== '40P01' || attempt >= 8) {
            throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
        }
      }
    };
    const created = this.queueCreations.then(create);
    this.queueCreations = created.catch(() => undefined);
    return created;
  }

  /** The process's one LISTEN connection, opened on first use (pg-replica-bus.ts). */
  bus(): Promise<ReplicaBus> {
    this.busStarted ??= (async () => {
      const bus = new ReplicaBus(this.url, this.replicaId);
      await bus.start();
      return bus;
    })().catch((error: unknown) => {
      this.busStarted = undefined;
      throw error;
    });
    return this.busStarted;
  }

  static async open(options: PgDatabaseOptions): Promise<PgDatabase> {
    const [{ default: Pg }, { default: Boss }] = await Promise.all([import('pg'), import('pg-boss')]);
    const pool = new Pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    pool.on('error', () => undefined); // an idle client's broken connection: the next query reports it
    try {
      await migrate(pool);
      const bossSchema = options.bossSchema ?? 'igny8_boss';
      if (!/^[a-z_][a-z0-9_]*$/.test(bossSchema)) {
        throw new Error(`pg-boss schema name ${bossSchema} must be a plain lowercase identifier`);
      }
      const boss = new Boss({ connectionString: options.url, schema: bossSchema, max: 4, schedule: false, deleteAfterSeconds: 3600 });
      boss.on('error', () => undefined);
      await boss.start();
      return new PgDatabase(pool, boss, bossSchema, options.url);
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Singleton work across replicas (reconciler pass, scheduled structure push, retention purge): runs `work` only if
   * no other process holds the advisory lock of `name` right now, else resolves to `{ ran: false }` at once. The lock is
   * a session lock on one dedicated connection, so a replica that dies mid-work releases it with its connection.
   */
  async runExclusive<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS got', [`igny8-singleton|${name}`]);
      if (rows[0]?.got !== true) {
        return { ran: false };
      }
      try {
        return { ran: true, value: await work() };
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`igny8-singleton|${name}`]);
      }
    } finally {
      client.release();
    }
  }

  /**
   * Enrolled, active sites with a job due now or a lease run out (a replica died holding it): the multi-site runtime
   * opens their sync even when no request from them arrived since it started or closed it (issue #16 §1).
   */
  async sitesWithDueWork(now: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT DISTINCT j.site_id FROM igny8_sync_jobs j JOIN igny8_sites s ON s.site_id = j.site_id
       WHERE s.status = 'active' AND ((j.state = 'pending' AND j.next_attempt_at <= $1) OR (j.state = 'in_flight' AND j.lease_until < $1))
       LIMIT $2`,
      [now, limit],
    );
    return rows.map((row: { site_id: string }) => row.site_id);
  }

  site(siteId: string, clock: () => number = Date.now): PgSyncStore {
    return new PgSyncStore(this, siteId, clock);
  }

  async close(): Promise<void> {
    const bus = this.busStarted;
    this.busStarted = undefined;
    await bus?.then((started) => started.stop()).catch(() => undefined);
    await this.boss.stop({ graceful: false, wait: true, close: true }).catch(() => undefined);
    await this.pool.end();
  }
}

interface Wake {
  post: number;
}

export class PgSyncStore implements SharedQueueStore {
  readonly siteId: string;
  private readonly db: PgDatabase;
  private readonly clock: () => number;
  private readonly queue: string;
  private queueReady: Promise<void> | undefined;
  private lastWakeNotice = 0;

  constructor(db: PgDatabase, siteId: string, clock: () => number) {
    this.db = db;
    this.siteId = siteId;
    this.clock = clock;
    this.queue = wakeQueue(siteId);
  }

  /** Creates the site's queue once (pg-boss: INSERT … ON CONFLICT DO NOTHING, so replicas may race). */
  private ensureQueue(): Promise<void> {
    this.queueReady ??= this.db.createQueue(this.queue).catch((error: unknown) => {
      this.queueReady = undefined;
      throw error;
    });
    return this.queueReady;
  }

  private async tx<T>(work: (client: Querier) => Promise<T>): Promise<T> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private q(sql: string, values: unknown[] = []): Promise<pg.QueryResult<Row>> {
    return this.db.pool.query(sql, values);
  }

  /** A wake-up for the row, due at `at` (ms). */
  private async wake(postIds: readonly number[], at?: number): Promise<void> {
    if (postIds.length === 0) {
      return;
    }
    await this.ensureQueue();
    const now = this.clock();
    const startAfter = at !== undefined && at > now ? new Date(at) : undefined;
    await this.db.boss.insert(postIds.map((post) => ({ name: this.queue, data: { post } satisfies Wake, ...(startAfter === undefined ? {} : { startAfter }) })));
    if (startAfter === undefined) {
      await this.notifyWake();
    }
  }

  /** Tells the other replicas that work is due (at most every 50 ms: their kicks coalesce, and the sweep catches the rest). */
  private async notifyWake(): Promise<void> {
    const now = Date.now();
    if (now - this.lastWakeNotice < 50) {
      return;
    }
    this.lastWakeNotice = now;
    await this.q('SELECT pg_notify($1, $2)', [WAKE_CHANNEL, wakePayload(this.db.replicaId, this.siteId)]);
  }

  async get(postId: number): Promise<SyncJob | undefined> {
    const { rows } = await this.q('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND post_id = $2', [this.siteId, postId]);
    return rows[0] === undefined ? undefined : toJob(fromPg(rows[0]));
  }

  async record(snapshot: SyncSnapshot, options: { manual?: boolean; force?: boolean } = {}): Promise<RecordOutcome> {
    return this.upsert(snapshot.post_id, 'post', snapshot.seq, (seq) => JSON.stringify({ ...snapshot, seq }), options, this.clock());
  }

  async recordJob(
    key: number,
    kind: Exclude<JobKind, 'post'>,
    seq: string,
    payload: Record<string, unknown>,
    options: { manual?: boolean; force?: boolean; dueAt?: number } = {},
  ): Promise<RecordOutcome> {
    return this.upsert(key, kind, seq, () => JSON.stringify(payload), options, options.dueAt ?? this.clock());
  }

  private async upsert(
    key: number,
    kind: JobKind,
    seq: string,
    body: (seq: string) => string,
    options: { manual?: boolean; force?: boolean },
    due: number,
  ): Promise<RecordOutcome> {
    const now = this.clock();
    const deliverable: SyncState = options.manual && !options.force ? 'pending_manual' : 'pending';
    const result = await this.tx(async (c): Promise<{ outcome: RecordOutcome; state?: SyncState }> => {
      const inserted = await c.query(
        `INSERT INTO igny8_sync_jobs (site_id, post_id, kind, seq_wanted, snapshot, state, attempts, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $8) ON CONFLICT DO NOTHING`,
        [this.siteId, key, kind, seq, body(seq), deliverable, due, now],
      );
      if (inserted.rowCount === 1) {
        return { outcome: 'new', state: deliverable };
      }
      const existing = fromPg((await c.query('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND post_id = $2 FOR UPDATE', [this.siteId, key])).rows[0] as Row);
      const order = compareSeq(seq, existing.seq_wanted);
      if (order < 0 || (order === 0 && !options.force)) {
        return { outcome: order < 0 ? 'stale' : 'duplicate' };
      }
      const next = order > 0 ? seq : existing.seq_wanted;
      const state: SyncState = existing.state === 'in_flight' ? 'in_flight' : deliverable;
      await c.query(
        `UPDATE igny8_sync_jobs SET kind = $1, seq_wanted = $2, snapshot = $3, state = $4, attempts = CASE WHEN $4 = 'in_flight' THEN attempts ELSE 0 END,
           next_attempt_at = $5, error_kind = NULL, updated_at = $6 WHERE site_id = $7 AND post_id = $8`,
        [kind, next, body(next), state, due, now, this.siteId, key],
      );
      return { outcome: 'updated', state };
    });
    if (result.state === 'pending') {
      await this.wake([key], due);
    }
    return result.outcome;
  }

  async reschedule(key: number, at: number): Promise<void> {
    const { rowCount } = await this.q(`UPDATE igny8_sync_jobs SET next_attempt_at = $1, updated_at = $2 WHERE site_id = $3 AND post_id = $4 AND state = 'pending'`, [
      at,
      this.clock(),
      this.siteId,
      key,
    ]);
    if (rowCount === 1) {
      await this.wake([key], at);
    }
  }

  /**
   * Takes due wake-ups from this site's queue one at a time (pg-boss order: oldest first) and claims the first row that
   * is still pending, due and not excluded. Stale or duplicate wake-ups are dropped; a row passed over now (excluded,
   * or rescheduled later) is woken again for its next attempt. One at a time because a fetched wake-up cannot be put
   * back: fetching 20 to claim 1 re-inserted the other 19 on every claim (29 transactions per delivered job, measured).
   */
  async claimNext(leaseMs: number, exclude: (job: SyncJob) => boolean = () => false): Promise<SyncJob | undefined> {
    await this.ensureQueue();
    const later: SyncJob[] = [];
    let claimed: SyncJob | undefined;
    try {
      for (let round = 0; round < CLAIM_ROUNDS && claimed === undefined; round++) {
        const [wakeup] = await this.db.boss.fetch<Wake>(this.queue, { batchSize: 1 });
        if (wakeup === undefined) {
          break;
        }
        const { rows: found } = await this.q('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND post_id = $2', [this.siteId, wakeup.data.post]);
        const row = found[0] === undefined ? undefined : toJob(fromPg(found[0]));
        const now = this.clock();
        if (row !== undefined && row.state === 'pending' && row.nextAttemptAt !== null) {
          if (row.nextAttemptAt > now || exclude(row)) {
            later.push(row);
          } else {
            const { rows } = await this.q(
              `UPDATE igny8_sync_jobs SET state = 'in_flight', seq_inflight = seq_wanted, lease_until = $1, updated_at = $2
               WHERE site_id = $3 AND post_id = $4 AND state = 'pending' AND next_attempt_at <= $2 RETURNING *`,
              [now + leaseMs, now, this.siteId, row.postId],
            );
            claimed = rows[0] === undefined ? undefined : toJob(fromPg(rows[0]));
          }
        } // else stale: the row was claimed, parked or held meanwhile
        await this.db.boss.complete(this.queue, [wakeup.id]);
      }
    } finally {
      for (const row of later) {
        await this.wake([row.postId], row.nextAttemptAt ?? undefined);
      }
    }
    return claimed;
  }

  async complete(postId: number, siteTime: string, sentWordpressStatus: string): Promise<SyncJob | undefined> {
    const now = this.clock();
    const newer = await this.tx(async (c) => {
      const found = (await c.query('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND post_id = $2 FOR UPDATE', [this.siteId, postId])).rows[0];
      if (found === undefined) {
        return undefined;
      }
      const row = fromPg(found);
      if (row.seq_inflight === null) {
        return undefined;
      }
      const isNewer = compareSeq(row.seq_wanted, row.seq_inflight) > 0;
      await c.query(
        `UPDATE igny8_sync_jobs SET seq_sent = seq_inflight, state = $1, attempts = 0, last_error = NULL, error_kind = NULL,
           next_attempt_at = $2, lease_until = NULL, writeback = 'synced', writeback_seq = seq_inflight, seq_inflight = NULL,
           last_synced_at = $3, last_synced_site_time = $4, sent_wordpress_status = $5, updated_at = $3 WHERE site_id = $6 AND post_id = $7`,
        [isNewer ? 'pending' : 'synced', isNewer ? now : null, now, siteTime, sentWordpressStatus, this.siteId, postId],
      );
      return isNewer;
    });
    if (newer === undefined) {
      return undefined;
    }
    if (newer) {
      await this.wake([postId]);
    }
    return this.get(postId);
  }

  async retryLater(postId: number, error: string, nextAttemptAt: number, maxAttempts: number): Promise<SyncState> {
    const now = this.clock();
    const { rows } = await this.q(
      `UPDATE igny8_sync_jobs SET attempts = attempts + 1,
         state = CASE WHEN attempts + 1 >= $1 THEN 'dead' ELSE 'pending' END,
         error_kind = CASE WHEN attempts + 1 >= $1 THEN 'dead' ELSE 'retry' END,
         next_attempt_at = CASE WHEN attempts + 1 >= $1 THEN NULL ELSE $2::bigint END,
         writeback = CASE WHEN attempts + 1 >= $1 THEN 'failed' ELSE writeback END,
         writeback_seq = CASE WHEN attempts + 1 >= $1 THEN seq_wanted ELSE writeback_seq END,
         last_error = $3, lease_until = NULL, seq_inflight = NULL, updated_at = $4
       WHERE site_id = $5 AND post_id = $6 RETURNING state`,
      [maxAttempts, nextAttemptAt, clip(error), now, this.siteId, postId],
    );
    const state = (rows[0]?.state as SyncState | undefined) ?? 'pending';
    if (rows[0] !== undefined && state === 'pending') {
      await this.wake([postId], nextAttemptAt);
    }
    return state;
  }

  async release(postId: number, nextAttemptAt?: number): Promise<void> {
    const now = this.clock();
    const at = nextAttemptAt ?? now;
    const { rowCount } = await this.q(
      `UPDATE igny8_sync_jobs SET state = 'pending', lease_until = NULL, seq_inflight = NULL, next_attempt_at = $1, updated_at = $2
       WHERE site_id = $3 AND post_id = $4 AND state = 'in_flight'`,
      [at, now, this.siteId, postId],
    );
    if (rowCount === 1) {
      await this.wake([postId], at);
    }
  }

  async park(postId: number, error: string, kind: string): Promise<void> {
    await this.q(
      `UPDATE igny8_sync_jobs SET state = 'failed', attempts = attempts + 1, last_error = $1, error_kind = $2, next_attempt_at = NULL, lease_until = NULL,
         seq_inflight = NULL, writeback = 'failed', writeback_seq = seq_wanted, updated_at = $3 WHERE site_id = $4 AND post_id = $5`,
      [clip(error), kind, this.clock(), this.siteId, postId],
    );
  }

  async parkAllPending(error: string, kind: string): Promise<number[]> {
    const { rows } = await this.q(
      `UPDATE igny8_sync_jobs SET state = 'failed', last_error = $1, error_kind = $2, next_attempt_at = NULL, lease_until = NULL, seq_inflight = NULL,
         writeback = 'failed', writeback_seq = seq_wanted, updated_at = $3 WHERE site_id = $4 AND state = 'pending' RETURNING post_id`,
      [clip(error), kind, this.clock(), this.siteId],
    );
    return rows.map((r) => Number(r.post_id)).sort((a, b) => a - b);
  }

  private async requeue(where: string, values: unknown[]): Promise<number[]> {
    const now = this.clock();
    const { rows } = await this.q(
      `UPDATE igny8_sync_jobs SET state = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE site_id = $2 AND ${where} RETURNING post_id`,
      [now, this.siteId, ...values],
    );
    const ids = rows.map((r) => Number(r.post_id)).sort((a, b) => a - b);
    await this.wake(ids);
    return ids;
  }

  async requeueParked(kind: string): Promise<number> {
    return (await this.requeue(`state = 'failed' AND error_kind = $3`, [kind])).length;
  }

  async requeueFailed(): Promise<number[]> {
    const now = this.clock();
    const { rows } = await this.q(
      `UPDATE igny8_sync_jobs SET state = 'pending', attempts = 0, next_attempt_at = $1, error_kind = NULL, updated_at = $1
       WHERE site_id = $2 AND kind = 'post' AND state IN ('failed', 'dead') RETURNING post_id`,
      [now, this.siteId],
    );
    const ids = rows.map((r) => Number(r.post_id)).sort((a, b) => a - b);
    await this.wake(ids);
    return ids;
  }

  async releaseManual(postIds?: readonly number[]): Promise<number> {
    const now = this.clock();
    const { rows } =
      postIds === undefined
        ? await this.q(`UPDATE igny8_sync_jobs SET state = 'pending', next_attempt_at = $1, updated_at = $1 WHERE site_id = $2 AND state = 'pending_manual' RETURNING post_id`, [now, this.siteId])
        : await this.q(
            `UPDATE igny8_sync_jobs SET state = 'pending', next_attempt_at = $1, updated_at = $1 WHERE site_id = $2 AND state = 'pending_manual' AND post_id = ANY($3::bigint[]) RETURNING post_id`,
            [now, this.siteId, [...postIds]],
          );
    await this.wake(rows.map((r) => Number(r.post_id)));
    return rows.length;
  }

  async holdPending(): Promise<number> {
    const { rowCount } = await this.q(`UPDATE igny8_sync_jobs SET state = 'pending_manual', updated_at = $1 WHERE site_id = $2 AND state = 'pending'`, [this.clock(), this.siteId]);
    return rowCount ?? 0;
  }

  async nextDueAt(): Promise<number | undefined> {
    const { rows } = await this.q(`SELECT MIN(next_attempt_at) AS due FROM igny8_sync_jobs WHERE site_id = $1 AND state = 'pending'`, [this.siteId]);
    return num(rows[0]?.due) ?? undefined;
  }

  /** When the oldest post change still waiting was made (its seq is microseconds), else the row's creation. */
  async oldestWaitingAt(): Promise<number | undefined> {
    const { rows } = await this.q(
      `SELECT MIN(seq_wanted::numeric) AS seq, MIN(created_at) AS created FROM igny8_sync_jobs WHERE site_id = $1 AND kind = 'post' AND state IN ('pending', 'in_flight')`,
      [this.siteId],
    );
    if (rows[0]?.seq === null || rows[0]?.seq === undefined || rows[0]?.created === null) {
      return undefined;
    }
    const fromSeq = Number(BigInt(String(rows[0].seq).split('.')[0] as string) / 1_000_000n);
    const created = num(rows[0].created) as number;
    return fromSeq > Date.UTC(2020, 0, 1) && fromSeq <= this.clock() + 86_400_000 ? fromSeq : created;
  }

  /**
   * In-flight rows whose lease ended go back to pending with a new wake-up, counted in `redeliveries` (a replica died
   * mid-delivery: at least once, PUT is idempotent). `all` (a single-site process at open) takes every in-flight row of
   * this site, as the SQLite store does.
   */
  async recoverLeases(all = false): Promise<number> {
    const now = this.clock();
    const { rows } = await this.q(
      `UPDATE igny8_sync_jobs SET state = 'pending', seq_inflight = NULL, lease_until = NULL, next_attempt_at = $1, updated_at = $1,
         redeliveries = redeliveries + 1
       WHERE site_id = $2 AND state = 'in_flight' AND ($3 OR lease_until < $1) RETURNING post_id`,
      [now, this.siteId, all],
    );
    await this.wake(rows.map((r) => Number(r.post_id)));
    return rows.length;
  }

  /** Deliveries this site repeated after a lease expired. */
  async redeliveries(): Promise<number> {
    const { rows } = await this.q('SELECT COALESCE(SUM(redeliveries), 0) AS n FROM igny8_sync_jobs WHERE site_id = $1', [this.siteId]);
    return Number(rows[0]?.n ?? 0);
  }

  async counts(): Promise<QueueCounts> {
    const counts: QueueCounts = { pending: 0, pending_manual: 0, in_flight: 0, synced: 0, failed: 0, dead: 0 };
    const { rows } = await this.q(`SELECT state, COUNT(*) AS n FROM igny8_sync_jobs WHERE site_id = $1 AND kind = 'post' GROUP BY state`, [this.siteId]);
    for (const row of rows) {
      counts[row.state as SyncState] = Number(row.n);
    }
    return counts;
  }

  async owedWritebacks(limit: number): Promise<SyncJob[]> {
    const { rows } = await this.q('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND writeback IS NOT NULL ORDER BY updated_at LIMIT $2', [this.siteId, limit]);
    return rows.map((r) => toJob(fromPg(r)));
  }

  async writebackDone(postId: number, writeback: Writeback, seq: string): Promise<void> {
    await this.q('UPDATE igny8_sync_jobs SET writeback = NULL, writeback_seq = NULL WHERE site_id = $1 AND post_id = $2 AND writeback = $3 AND writeback_seq = $4', [
      this.siteId,
      postId,
      writeback,
      seq,
    ]);
  }

  async oweWriteback(postId: number, seq: string): Promise<void> {
    await this.q(`UPDATE igny8_sync_jobs SET writeback = 'synced', writeback_seq = $1 WHERE site_id = $2 AND post_id = $3 AND state = 'synced'`, [seq, this.siteId, postId]);
  }

  async clearJobs(): Promise<number> {
    return (await this.q('DELETE FROM igny8_sync_jobs WHERE site_id = $1', [this.siteId])).rowCount ?? 0;
  }

  async remove(postId: number): Promise<void> {
    await this.q('DELETE FROM igny8_sync_jobs WHERE site_id = $1 AND post_id = $2', [this.siteId, postId]);
  }

  async getValue(key: string): Promise<string | undefined> {
    const { rows } = await this.q('SELECT value FROM igny8_kv WHERE site_id = $1 AND key = $2', [this.siteId, key]);
    return rows[0]?.value as string | undefined;
  }

  /** Writes the row and tells the other replicas in one statement (the notification is sent when it commits). */
  async setValue(key: string, value: string): Promise<void> {
    await this.q(
      `WITH written AS (
         INSERT INTO igny8_kv (site_id, key, value, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (site_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at RETURNING key
       ) SELECT pg_notify($5, $6) FROM written`,
      [this.siteId, key, value, this.clock(), KV_CHANNEL, kvPayload(this.db.replicaId, this.siteId, key)],
    );
  }

  async deleteValue(key: string): Promise<void> {
    await this.q(
      `WITH gone AS (DELETE FROM igny8_kv WHERE site_id = $1 AND key = $2 RETURNING key) SELECT pg_notify($3, $4) FROM gone`,
      [this.siteId, key, KV_CHANNEL, kvPayload(this.db.replicaId, this.siteId, key)],
    );
  }

  async watch(events: StoreEvents): Promise<() => void> {
    const bus = await this.db.bus();
    return bus.subscribe(this.siteId, events);
  }

  async runSingleton<T>(name: string, minIntervalMs: number, work: () => Promise<T | undefined>): Promise<SingletonOutcome<T>> {
    const client = await this.db.pool.connect();
    const lockKey = `${this.siteId}|${name}`;
    let broken: Error | undefined;
    try {
      const { rows } = await client.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS got', [SINGLETON_LOCK, lockKey]);
      if (rows[0]?.got !== true) {
        return { ran: false, reason: 'busy' };
      }
      try {
        const now = this.clock();
        const last = (await client.query('SELECT last_succeeded_at FROM igny8_singletons WHERE site_id = $1 AND name = $2', [this.siteId, name])).rows[0];
        const succeeded = num(last?.last_succeeded_at);
        if (minIntervalMs > 0 && succeeded !== null && now - succeeded < minIntervalMs) {
          return { ran: false, reason: 'recent' };
        }
        await client.query(
          `INSERT INTO igny8_singletons (site_id, name, last_started_at, replica) VALUES ($1, $2, $3, $4)
           ON CONFLICT (site_id, name) DO UPDATE SET last_started_at = excluded.last_started_at, replica = excluded.replica`,
          [this.siteId, name, now, this.db.replicaId],
        );
        const value = await work();
        if (value !== undefined) {
          await client.query('UPDATE igny8_singletons SET last_succeeded_at = $1 WHERE site_id = $2 AND name = $3', [this.clock(), this.siteId, name]);
        }
        return { ran: true, value };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [SINGLETON_LOCK, lockKey]).catch((error: unknown) => {
          broken = error as Error; // a connection that may still hold the lock is not given back to the pool
        });
      }
    } finally {
      client.release(broken);
    }
  }

  async exclusively<T>(name: string, work: () => Promise<T>, waitMs = 30_000): Promise<T> {
    const client = await this.db.pool.connect();
    const lockKey = `${this.siteId}|${name}`;
    let broken: Error | undefined;
    try {
      // Bounded wait: a holder that hangs makes this fail (retried like any store error), never block forever.
      await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [SINGLETON_LOCK, lockKey]);
      try {
        return await work();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [SINGLETON_LOCK, lockKey]).catch((error: unknown) => {
          broken = error as Error;
        });
      }
    } finally {
      await client.query('RESET lock_timeout').catch((error: unknown) => {
        broken ??= error as Error;
      });
      client.release(broken);
    }
  }

  async recoverOrphans(graceMs: number): Promise<number> {
    const now = this.clock();
    // A wake-up that will still deliver: created or retrying, or fetched recently (its fetcher may be claiming it).
    const { rows } = await this.q(
      `SELECT j.post_id, j.next_attempt_at FROM igny8_sync_jobs j
       WHERE j.site_id = $1 AND j.state = 'pending' AND j.next_attempt_at < $2
         AND NOT EXISTS (
           SELECT 1 FROM ${this.db.bossSchema}.job b WHERE b.name = $3 AND (b.data->>'post')::bigint = j.post_id
             AND (b.state IN ('created', 'retry') OR (b.state = 'active' AND b.started_on > now() - make_interval(secs => $4)))
         )
       LIMIT 1000`,
      [this.siteId, now - graceMs, this.queue, graceMs / 1000],
    );
    await this.wake(rows.map((r) => Number(r.post_id)));
    return rows.length;
  }

  async values(): Promise<Array<[string, string]>> {
    const { rows } = await this.q('SELECT key, value FROM igny8_kv WHERE site_id = $1', [this.siteId]);
    return rows.map((row) => [row.key as string, row.value as string]);
  }

  /** Deletes the site's pg-boss queue with its wake-ups (the site was removed). */
  async dropQueue(): Promise<void> {
    // pg-boss 10's delete_queue drops the queue row before its partition: the partition's jobs (completed ones too,
    // which purgeQueue keeps) would violate its foreign key, so they go first.
    await this.db.pool.query(`DELETE FROM ${this.db.bossSchema}.job WHERE name = $1`, [this.queue]);
    await this.db.boss.deleteQueue(this.queue);
    this.queueReady = undefined;
  }

  /** A site's store shares the process's database: closing it closes nothing (PgDatabase.close does). */
  close(): void {}
}
