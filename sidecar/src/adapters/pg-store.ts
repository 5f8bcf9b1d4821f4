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
import { PgActivityLog } from './pg-activity-log.ts';
import { GUARD_PURGE_INTERVAL_MS, PgRateLimiter, PgReplayLedger, purgeRequestGuards } from './pg-guards.ts';
import { KV_CHANNEL, kvPayload, ReplicaBus, WAKE_CHANNEL, wakePayload } from './pg-replica-bus.ts';
import type { RequestGuards, SharedQueueStore, SingletonOutcome, StoreEvents } from './queue-store.ts';
import { clip, toJob, type JobKind, type JobRow, type QueueCounts, type RecordOutcome, type SyncJob, type SyncState, type Writeback } from './sync-store.ts';

/** The advisory lock key of the store's migrations ('igny8' as a number). */
const MIGRATION_LOCK = 0x69676e79;
/** The first key of the two-key advisory locks of singleton passes ('sgl1'); the second is hashtext(site|name). */
const SINGLETON_LOCK = 0x73676c31;
/** The igny8_singletons key of deployment-wide passes (no site id has this form). */
const DEPLOYMENT = '*';
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
  {
    // Request guards shared by the replicas (adapters/pg-guards.ts): the seen jtis of shim tokens, kept until the
    // token could no longer pass the time check, and the sites' rate-limit buckets.
    version: 4,
    sql: `
CREATE TABLE igny8_replay (
  site_id TEXT NOT NULL,
  jti TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (site_id, jti)
);
CREATE INDEX igny8_replay_expiry ON igny8_replay (expires_at);
CREATE TABLE igny8_rate_buckets (
  bucket TEXT PRIMARY KEY,
  tokens DOUBLE PRECISION NOT NULL,
  allowed BOOLEAN NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX igny8_rate_buckets_updated ON igny8_rate_buckets (updated_at);`,
  },
  {
    // The activity log of every site (adapters/pg-activity-log.ts): the replicas write and page one log per site.
    version: 5,
    sql: `
CREATE TABLE igny8_activity (
  id BIGSERIAL PRIMARY KEY,
  site_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  direction TEXT NOT NULL,
  kind TEXT NOT NULL,
  route TEXT,
  target TEXT,
  content_id TEXT,
  post_id BIGINT,
  outcome TEXT NOT NULL,
  code TEXT,
  http_status INTEGER,
  duration_ms INTEGER,
  request_id TEXT,
  attempts INTEGER,
  next_retry_at BIGINT,
  error TEXT
);
CREATE INDEX igny8_activity_site ON igny8_activity (site_id, id);
CREATE INDEX igny8_activity_site_at ON igny8_activity (site_id, at);
CREATE INDEX igny8_activity_post ON igny8_activity (site_id, post_id, id);
CREATE INDEX igny8_activity_content ON igny8_activity (site_id, content_id) WHERE content_id IS NOT NULL;
CREATE INDEX igny8_activity_request ON igny8_activity (site_id, request_id) WHERE request_id IS NOT NULL;`,
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

/** A finished delivery waiting for its batch (PgDatabase.completeJob). */
interface Completion {
  siteId: string;
  postId: number;
  siteTime: string;
  status: string;
  now: number;
  resolve: (row: Row | undefined) => void;
  reject: (error: unknown) => void;
}

/** The most completions one statement writes. */
const COMPLETION_BATCH = 500;

/**
 * The completions of every site of this process in one statement: SET reads each row as it was, so seq_sent takes
 * seq_inflight before it is cleared; a row whose newer change arrived during the delivery goes back to pending.
 * `site_id = ANY AND post_id = ANY` lets the primary key find the rows (the join on unnest alone may scan).
 */
const COMPLETE_SQL = `UPDATE igny8_sync_jobs j SET seq_sent = j.seq_inflight,
    state = CASE WHEN j.seq_wanted::numeric > j.seq_inflight::numeric THEN 'pending' ELSE 'synced' END,
    next_attempt_at = CASE WHEN j.seq_wanted::numeric > j.seq_inflight::numeric THEN c.now ELSE NULL END,
    attempts = 0, last_error = NULL, error_kind = NULL, lease_until = NULL, writeback = 'synced', writeback_seq = j.seq_inflight,
    seq_inflight = NULL, last_synced_at = c.now, last_synced_site_time = c.site_time, sent_wordpress_status = c.status, updated_at = c.now
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS c(site_id, post_id, site_time, status, now)
  WHERE j.site_id = ANY($1::text[]) AND j.post_id = ANY($2::bigint[]) AND j.site_id = c.site_id AND j.post_id = c.post_id
    AND j.seq_inflight IS NOT NULL
  RETURNING j.*`;

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
  /**
   * Work that holds a pool connection for an advisory lock while it waits on something else: singleton passes and
   * `exclusively` (token renewals), each at most a quarter of the pool at once, so they never take every connection
   * (a token renewal holds its lock's connection and then needs another one to store the tokens: 20 sites logging in
   * at once held all 20 and waited for a 21st, measured). Separate counts: a singleton pass may renew a token.
   */
  private readonly slots = { singleton: { running: 0, waiters: [] as Array<() => void> }, exclusive: { running: 0, waiters: [] as Array<() => void> } };
  private readonly singletonLimit: number;
  /** The pg-boss queues known to exist (read once, then kept up to date by this process's creations and drops). */
  private knownQueues: Promise<Set<string>> | undefined;
  private lastGuardPurge = 0;
  /** Completions waiting for the next statement, and whether one is being written now. */
  private completions: Completion[] = [];
  private completing = false;
  private constructor(pool: pg.Pool, boss: PgBoss, bossSchema: string, url: string, poolSize: number) {
    this.singletonLimit = Math.max(1, Math.floor(poolSize / 4));
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
  createQueue(name: string, options: { fresh?: boolean } = {}): Promise<void> {
    const create = async (): Promise<void> => {
      // The queues that exist are read once per process (one query, not one create_queue call per site opened);
      // `fresh` asks PostgreSQL anyway (enrolment: another replica may have dropped it).
      this.knownQueues ??= this.boss.getQueues().then((queues) => new Set(queues.map((q) => q.name)));
      const known = await this.knownQueues.catch((error: unknown) => {
        this.knownQueues = undefined;
        throw error;
      });
      if (known.has(name) && options.fresh !== true) {
        return;
      }
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.boss.createQueue(name, { name, policy: 'standard', retryLimit: 0 });
          known.add(name);
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

  /**
   * Runs a singleton pass when one of this process's few slots for them is free. A pass holds a pool connection for
   * its advisory lock while it calls the site (the reconciler's list_pending): 1,000 open sites' passes at once would
   * hold every connection and make deliveries wait for one.
   */
  async singletonSlot<T>(run: () => Promise<T>, kind: 'singleton' | 'exclusive' = 'singleton'): Promise<T> {
    const slot = this.slots[kind];
    while (slot.running >= this.singletonLimit) {
      await new Promise<void>((resolve) => slot.waiters.push(resolve));
    }
    slot.running += 1;
    try {
      return await run();
    } finally {
      slot.running -= 1;
      slot.waiters.shift()?.();
    }
  }

  /**
   * Marks a delivered row done (PgSyncStore.complete), in one statement with every other completion of this process
   * that is waiting: the first goes out on the next turn of the event loop, and those that finish while a statement
   * is on its way share the next one (one statement per job was the largest part of a drain's statements). Resolves
   * once the row is written, with the row as written (undefined: it was not in flight), so the caller's at-least-once
   * order is unchanged.
   */
  completeJob(siteId: string, postId: number, siteTime: string, status: string, now: number): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      this.completions.push({ siteId, postId, siteTime, status, now, resolve, reject });
      if (this.completions.length === 1 && !this.completing) {
        setImmediate(() => void this.writeCompletions());
      }
    });
  }

  private async writeCompletions(): Promise<void> {
    if (this.completing || this.completions.length === 0) {
      return;
    }
    this.completing = true;
    // One row per key per statement (UPDATE … FROM takes one source row per target row); a repeat waits for the next.
    const batch: Completion[] = [];
    const rest: Completion[] = [];
    const keys = new Set<string>();
    for (const item of this.completions) {
      const key = `${item.postId}|${item.siteId}`;
      (keys.has(key) || batch.length >= COMPLETION_BATCH ? rest : batch).push(item);
      keys.add(key);
    }
    this.completions = rest;
    try {
      const { rows } = await this.pool.query<Row>({
        name: 'igny8-complete',
        text: COMPLETE_SQL,
        values: [batch.map((c) => c.siteId), batch.map((c) => c.postId), batch.map((c) => c.siteTime), batch.map((c) => c.status), batch.map((c) => c.now)],
      });
      const byKey = new Map(rows.map((row) => [`${Number(row.post_id)}|${String(row.site_id)}`, row]));
      for (const item of batch) {
        item.resolve(byKey.get(`${item.postId}|${item.siteId}`));
      }
    } catch (error) {
      for (const item of batch) {
        item.reject(error);
      }
    } finally {
      this.completing = false;
      if (this.completions.length > 0) {
        void this.writeCompletions();
      }
    }
  }

  /** A queue this process dropped: a later createQueue creates it again. */
  forgetQueue(name: string): void {
    void this.knownQueues?.then((known) => known.delete(name)).catch(() => undefined);
  }

  /**
   * Asks for the purge of expired jtis and idle rate buckets (pg-guards.ts): at most once a minute per process, and
   * run at most once a minute across the replicas (a deployment-wide singleton). Never waited for, never throws.
   */
  purgeRequestGuardsSoon(nowMs: number): void {
    if (nowMs - this.lastGuardPurge < GUARD_PURGE_INTERVAL_MS) {
      return;
    }
    this.lastGuardPurge = nowMs;
    this.site(DEPLOYMENT, () => nowMs)
      .runSingleton('request-guard-purge', GUARD_PURGE_INTERVAL_MS, () => purgeRequestGuards(this, nowMs))
      .catch(() => undefined); // the next one retries; an unpurged row only takes room
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
      return new PgDatabase(pool, boss, bossSchema, options.url, options.poolSize ?? 10);
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

  /**
   * In-flight rows of every site whose lease ended go back to pending, each with a new wake-up in its site's queue,
   * counted in `redeliveries` (PgSyncStore.recoverLeases for all sites in one statement: the multi-site sweep).
   */
  async recoverExpiredLeases(now: number): Promise<number> {
    const { rows } = await this.pool.query(
      `UPDATE igny8_sync_jobs SET state = 'pending', seq_inflight = NULL, lease_until = NULL, next_attempt_at = $1, updated_at = $1,
         redeliveries = redeliveries + 1
       WHERE state = 'in_flight' AND lease_until < $1 RETURNING site_id, post_id`,
      [now],
    );
    const bySite = new Map<string, number[]>();
    for (const row of rows as Array<{ site_id: string; post_id: string }>) {
      bySite.set(row.site_id, [...(bySite.get(row.site_id) ?? []), Number(row.post_id)]);
    }
    for (const [siteId, posts] of bySite) {
      await this.site(siteId).wakeNow(posts);
    }
    return rows.length;
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

  /**
   * Creates the site's queue once (pg-boss: INSERT … ON CONFLICT DO NOTHING, so replicas may race). Enrolment does
   * it (SiteRegistry.redeem): creating a queue is DDL (a partition table and its indexes, about 100 ms of PostgreSQL
   * time measured), which a site's first change should not wait for.
   */
  ensureQueue(options: { fresh?: boolean } = {}): Promise<void> {
    if (options.fresh === true) {
      this.queueReady = undefined;
    }
    this.queueReady ??= this.db.createQueue(this.queue, options).catch((error: unknown) => {
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

  /** `name`: a prepared statement (parsed once per connection; the hot paths of a delivery). */
  private q(sql: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<Row>> {
    return name === undefined ? this.db.pool.query(sql, values) : this.db.pool.query({ name, text: sql, values });
  }

  /** A wake-up for the row, due at `at` (ms). */
  private async wake(postIds: readonly number[], at?: number): Promise<void> {
    if (postIds.length === 0) {
      return;
    }
    await this.ensureQueue();
    const now = this.clock();
    const startAfter = at !== undefined && at > now ? new Date(at) : undefined;
    const jobs = postIds.map((post) => ({ name: this.queue, data: { post } satisfies Wake, ...(startAfter === undefined ? {} : { startAfter }) }));
    try {
      await this.db.boss.insert(jobs);
    } catch (error) {
      // The queue is gone (the site was removed and enrolled again through another replica): create it again, once.
      if ((error as { code?: unknown }).code !== '23514') {
        throw error;
      }
      this.db.forgetQueue(this.queue);
      this.queueReady = undefined;
      await this.ensureQueue();
      await this.db.boss.insert(jobs);
    }
    if (startAfter === undefined) {
      await this.notifyWake();
    }
  }

  /** Wake-ups due now for these rows (PgDatabase.recoverExpiredLeases). */
  wakeNow(postIds: readonly number[]): Promise<void> {
    return this.wake(postIds);
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
    return (await this.recordMany([snapshot], options))[0] as RecordOutcome;
  }

  /**
   * Records a batch of changes (one notify's events) in one statement per batch and one pg-boss insert for their
   * wake-ups, with the same rules as `record` for each (an event for a post seen earlier in the batch goes in the next
   * statement, so the batch behaves as the events one after another).
   */
  async recordMany(snapshots: readonly SyncSnapshot[], options: { manual?: boolean; force?: boolean } = {}): Promise<RecordOutcome[]> {
    const now = this.clock();
    return this.upsertMany(
      snapshots.map((snapshot) => ({ key: snapshot.post_id, kind: 'post' as const, seq: snapshot.seq, body: JSON.stringify(snapshot) })),
      options,
      now,
    );
  }

  async recordJob(
    key: number,
    kind: Exclude<JobKind, 'post'>,
    seq: string,
    payload: Record<string, unknown>,
    options: { manual?: boolean; force?: boolean; dueAt?: number } = {},
  ): Promise<RecordOutcome> {
    return (await this.upsertMany([{ key, kind, seq, body: JSON.stringify(payload) }], options, options.dueAt ?? this.clock()))[0] as RecordOutcome;
  }

  /**
   * One INSERT … ON CONFLICT DO UPDATE for rows of distinct keys: a new key is inserted; an existing row takes the
   * change only when its seq is newer (or equal with `force`), stays `in_flight` if it is (the worker sees the newer
   * seq when the delivery ends) and is otherwise deliverable. The rows it did not take are stale or duplicate,
   * told apart by the seq they had (read in the same statement's snapshot).
   */
  private async upsertMany(
    rows: ReadonlyArray<{ key: number; kind: JobKind; seq: string; body: string }>,
    options: { manual?: boolean; force?: boolean },
    due: number,
  ): Promise<RecordOutcome[]> {
    const now = this.clock();
    const deliverable: SyncState = options.manual && !options.force ? 'pending_manual' : 'pending';
    const outcomes: RecordOutcome[] = new Array<RecordOutcome>(rows.length);
    const woken: number[] = [];
    // Distinct keys per statement (ON CONFLICT cannot touch one row twice), in key order (a stable lock order).
    let rest = rows.map((row, index) => ({ ...row, index }));
    while (rest.length > 0) {
      const seen = new Set<number>();
      const batch: typeof rest = [];
      const later: typeof rest = [];
      for (const row of rest) {
        (seen.has(row.key) ? later : batch).push(row);
        seen.add(row.key);
      }
      rest = later;
      batch.sort((a, b) => a.key - b.key);
      const { rows: result } = await this.q(
        `WITH input AS (
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS t(post_id, kind, seq, body)
         ), before AS (
           SELECT j.post_id, j.seq_wanted FROM igny8_sync_jobs j JOIN input i ON i.post_id = j.post_id WHERE j.site_id = $5
         ), written AS (
           INSERT INTO igny8_sync_jobs AS j (site_id, post_id, kind, seq_wanted, snapshot, state, attempts, next_attempt_at, created_at, updated_at)
           SELECT $5, post_id, kind, seq, body, $6, 0, $7, $8, $8 FROM input ORDER BY post_id
           ON CONFLICT (site_id, post_id) DO UPDATE SET kind = excluded.kind, seq_wanted = excluded.seq_wanted, snapshot = excluded.snapshot,
             state = CASE WHEN j.state = 'in_flight' THEN 'in_flight' ELSE excluded.state END,
             attempts = CASE WHEN j.state = 'in_flight' THEN j.attempts ELSE 0 END,
             next_attempt_at = excluded.next_attempt_at, error_kind = NULL, updated_at = excluded.updated_at
           WHERE excluded.seq_wanted::numeric > j.seq_wanted::numeric OR ($9 AND excluded.seq_wanted::numeric = j.seq_wanted::numeric)
           RETURNING j.post_id, j.state, (j.xmax = 0) AS inserted
         )
         SELECT i.post_id, w.state, w.inserted, (i.seq::numeric < b.seq_wanted::numeric) AS stale
         FROM input i LEFT JOIN written w ON w.post_id = i.post_id LEFT JOIN before b ON b.post_id = i.post_id`,
        [batch.map((r) => r.key), batch.map((r) => r.kind), batch.map((r) => r.seq), batch.map((r) => r.body), this.siteId, deliverable, due, now, options.force === true],
        'igny8-record',
      );
      const byKey = new Map(result.map((r) => [Number(r.post_id), r]));
      for (const row of batch) {
        const r = byKey.get(row.key);
        if (r?.state === null || r?.state === undefined) {
          outcomes[row.index] = r?.stale === true ? 'stale' : 'duplicate';
        } else {
          outcomes[row.index] = r.inserted === true ? 'new' : 'updated';
          if (r.state === 'pending') {
            woken.push(row.key);
          }
        }
      }
    }
    await this.wake([...new Set(woken)], due);
    return outcomes;
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

  async claimNext(leaseMs: number): Promise<SyncJob | undefined> {
    return (await this.claimMany(leaseMs, 1))[0];
  }

  /**
   * Claims up to `limit` rows: fetches that many due wake-ups from the site's queue in one pg-boss fetch (SELECT … FOR
   * UPDATE SKIP LOCKED, oldest first), claims their rows in one conditional UPDATE (still pending and due) and
   * completes the wake-ups in one pg-boss complete. A stale or duplicate wake-up costs nothing more; a row whose next
   * attempt moved later is woken again for it. Fetching only as many as there are free slots means a fetched wake-up
   * never has to be put back (fetching 20 to claim 1 cost 29 transactions per delivered job, measured).
   */
  async claimMany(leaseMs: number, limit: number): Promise<SyncJob[]> {
    await this.ensureQueue();
    const claimed: SyncJob[] = [];
    for (let round = 0; round < CLAIM_ROUNDS && claimed.length < limit; round++) {
      const want = limit - claimed.length;
      const wakeups = await this.db.boss.fetch<Wake>(this.queue, { batchSize: want });
      if (wakeups.length === 0) {
        break;
      }
      const posts = [...new Set(wakeups.map((w) => Number(w.data.post)))];
      const now = this.clock();
      const { rows } = await this.q(
        `WITH claimed AS (
           UPDATE igny8_sync_jobs SET state = 'in_flight', seq_inflight = seq_wanted, lease_until = $1, updated_at = $2
           WHERE site_id = $3 AND post_id = ANY($4::bigint[]) AND state = 'pending' AND next_attempt_at <= $2 RETURNING *
         )
         SELECT true AS claimed, * FROM claimed
         UNION ALL
         SELECT false, j.* FROM igny8_sync_jobs j
         WHERE j.site_id = $3 AND j.post_id = ANY($4::bigint[]) AND j.state = 'pending' AND j.next_attempt_at > $2`,
        [now + leaseMs, now, this.siteId, posts],
        'igny8-claim',
      );
      const later: SyncJob[] = [];
      for (const row of rows) {
        (row.claimed === true ? claimed : later).push(toJob(fromPg(row)));
      } // the others are stale: claimed, parked or held meanwhile
      await this.db.boss.complete(this.queue, wakeups.map((w) => w.id));
      // Rescheduled later since their wake-up was sent: woken again for their next attempt.
      for (const job of later) {
        await this.wake([job.postId], job.nextAttemptAt ?? undefined);
      }
      if (wakeups.length < want) {
        break;
      }
    }
    return claimed;
  }

  async complete(postId: number, siteTime: string, sentWordpressStatus: string): Promise<SyncJob | undefined> {
    // Batched with the process's other completions (PgDatabase.completeJob): resolves once the row is written.
    const row = await this.db.completeJob(this.siteId, postId, siteTime, sentWordpressStatus, this.clock());
    if (row === undefined) {
      return undefined;
    }
    const job = toJob(fromPg(row));
    if (job.state === 'pending') {
      await this.wake([postId]);
    }
    return job;
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
    const { rows } = await this.q('SELECT * FROM igny8_sync_jobs WHERE site_id = $1 AND writeback IS NOT NULL ORDER BY updated_at LIMIT $2', [this.siteId, limit], 'igny8-owed');
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

  /** Several write-backs WordPress took, in one statement (a write-back batch). */
  async writebacksDone(done: ReadonlyArray<{ postId: number; writeback: Writeback; seq: string }>): Promise<void> {
    if (done.length === 0) {
      return;
    }
    await this.q(
      // post_id = ANY: the primary key finds the rows (a join on unnest alone was planned as a scan of the site's rows).
      `UPDATE igny8_sync_jobs SET writeback = NULL, writeback_seq = NULL
       WHERE site_id = $1 AND post_id = ANY($2::bigint[])
         AND (post_id, writeback, writeback_seq) IN (SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[]))`,
      [this.siteId, done.map((d) => d.postId), done.map((d) => d.writeback), done.map((d) => d.seq)],
      'igny8-writebacks-done',
    );
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

  /** Compare-and-swap of one value, announced to the other replicas like setValue when it was written. */
  async replaceValue(key: string, expected: string, value: string): Promise<boolean> {
    const { rows } = await this.q(
      `WITH written AS (
         UPDATE igny8_kv SET value = $3, updated_at = $4 WHERE site_id = $1 AND key = $2 AND value = $5 RETURNING key
       ) SELECT pg_notify($6, $7) FROM written`,
      [this.siteId, key, value, this.clock(), expected, KV_CHANNEL, kvPayload(this.db.replicaId, this.siteId, key)],
    );
    return rows.length === 1;
  }

  async watch(events: StoreEvents): Promise<() => void> {
    const bus = await this.db.bus();
    return bus.subscribe(this.siteId, events);
  }

  async runSingleton<T>(name: string, minIntervalMs: number, work: () => Promise<T | undefined>): Promise<SingletonOutcome<T>> {
    return this.db.singletonSlot(() => this.runSingletonNow(name, minIntervalMs, work));
  }

  private async runSingletonNow<T>(name: string, minIntervalMs: number, work: () => Promise<T | undefined>): Promise<SingletonOutcome<T>> {
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

  exclusively<T>(name: string, work: () => Promise<T>, waitMs = 30_000): Promise<T> {
    return this.db.singletonSlot(() => this.exclusivelyNow(name, work, waitMs), 'exclusive');
  }

  private async exclusivelyNow<T>(name: string, work: () => Promise<T>, waitMs: number): Promise<T> {
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
    this.db.forgetQueue(this.queue);
    this.queueReady = undefined;
  }

  /** This site's replay ledger and rate limits, shared by every replica (pg-guards.ts). */
  requestGuards(perMinute: number): RequestGuards {
    return { replayCache: new PgReplayLedger(this.db, this.siteId, this.clock), rateLimiter: new PgRateLimiter(this.db, { perMinute, clock: this.clock }) };
  }

  /** This site's activity log, the same for every replica (pg-activity-log.ts). */
  activityLog(): PgActivityLog {
    return new PgActivityLog(this.db, this.siteId, this.clock);
  }

  /** A site's store shares the process's database: closing it closes nothing (PgDatabase.close does). */
  close(): void {}
}
