/**
 * The one store interface (issue #16 §3): the durable sync queue + key/value state of one site, served by the embedded
 * SQLite store (`SyncStore`, single site, synchronous: the default and unchanged) and by PostgreSQL (`PgSyncStore`,
 * one row set per site id, the hosted shape). Methods may answer synchronously (SQLite) or with a promise
 * (PostgreSQL): code written against this interface awaits every call.
 */
import type { SyncSnapshot } from '../sync/snapshot.ts';
import type { ReplayLedger } from '../protocol/replay-cache.ts';
import type { ActivityLog } from './activity-log.ts';
import type { RateLimiter } from './site-rate-limiter.ts';
import type { JobKind, QueueCounts, RecordOutcome, SyncJob, SyncState, Writeback } from './sync-store.ts';

export type Awaitable<T> = T | Promise<T>;

export interface QueueStore {
  get(postId: number): Awaitable<SyncJob | undefined>;
  record(snapshot: SyncSnapshot, options?: { manual?: boolean; force?: boolean }): Awaitable<RecordOutcome>;
  /** Records a batch (one notify's events) as `record` would one after another, in as few statements as it can. */
  recordMany(snapshots: readonly SyncSnapshot[], options?: { manual?: boolean; force?: boolean }): Awaitable<RecordOutcome[]>;
  recordJob(
    key: number,
    kind: Exclude<JobKind, 'post'>,
    seq: string,
    payload: Record<string, unknown>,
    options?: { manual?: boolean; force?: boolean; dueAt?: number },
  ): Awaitable<RecordOutcome>;
  reschedule(key: number, at: number): Awaitable<void>;
  claimNext(leaseMs: number): Awaitable<SyncJob | undefined>;
  /** Claims up to `limit` due jobs at once (the worker's free delivery slots). */
  claimMany(leaseMs: number, limit: number): Awaitable<SyncJob[]>;
  complete(postId: number, siteTime: string, sentWordpressStatus: string): Awaitable<SyncJob | undefined>;
  retryLater(postId: number, error: string, nextAttemptAt: number, maxAttempts: number): Awaitable<SyncState>;
  release(postId: number, nextAttemptAt?: number): Awaitable<void>;
  park(postId: number, error: string, kind: string): Awaitable<void>;
  parkAllPending(error: string, kind: string): Awaitable<number[]>;
  requeueParked(kind: string): Awaitable<number>;
  requeueFailed(): Awaitable<number[]>;
  releaseManual(postIds?: readonly number[]): Awaitable<number>;
  holdPending(): Awaitable<number>;
  nextDueAt(): Awaitable<number | undefined>;
  oldestWaitingAt(): Awaitable<number | undefined>;
  recoverLeases(all?: boolean): Awaitable<number>;
  counts(): Awaitable<QueueCounts>;
  owedWritebacks(limit: number): Awaitable<SyncJob[]>;
  writebackDone(postId: number, writeback: Writeback, seq: string): Awaitable<void>;
  writebacksDone(done: ReadonlyArray<{ postId: number; writeback: Writeback; seq: string }>): Awaitable<void>;
  oweWriteback(postId: number, seq: string): Awaitable<void>;
  clearJobs(): Awaitable<number>;
  remove(postId: number): Awaitable<void>;
  getValue(key: string): Awaitable<string | undefined>;
  setValue(key: string, value: string): Awaitable<void>;
  deleteValue(key: string): Awaitable<void>;
  /** Writes `value` only while the stored value is `expected` (re-sealing a credential: credential-reseal.ts); whether it did. */
  replaceValue(key: string, expected: string, value: string): Awaitable<boolean>;
  values(): Awaitable<Array<[string, string]>>;
  close(): Awaitable<void>;
}

/** What a store shared by several sidecar processes tells the others (PostgreSQL LISTEN/NOTIFY). */
export interface StoreEvents {
  /** Another process changed the site's key/value `key`; null: anything may have changed (the listener reconnected). */
  value(key: string | null): void;
  /** Another process queued work for the site that is due now. */
  wake(): void;
}

export type SingletonOutcome<T> = { ran: true; value: T | undefined } | { ran: false; reason: 'busy' | 'recent' };

/**
 * A store several replicas share (issue #16 §4): PostgreSQL. SQLite is one process's file (its lock says so), so it
 * has none of this.
 */
/** A shim request's replay ledger and rate limits, kept where every replica sees them. */
export interface RequestGuards {
  replayCache: ReplayLedger;
  rateLimiter: RateLimiter;
}

export interface SharedQueueStore extends QueueStore {
  /** The replay ledger and rate limits of this site's shim requests, shared by every replica (`perMinute` calls). */
  requestGuards(perMinute: number): RequestGuards;
  /** This site's activity log, written and read by every replica. */
  activityLog(): ActivityLog;
  /** Subscribes to the other processes' changes of this site; resolves to the unsubscribe. */
  watch(events: StoreEvents): Promise<() => void>;
  /**
   * Runs `work` once across replicas: not while another process runs the pass `name` of this site (`busy`), and not
   * within `minIntervalMs` of its last success anywhere (`recent`; 0 = no such bound). A pass that resolves to
   * undefined did not succeed, so the next replica may try again at once.
   */
  runSingleton<T>(name: string, minIntervalMs: number, work: () => Promise<T | undefined>): Promise<SingletonOutcome<T>>;
  /** Pending rows due longer than `graceMs` that no wake-up will deliver (a process died holding them): woken again. */
  recoverOrphans(graceMs: number): Promise<number>;
  /** Runs `work` while holding the site's lock `name` (waiting for it, up to `waitMs`), across every process. */
  exclusively<T>(name: string, work: () => Promise<T>, waitMs?: number): Promise<T>;
}

export function isSharedStore(store: QueueStore): store is SharedQueueStore {
  const shared = store as Partial<SharedQueueStore>;
  return (
    typeof shared.watch === 'function' &&
    typeof shared.runSingleton === 'function' &&
    typeof shared.recoverOrphans === 'function' &&
    typeof shared.exclusively === 'function' &&
    typeof shared.requestGuards === 'function' &&
    typeof shared.activityLog === 'function'
  );
}
