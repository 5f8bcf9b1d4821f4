/**
 * The durable sync queue (SPEC §3 rule 5, §10 "Queue semantics") in an embedded SQLite store (better-sqlite3 12,
 * WAL, synchronous=NORMAL, files 0600, a lock file so a second sidecar on the same store refuses to start).
 *
 * One row per post: `seq_wanted` (the newest change WordPress reported), `seq_sent` (the newest IGNY8 has),
 * `seq_inflight` (what the delivery in flight sends), the latest snapshot (coalescing: the latest wins), state,
 * attempts, last error, next attempt time and a lease. One delivery is in flight per post because only a
 * `pending` row can be claimed and claiming makes it `in_flight`. A crash leaves `in_flight` rows, which go back to
 * `pending` when the store opens again (the lock guarantees nobody else holds them) or when their lease ends.
 *
 * `writeback` marks a result still owed to WordPress (sync meta + compare-and-clear of the marker), so that a
 * WordPress outage after a delivery costs a later write, never a second delivery.
 *
 * Besides posts, the same table carries other job kinds with the same coalescing, retries and parking
 * (SPEC §6 "Site structure and taxonomies"): `structure` (the site-metadata push, one row with key 0), `term`
 * (a reported taxonomy change, key = −term id) and `brief` (a task-brief fetch, issue #13 §5, key = briefKey(post
 * id)). Their payload is in the `snapshot` column; `counts()` and the editor's views are about posts only.
 *
 * A small key/value table holds the rest of the sidecar's durable state (settings snapshot, sealed credentials,
 * connection state).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';

import Database from 'better-sqlite3';

import type { SyncState as ContractSyncState } from '../contract/contract.ts';
import type { QueueStore } from './queue-store.ts';
import { compareSeq, SyncSnapshot } from '../sync/snapshot.ts';

/** A queue row's state: the contract's sync states except `never` (a post in the queue has been seen). */
export type SyncState = Exclude<ContractSyncState, 'never'>;
export type Writeback = 'synced' | 'failed';
export type JobKind = 'post' | 'structure' | 'term' | 'brief';

/** The row key of the structure push. */
export const STRUCTURE_KEY = 0;
/** The row key of a term's change. */
export const termKey = (termId: number): number => -termId;
/** Row keys of task-brief fetches: below every term key (WordPress term ids stay far under 2^40). */
const BRIEF_KEY_BASE = 2 ** 40;
export const briefKey = (postId: number): number => -(BRIEF_KEY_BASE + postId);

export interface SyncJob {
  /** The post id; for other kinds the row key (STRUCTURE_KEY, termKey(id)). */
  postId: number;
  kind: JobKind;
  /** The payload of a `structure` or `term` job (null for posts). */
  payload: Record<string, unknown> | null;
  seqWanted: string;
  seqSent: string | null;
  seqInflight: string | null;
  snapshot: SyncSnapshot;
  state: SyncState;
  attempts: number;
  lastError: string | null;
  /** Why a job is parked: `auth` (target paused), `http_4xx`, `config`, `not_found`, `dead`… */
  errorKind: string | null;
  nextAttemptAt: number | null;
  leaseUntil: number | null;
  writeback: Writeback | null;
  writebackSeq: string | null;
  lastSyncedAt: number | null;
  lastSyncedSiteTime: string | null;
  /** The WordPress status IGNY8 last received (written back as `_igny8_wordpress_status`). */
  sentWordpressStatus: string | null;
  createdAt: number;
  updatedAt: number;
}

export type RecordOutcome = 'new' | 'updated' | 'duplicate' | 'stale';

export interface QueueCounts {
  pending: number;
  pending_manual: number;
  in_flight: number;
  synced: number;
  failed: number;
  dead: number;
}

export class StoreLockedError extends Error {
  constructor(path: string) {
    super(`another sidecar is using the sync store (lock ${path} is held); refusing to start a second one`);
    this.name = 'StoreLockedError';
  }
}

export interface JobRow {
  post_id: number;
  kind: JobKind | null;
  seq_wanted: string;
  seq_sent: string | null;
  seq_inflight: string | null;
  snapshot: string;
  state: SyncState;
  attempts: number;
  last_error: string | null;
  error_kind: string | null;
  next_attempt_at: number | null;
  lease_until: number | null;
  writeback: Writeback | null;
  writeback_seq: string | null;
  last_synced_at: number | null;
  last_synced_site_time: string | null;
  sent_wordpress_status: string | null;
  created_at: number;
  updated_at: number;
}

/** Columns added after the first release (ALTER TABLE when missing). */
const MIGRATIONS: Array<[column: string, sql: string]> = [['kind', `ALTER TABLE sync_jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'post'`]];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_jobs (
  post_id INTEGER PRIMARY KEY,
  seq_wanted TEXT NOT NULL,
  seq_sent TEXT,
  seq_inflight TEXT,
  snapshot TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  error_kind TEXT,
  next_attempt_at INTEGER,
  lease_until INTEGER,
  writeback TEXT,
  writeback_seq TEXT,
  last_synced_at INTEGER,
  last_synced_site_time TEXT,
  sent_wordpress_status TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sync_jobs_due ON sync_jobs (state, next_attempt_at);
CREATE INDEX IF NOT EXISTS sync_jobs_writeback ON sync_jobs (writeback) WHERE writeback IS NOT NULL;
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

/** Store paths held by this process (a second open in the same process is refused too). */
const heldLocks = new Set<string>();

/**
 * The lock file is a tiny SQLite database held in EXCLUSIVE locking mode: SQLite takes an fcntl lock on it, which
 * the kernel drops the moment the owning process dies (kill -9 included, before it is even reaped), so a crash
 * never leaves a stale lock and a live owner is never taken over.
 */
function acquireLock(lockPath: string): Database.Database {
  const key = resolve(lockPath);
  if (heldLocks.has(key)) {
    throw new StoreLockedError(lockPath);
  }
  closeSync(openSync(lockPath, 'a', 0o600));
  chmodSync(lockPath, 0o600);
  const lock = new Database(lockPath, { timeout: 1_000 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma('journal_mode = MEMORY');
    lock.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, since INTEGER NOT NULL); DELETE FROM owner;');
    lock.prepare('INSERT INTO owner (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY') || (error as { code?: string }).code?.startsWith('SQLITE_LOCKED')) {
      throw new StoreLockedError(lockPath);
    }
    throw error;
  }
  heldLocks.add(key);
  return lock;
}

/** A stand-in snapshot for non-post jobs (their payload is in `payload`). */
function specialSnapshot(row: JobRow): SyncSnapshot {
  return {
    post_id: row.post_id,
    seq: row.seq_wanted,
    wordpress_status: row.kind ?? 'post',
    post_url: null,
    post_type: row.kind ?? 'post',
    title: '',
    content_id: null,
    task_id: null,
    keyword_ids: [],
  };
}

export function toJob(row: JobRow): SyncJob {
  const kind: JobKind = row.kind ?? 'post';
  return {
    postId: row.post_id,
    kind,
    payload: kind === 'post' ? null : (JSON.parse(row.snapshot) as Record<string, unknown>),
    seqWanted: row.seq_wanted,
    seqSent: row.seq_sent,
    seqInflight: row.seq_inflight,
    snapshot: kind === 'post' ? SyncSnapshot.parse(JSON.parse(row.snapshot)) : specialSnapshot(row),
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error,
    errorKind: row.error_kind,
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    writeback: row.writeback,
    writebackSeq: row.writeback_seq,
    lastSyncedAt: row.last_synced_at,
    lastSyncedSiteTime: row.last_synced_site_time,
    sentWordpressStatus: row.sent_wordpress_status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const MAX_ERROR_LENGTH = 1000;
export const clip = (text: string) => (text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text);

export interface SyncStoreOptions {
  dir: string;
  clock?: () => number;
  fileName?: string;
}

export class SyncStore implements QueueStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly lock: Database.Database;
  private readonly lockPath: string;
  private readonly clock: () => number;
  private closed = false;
  /** Each statement compiled once (better-sqlite3's prepare() parses and plans the SQL on every call). */
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(db: Database.Database, lock: Database.Database, path: string, lockPath: string, clock: () => number) {
    this.db = db;
    this.lock = lock;
    this.path = path;
    this.lockPath = lockPath;
    this.clock = clock;
  }

  static open(options: SyncStoreOptions): SyncStore {
    const clock = options.clock ?? Date.now;
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, options.fileName ?? 'sync.db');
    const lockPath = `${path}.lock`;
    const lock = acquireLock(lockPath);
    try {
      // Create the file 0600 before SQLite does; SQLite gives -wal and -shm the main file's mode.
      closeSync(openSync(path, 'a', 0o600));
      chmodSync(path, 0o600);
      const db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const columns = new Set((db.prepare('PRAGMA table_info(sync_jobs)').all() as Array<{ name: string }>).map((c) => c.name));
      for (const [column, sql] of MIGRATIONS) {
        if (!columns.has(column)) {
          db.exec(sql);
        }
      }
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(path + suffix)) {
          chmodSync(path + suffix, 0o600);
        }
      }
      const store = new SyncStore(db, lock, path, lockPath, clock);
      // Nobody else can hold a lease on this store: whatever was in flight when the last process died is pending again.
      store.recoverLeases(true);
      return store;
    } catch (error) {
      heldLocks.delete(resolve(lockPath));
      lock.close();
      throw error;
    }
  }

  close(): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.db.close();
    this.lock.close();
    heldLocks.delete(resolve(this.lockPath));
  }

  private prepared(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  // ------------------------------------------------------------------ jobs

  get(postId: number): SyncJob | undefined {
    const row = this.prepared('SELECT * FROM sync_jobs WHERE post_id = ?').get(postId) as JobRow | undefined;
    return row === undefined ? undefined : toJob(row);
  }

  /**
   * Records a change. The newest seq wins (coalescing); an equal seq is a duplicate notify, an older one is stale.
   * `manual` (sync mode) records it without making it deliverable; `force` (Sync now) makes it deliverable even
   * when it is not newer, and resets a parked or dead job.
   */
  record(snapshot: SyncSnapshot, options: { manual?: boolean; force?: boolean } = {}): RecordOutcome {
    const now = this.clock();
    const deliverable: SyncState = options.manual && !options.force ? 'pending_manual' : 'pending';
    return this.db.transaction((): RecordOutcome => {
      const existing = this.prepared('SELECT * FROM sync_jobs WHERE post_id = ?').get(snapshot.post_id) as JobRow | undefined;
      if (existing === undefined) {
        this.prepared(
            `INSERT INTO sync_jobs (post_id, seq_wanted, snapshot, state, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
          )
          .run(snapshot.post_id, snapshot.seq, JSON.stringify(snapshot), deliverable, now, now, now);
        return 'new';
      }
      const order = compareSeq(snapshot.seq, existing.seq_wanted);
      if (order < 0 || (order === 0 && !options.force)) {
        return order < 0 ? 'stale' : 'duplicate';
      }
      const seq = order > 0 ? snapshot.seq : existing.seq_wanted;
      // In flight: the worker sees seq_wanted > seq_inflight when the delivery ends and sends again.
      const state: SyncState = existing.state === 'in_flight' ? 'in_flight' : deliverable;
      this.prepared(
          `UPDATE sync_jobs SET seq_wanted = ?, snapshot = ?, state = ?, attempts = CASE WHEN ? = 'in_flight' THEN attempts ELSE 0 END,
             next_attempt_at = ?, error_kind = NULL, updated_at = ? WHERE post_id = ?`,
        )
        .run(seq, JSON.stringify({ ...snapshot, seq }), state, state, now, now, snapshot.post_id);
      return 'updated';
    })();
  }

  /** Records a batch of changes (one notify's events), one after another in one transaction. */
  recordMany(snapshots: readonly SyncSnapshot[], options: { manual?: boolean; force?: boolean } = {}): RecordOutcome[] {
    return this.db.transaction(() => snapshots.map((snapshot) => this.record(snapshot, options)))();
  }

  /**
   * Records a `structure` or `term` job: the newest seq wins (coalescing, latest state). `dueAt` delays it (the
   * daily structure push); `manual` holds it for "Sync all pending"; `force` makes it deliverable even when not newer.
   */
  recordJob(
    key: number,
    kind: Exclude<JobKind, 'post'>,
    seq: string,
    payload: Record<string, unknown>,
    options: { manual?: boolean; force?: boolean; dueAt?: number } = {},
  ): RecordOutcome {
    const now = this.clock();
    const due = options.dueAt ?? now;
    const deliverable: SyncState = options.manual && !options.force ? 'pending_manual' : 'pending';
    return this.db.transaction((): RecordOutcome => {
      const existing = this.prepared('SELECT * FROM sync_jobs WHERE post_id = ?').get(key) as JobRow | undefined;
      if (existing === undefined) {
        this.prepared(
            `INSERT INTO sync_jobs (post_id, kind, seq_wanted, snapshot, state, attempts, next_attempt_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)`,
          )
          .run(key, kind, seq, JSON.stringify(payload), deliverable, due, now, now);
        return 'new';
      }
      const order = compareSeq(seq, existing.seq_wanted);
      if (order < 0 || (order === 0 && !options.force)) {
        return order < 0 ? 'stale' : 'duplicate';
      }
      const next = order > 0 ? seq : existing.seq_wanted;
      const state: SyncState = existing.state === 'in_flight' ? 'in_flight' : deliverable;
      this.prepared(
          `UPDATE sync_jobs SET kind = ?, seq_wanted = ?, snapshot = ?, state = ?, attempts = CASE WHEN ? = 'in_flight' THEN attempts ELSE 0 END,
             next_attempt_at = ?, error_kind = NULL, updated_at = ? WHERE post_id = ?`,
        )
        .run(kind, next, JSON.stringify(payload), state, state, due, now, key);
      return 'updated';
    })();
  }

  /** Moves a pending job's next attempt (the structure push waits for its daily slot). */
  reschedule(key: number, at: number): void {
    this.prepared(`UPDATE sync_jobs SET next_attempt_at = ?, updated_at = ? WHERE post_id = ? AND state = 'pending'`).run(at, this.clock(), key);
  }

  /** Claims the next due job for delivery: pending → in_flight with a lease. */
  claimNext(leaseMs: number): SyncJob | undefined {
    return this.claimMany(leaseMs, 1)[0];
  }

  /** Claims up to `limit` due jobs, oldest due first. */
  claimMany(leaseMs: number, limit: number): SyncJob[] {
    const now = this.clock();
    return this.db.transaction((): SyncJob[] => {
      const rows = this.prepared(`SELECT * FROM sync_jobs WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, post_id LIMIT ?`)
        .all(now, Math.max(0, limit)) as JobRow[];
      const claim = this.prepared(`UPDATE sync_jobs SET state = 'in_flight', seq_inflight = seq_wanted, lease_until = ?, updated_at = ? WHERE post_id = ?`);
      return rows.map((row) => {
        claim.run(now + leaseMs, now, row.post_id);
        const job = toJob(row);
        return { ...job, state: 'in_flight' as const, seqInflight: job.seqWanted, leaseUntil: now + leaseMs };
      });
    })();
  }

  /** The delivery of `seqInflight` succeeded. A newer change recorded meanwhile makes the job pending again. */
  complete(postId: number, siteTime: string, sentWordpressStatus: string): SyncJob | undefined {
    const now = this.clock();
    return this.db.transaction(() => {
      const row = this.prepared('SELECT * FROM sync_jobs WHERE post_id = ?').get(postId) as JobRow | undefined;
      if (row === undefined || row.seq_inflight === null) {
        return undefined;
      }
      const newer = compareSeq(row.seq_wanted, row.seq_inflight) > 0;
      this.prepared(
          `UPDATE sync_jobs SET seq_sent = seq_inflight, state = ?, attempts = 0, last_error = NULL, error_kind = NULL,
             next_attempt_at = ?, lease_until = NULL, writeback = 'synced', writeback_seq = seq_inflight, seq_inflight = NULL,
             last_synced_at = ?, last_synced_site_time = ?, sent_wordpress_status = ?, updated_at = ? WHERE post_id = ?`,
        )
        .run(newer ? 'pending' : 'synced', newer ? now : null, now, siteTime, sentWordpressStatus, now, postId);
      return this.get(postId);
    })();
  }

  /** A retryable failure: back to pending at `nextAttemptAt`, or `dead` once `maxAttempts` failed. */
  retryLater(postId: number, error: string, nextAttemptAt: number, maxAttempts: number): SyncState {
    const now = this.clock();
    return this.db.transaction((): SyncState => {
      const row = this.prepared('SELECT attempts FROM sync_jobs WHERE post_id = ?').get(postId) as { attempts: number } | undefined;
      if (row === undefined) {
        return 'pending';
      }
      const attempts = row.attempts + 1;
      const dead = attempts >= maxAttempts;
      this.prepared(
          `UPDATE sync_jobs SET state = ?, attempts = ?, last_error = ?, error_kind = ?, next_attempt_at = ?, lease_until = NULL,
             seq_inflight = NULL, writeback = CASE WHEN ? THEN 'failed' ELSE writeback END, writeback_seq = CASE WHEN ? THEN seq_wanted ELSE writeback_seq END,
             updated_at = ? WHERE post_id = ?`,
        )
        .run(dead ? 'dead' : 'pending', attempts, clip(error), dead ? 'dead' : 'retry', dead ? null : nextAttemptAt, dead ? 1 : 0, dead ? 1 : 0, now, postId);
      return dead ? 'dead' : 'pending';
    })();
  }

  /** Gives a job back without counting an attempt (shutdown, target paused before sending). */
  release(postId: number, nextAttemptAt?: number): void {
    const now = this.clock();
    this.prepared(`UPDATE sync_jobs SET state = 'pending', lease_until = NULL, seq_inflight = NULL, next_attempt_at = ?, updated_at = ? WHERE post_id = ? AND state = 'in_flight'`)
      .run(nextAttemptAt ?? now, now, postId);
  }

  /** A failure retrying cannot fix: parked as `failed` with the error, until a new change, Sync now or new credentials. */
  park(postId: number, error: string, kind: string): void {
    const now = this.clock();
    this.prepared(
        `UPDATE sync_jobs SET state = 'failed', attempts = attempts + 1, last_error = ?, error_kind = ?, next_attempt_at = NULL, lease_until = NULL,
           seq_inflight = NULL, writeback = 'failed', writeback_seq = seq_wanted, updated_at = ? WHERE post_id = ?`,
      )
      .run(clip(error), kind, now, postId);
  }

  /** Parks every deliverable job at once (the target is paused: circuit breaker). Returns their post ids. */
  parkAllPending(error: string, kind: string): number[] {
    const now = this.clock();
    return this.db.transaction(() => {
      const ids = (this.prepared(`SELECT post_id FROM sync_jobs WHERE state = 'pending'`).all() as Array<{ post_id: number }>).map((r) => r.post_id);
      this.prepared(
          `UPDATE sync_jobs SET state = 'failed', last_error = ?, error_kind = ?, next_attempt_at = NULL, lease_until = NULL, seq_inflight = NULL,
             writeback = 'failed', writeback_seq = seq_wanted, updated_at = ? WHERE state = 'pending'`,
        )
        .run(clip(error), kind, now);
      return ids;
    })();
  }

  /** Makes parked jobs of one kind deliverable again (new credentials close the breaker). */
  requeueParked(kind: string): number {
    const now = this.clock();
    return this.prepared(`UPDATE sync_jobs SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE state = 'failed' AND error_kind = ?`)
      .run(now, now, kind).changes;
  }

  /**
   * `wp igny8 sync --failed`: every parked (`failed`) or given-up (`dead`) post job deliverable again, with the seq it
   * had (WordPress's pending marker still holds it, so the write-back clears the marker and the failed mirror).
   */
  requeueFailed(): number[] {
    const now = this.clock();
    return this.db.transaction((): number[] => {
      const ids = (this.prepared(`SELECT post_id FROM sync_jobs WHERE kind = 'post' AND state IN ('failed', 'dead') ORDER BY post_id`).all() as Array<{ post_id: number }>).map((row) => row.post_id);
      this.prepared(`UPDATE sync_jobs SET state = 'pending', attempts = 0, next_attempt_at = ?, error_kind = NULL, updated_at = ? WHERE kind = 'post' AND state IN ('failed', 'dead')`)
        .run(now, now);
      return ids;
    })();
  }

  /** Manual sync mode: "Sync all pending" (no ids) or one post. */
  releaseManual(postIds?: readonly number[]): number {
    const now = this.clock();
    if (postIds === undefined) {
      return this.prepared(`UPDATE sync_jobs SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'pending_manual'`)
        .run(now, now).changes;
    }
    let changed = 0;
    const update = this.prepared(`UPDATE sync_jobs SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'pending_manual' AND post_id = ?`);
    for (const id of postIds) {
      changed += update.run(now, now, id).changes;
    }
    return changed;
  }

  /** Sync mode switched to manual: what is waiting stays recorded but is no longer delivered by itself. */
  holdPending(): number {
    const now = this.clock();
    return this.prepared(`UPDATE sync_jobs SET state = 'pending_manual', updated_at = ? WHERE state = 'pending'`).run(now).changes;
  }

  /** Earliest `next_attempt_at` of a pending job (the worker's only timer). */
  nextDueAt(): number | undefined {
    const row = this.prepared(`SELECT MIN(next_attempt_at) AS due FROM sync_jobs WHERE state = 'pending'`).get() as { due: number | null };
    return row.due ?? undefined;
  }

  /** In-flight jobs whose lease ended (or all of them, at open) go back to pending. */
  recoverLeases(all = false): number {
    const now = this.clock();
    const sql = all
      ? `UPDATE sync_jobs SET state = 'pending', seq_inflight = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE state = 'in_flight'`
      : `UPDATE sync_jobs SET state = 'pending', seq_inflight = NULL, lease_until = NULL, next_attempt_at = ?, updated_at = ? WHERE state = 'in_flight' AND lease_until < ?`;
    return all ? this.prepared(sql).run(now, now).changes : this.prepared(sql).run(now, now, now).changes;
  }

  counts(): QueueCounts {
    const counts: QueueCounts = { pending: 0, pending_manual: 0, in_flight: 0, synced: 0, failed: 0, dead: 0 };
    for (const row of this.prepared(`SELECT state, COUNT(*) AS n FROM sync_jobs WHERE kind = 'post' GROUP BY state`).all() as Array<{ state: SyncState; n: number }>) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  /**
   * When the oldest change still waiting for delivery (pending or in flight; not held by manual mode) was recorded,
   * in ms: its seq is WordPress's clock (µs × 1000 + a random tail, docs/architecture.md §6), which retries do not
   * move. Undefined when nothing waits.
   */
  oldestWaitingAt(): number | undefined {
    const row = this.prepared(`SELECT MIN(CAST(seq_wanted AS INTEGER)) AS seq, MIN(created_at) AS created FROM sync_jobs WHERE kind = 'post' AND state IN ('pending', 'in_flight')`)
      .get() as { seq: number | bigint | null; created: number | null };
    if (row.seq === null || row.created === null) {
      return undefined;
    }
    const fromSeq = Number(BigInt(row.seq) / 1_000_000n);
    // A seq that is not a plausible time (a test's small numbers) falls back to the row's creation.
    return fromSeq > Date.UTC(2020, 0, 1) && fromSeq <= this.clock() + 86_400_000 ? fromSeq : row.created;
  }

  /** Jobs whose result is still owed to WordPress. */
  owedWritebacks(limit: number): SyncJob[] {
    return (this.prepared('SELECT * FROM sync_jobs WHERE writeback IS NOT NULL ORDER BY updated_at LIMIT ?').all(limit) as JobRow[]).map(toJob);
  }

  /** WordPress has the result for `seq` (unless something newer is owed meanwhile). */
  writebackDone(postId: number, writeback: Writeback, seq: string): void {
    this.prepared('UPDATE sync_jobs SET writeback = NULL, writeback_seq = NULL WHERE post_id = ? AND writeback = ? AND writeback_seq = ?').run(postId, writeback, seq);
  }

  /** Several write-backs WordPress took (a write-back batch), in one transaction. */
  writebacksDone(done: ReadonlyArray<{ postId: number; writeback: Writeback; seq: string }>): void {
    this.db.transaction(() => {
      for (const d of done) {
        this.writebackDone(d.postId, d.writeback, d.seq);
      }
    })();
  }

  /** Owe WordPress the write-back of a synced job again (the reconciler found its marker still set). */
  oweWriteback(postId: number, seq: string): void {
    this.prepared(`UPDATE sync_jobs SET writeback = 'synced', writeback_seq = ? WHERE post_id = ? AND state = 'synced'`).run(seq, postId);
  }

  /** Forgets every job (the store now serves another site). */
  clearJobs(): number {
    return this.prepared('DELETE FROM sync_jobs').run().changes;
  }

  /** Forgets a job (a deleted post whose report reached IGNY8 and WordPress). */
  remove(postId: number): void {
    this.prepared('DELETE FROM sync_jobs WHERE post_id = ?').run(postId);
  }

  // ------------------------------------------------------------------ key/value

  getValue(key: string): string | undefined {
    const row = this.prepared('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setValue(key: string, value: string): void {
    this.prepared('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, value, this.clock());
  }

  deleteValue(key: string): void {
    this.prepared('DELETE FROM kv WHERE key = ?').run(key);
  }

  replaceValue(key: string, expected: string, value: string): boolean {
    return this.db.prepare('UPDATE kv SET value = ?, updated_at = ? WHERE key = ? AND value = ?').run(value, this.clock(), key, expected).changes === 1;
  }

  /** Every key/value pair (loaded once by sync/site-values.ts). */
  values(): Array<[string, string]> {
    return (this.prepared('SELECT key, value FROM kv').all() as Array<{ key: string; value: string }>).map((row) => [row.key, row.value]);
  }

  getJson<T>(key: string): T | undefined {
    const value = this.getValue(key);
    if (value === undefined) {
      return undefined;
    }
    try {
      return JSON.parse(value) as T;
    } catch {
      return undefined;
    }
  }

  setJson(key: string, value: unknown): void {
    this.setValue(key, JSON.stringify(value));
  }
}
