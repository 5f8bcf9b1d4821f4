/**
 * The one store interface (issue #16 §3): the durable sync queue + key/value state of one site, served by the embedded
 * SQLite store (`SyncStore`, single site, synchronous: the default and unchanged) and by PostgreSQL (`PgSyncStore`,
 * one row set per site id, the hosted shape). Methods may answer synchronously (SQLite) or with a promise
 * (PostgreSQL): code written against this interface awaits every call.
 */
import type { SyncSnapshot } from '../sync/snapshot.ts';
import type { JobKind, QueueCounts, RecordOutcome, SyncJob, SyncState, Writeback } from './sync-store.ts';

export type Awaitable<T> = T | Promise<T>;

export interface QueueStore {
  get(postId: number): Awaitable<SyncJob | undefined>;
  record(snapshot: SyncSnapshot, options?: { manual?: boolean; force?: boolean }): Awaitable<RecordOutcome>;
  recordJob(
    key: number,
    kind: Exclude<JobKind, 'post'>,
    seq: string,
    payload: Record<string, unknown>,
    options?: { manual?: boolean; force?: boolean; dueAt?: number },
  ): Awaitable<RecordOutcome>;
  reschedule(key: number, at: number): Awaitable<void>;
  claimNext(leaseMs: number, exclude?: (job: SyncJob) => boolean): Awaitable<SyncJob | undefined>;
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
  oweWriteback(postId: number, seq: string): Awaitable<void>;
  clearJobs(): Awaitable<number>;
  remove(postId: number): Awaitable<void>;
  getValue(key: string): Awaitable<string | undefined>;
  setValue(key: string, value: string): Awaitable<void>;
  deleteValue(key: string): Awaitable<void>;
  values(): Awaitable<Array<[string, string]>>;
  close(): Awaitable<void>;
}
