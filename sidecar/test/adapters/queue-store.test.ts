/**
 * The store interface's contract, run against both implementations: the embedded SQLite store (single site) and
 * PostgreSQL + pg-boss (the hosted shape; a private server started by test/setup/postgres.ts).
 */
import { randomUUID } from 'node:crypto';

import pg from 'pg';
import { describe, expect, it } from 'vitest';

import { migrate, PG_MIGRATIONS, PgDatabase } from '../../src/adapters/pg-store.ts';
import type { QueueStore } from '../../src/adapters/queue-store.ts';
import { snapshot as snap } from '../helpers/snapshot.ts';
import { storeBackends } from '../helpers/store-backends.ts';

const suite = storeBackends();
const { backends } = suite;
describe.each(backends)('QueueStore (%s)', (_name, open) => {
  it('keeps one row per post; the newest seq wins, duplicates and stale seqs are ignored', async () => {
    const store = open();
    expect(await store.record(snap(1, '100', 'draft'))).toBe('new');
    expect(await store.record(snap(1, '300', 'publish'))).toBe('updated');
    expect(await store.record(snap(1, '200', 'pending'))).toBe('stale');
    expect(await store.record(snap(1, '300', 'publish'))).toBe('duplicate');
    const job = await store.get(1);
    expect(job).toMatchObject({ seqWanted: '300', state: 'pending', attempts: 0 });
    expect(job?.snapshot.wordpress_status).toBe('publish');
    expect((await store.counts()).pending).toBe(1);
  });

  it('recordMany: one batch behaves as its events one after another (a post twice in one batch too)', async () => {
    const store = open();
    expect(await store.record(snap(1, '100'))).toBe('new');
    expect(await store.recordMany([snap(2, '5'), snap(1, '50'), snap(1, '100'), snap(3, '7', 'draft'), snap(3, '9', 'publish'), snap(1, '200'), snap(3, '8')])).toEqual([
      'new',
      'stale',
      'duplicate',
      'new',
      'updated',
      'updated',
      'stale',
    ]);
    expect(await store.get(1)).toMatchObject({ seqWanted: '200', state: 'pending' });
    expect((await store.get(3))?.snapshot).toMatchObject({ seq: '9', wordpress_status: 'publish' });
    expect(await store.recordMany([snap(4, '1')], { manual: true })).toEqual(['new']);
    expect((await store.get(4))?.state).toBe('pending_manual');
    // Each pending row is claimable exactly once.
    const claimed = (await store.claimMany(60_000, 10)).map((j) => j.postId).sort();
    expect(claimed).toEqual([1, 2, 3]);
    expect(await store.claimMany(60_000, 10)).toEqual([]);
  });

  it('claimMany claims up to its limit, each row once, in flight with a lease; the rest stay pending', async () => {
    const clock = { now: 1_000 };
    const store = open(clock);
    await store.recordMany(Array.from({ length: 7 }, (_, i) => snap(i + 1, '1')));
    const first = await store.claimMany(5_000, 3);
    expect(first).toHaveLength(3);
    expect(first.every((j) => j.state === 'in_flight' && j.leaseUntil === 6_000)).toBe(true);
    const second = await store.claimMany(5_000, 10);
    expect(second).toHaveLength(4);
    expect(new Set([...first, ...second].map((j) => j.postId)).size).toBe(7);
    expect((await store.counts()).in_flight).toBe(7);
    for (const job of [...first, ...second]) {
      await store.complete(job.postId, 't', 'publish');
    }
    expect((await store.owedWritebacks(10)).map((j) => j.postId).sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // A batch of write-backs done at once; one whose seq moved on stays owed.
    await store.writebacksDone([
      { postId: 1, writeback: 'synced', seq: '1' },
      { postId: 2, writeback: 'synced', seq: '1' },
      { postId: 3, writeback: 'synced', seq: '0' },
    ]);
    expect((await store.owedWritebacks(10)).map((j) => j.postId).sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('compares seqs as big integers, not as text or doubles', async () => {
    const store = open();
    await store.record(snap(1, '1795616653705984943'));
    expect(await store.record(snap(1, '1795616653705984944'))).toBe('updated');
    expect(await store.record(snap(1, '999'))).toBe('stale');
  });

  it('one delivery in flight per post; a change during it is delivered next with the latest snapshot', async () => {
    const store = open();
    await store.record(snap(1, '10', 'draft'));
    const job = await store.claimNext(60_000);
    expect(job).toMatchObject({ postId: 1, state: 'in_flight', seqInflight: '10' });
    expect(await store.claimNext(60_000)).toBeUndefined();
    await store.record(snap(1, '11', 'publish'));
    expect((await store.get(1))?.state).toBe('in_flight');
    expect(await store.claimNext(60_000)).toBeUndefined();
    await store.complete(1, '2026-01-01 10:00:00', 'draft');
    expect(await store.get(1)).toMatchObject({ state: 'pending', seqSent: '10', seqWanted: '11', writeback: 'synced', writebackSeq: '10' });
    const next = await store.claimNext(60_000);
    expect(next?.snapshot.wordpress_status).toBe('publish');
    await store.complete(1, '2026-01-01 10:00:01', 'publish');
    expect(await store.get(1)).toMatchObject({ state: 'synced', seqSent: '11', sentWordpressStatus: 'publish', lastSyncedSiteTime: '2026-01-01 10:00:01' });
  });

  it('an expired lease makes the job claimable again', async () => {
    const clock = { now: 1_000 };
    const store = open(clock);
    await store.record(snap(1, '1'));
    expect(await store.claimNext(5_000)).toBeDefined();
    clock.now += 4_000;
    await store.recoverLeases();
    expect(await store.claimNext(5_000)).toBeUndefined();
    clock.now += 2_000;
    expect(await store.recoverLeases()).toBe(1);
    expect((await store.claimNext(5_000))?.postId).toBe(1);
  });

  it('retryLater schedules the next attempt and counts; after maxAttempts the job is dead', async () => {
    const clock = { now: 0 };
    const store = open(clock);
    await store.record(snap(1, '1'));
    for (let attempt = 1; attempt < 3; attempt++) {
      await store.claimNext(1_000);
      expect(await store.retryLater(1, 'HTTP 500', clock.now + 100, 3)).toBe('pending');
      expect(await store.claimNext(1_000)).toBeUndefined(); // not due yet
      expect(await store.nextDueAt()).toBe(clock.now + 100);
      clock.now += 100;
    }
    await store.claimNext(1_000);
    expect(await store.retryLater(1, 'HTTP 500', clock.now + 100, 3)).toBe('dead');
    expect(await store.get(1)).toMatchObject({ state: 'dead', attempts: 3, lastError: 'HTTP 500', writeback: 'failed' });
    expect(await store.counts()).toMatchObject({ dead: 1, pending: 0 });
    await store.record(snap(1, '2'));
    expect(await store.get(1)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('park keeps the error; the breaker parks everything pending and new credentials requeue it', async () => {
    const store = open();
    await store.record(snap(1, '1'));
    await store.record(snap(2, '1'));
    await store.record(snap(3, '1'));
    expect((await store.claimNext(1_000))?.postId).toBe(1);
    await store.park(1, 'HTTP 400: bad payload', 'http_4xx');
    expect(await store.get(1)).toMatchObject({ state: 'failed', lastError: 'HTTP 400: bad payload', errorKind: 'http_4xx' });
    expect((await store.parkAllPending('IGNY8 login failed', 'auth')).sort()).toEqual([2, 3]);
    expect(await store.counts()).toMatchObject({ failed: 3, pending: 0 });
    expect(await store.claimNext(1_000)).toBeUndefined();
    expect(await store.requeueParked('auth')).toBe(2);
    expect((await store.get(1))?.state).toBe('failed');
    expect(await store.get(2)).toMatchObject({ state: 'pending', attempts: 0 });
    const claimed = [(await store.claimNext(1_000))?.postId, (await store.claimNext(1_000))?.postId].sort();
    expect(claimed).toEqual([2, 3]);
    expect(await store.requeueFailed()).toEqual([1]);
  });

  it('manual mode holds changes until released (one post or all)', async () => {
    const store = open();
    await store.record(snap(1, '1'), { manual: true });
    await store.record(snap(2, '1'), { manual: true });
    expect(await store.claimNext(1_000)).toBeUndefined();
    expect(await store.releaseManual([2])).toBe(1);
    expect((await store.claimNext(1_000))?.postId).toBe(2);
    expect(await store.releaseManual()).toBe(1);
    expect((await store.claimNext(1_000))?.postId).toBe(1);
    await store.record(snap(3, '5'), { manual: true });
    await store.record(snap(3, '6'), { manual: true, force: true });
    expect((await store.get(3))?.state).toBe('pending');
    expect(await store.holdPending()).toBe(1);
    expect(await store.claimNext(1_000)).toBeUndefined();
  });

  it('structure and term jobs: deferred by dueAt and reschedule, payload kept, not in the post counts', async () => {
    const clock = { now: 10_000 };
    const store = open(clock);
    expect(await store.recordJob(0, 'structure', '1', { types: ['post'] }, { dueAt: 20_000 })).toBe('new');
    expect(await store.claimNext(1_000)).toBeUndefined();
    await store.reschedule(0, 15_000);
    clock.now = 15_000;
    expect(await store.claimNext(1_000)).toMatchObject({ postId: 0, kind: 'structure', payload: { types: ['post'] } });
    expect((await store.counts()).in_flight).toBe(0);
  });

  it('write-backs owed, done, owed again; remove and clear; key/value', async () => {
    const store = open();
    await store.record(snap(1, '1'));
    await store.claimNext(1_000);
    await store.complete(1, 't', 'publish');
    expect((await store.owedWritebacks(10)).map((j) => j.postId)).toEqual([1]);
    await store.writebackDone(1, 'synced', '0');
    expect(await store.owedWritebacks(10)).toHaveLength(1);
    await store.writebackDone(1, 'synced', '1');
    expect(await store.owedWritebacks(10)).toHaveLength(0);
    await store.oweWriteback(1, '1');
    expect(await store.owedWritebacks(10)).toHaveLength(1);
    await store.remove(1);
    expect(await store.get(1)).toBeUndefined();
    await store.record(snap(2, '1'));
    expect(await store.clearJobs()).toBe(1);
    expect(await store.getValue('k')).toBeUndefined();
    await store.setValue('k', 'v1');
    await store.setValue('k', 'v2');
    expect(await store.getValue('k')).toBe('v2');
    await store.deleteValue('k');
    expect(await store.getValue('k')).toBeUndefined();
  });
});

describe('QueueStore (postgres): many sites, many replicas', () => {
  it("one site's rows, values and wake-ups are invisible to another", async () => {
    const db = suite.database();
    const a = db.site(`a-${randomUUID()}`);
    const b = db.site(`b-${randomUUID()}`);
    await a.record(snap(1, '1'));
    await a.setValue('secret', 'A');
    expect(await b.get(1)).toBeUndefined();
    expect(await b.getValue('secret')).toBeUndefined();
    expect(await b.claimNext(1_000)).toBeUndefined();
    expect(await b.counts()).toMatchObject({ pending: 0 });
    expect(await b.clearJobs()).toBe(0);
    expect((await a.claimNext(1_000))?.postId).toBe(1);
  });

  it('two processes claiming the same site at once never get the same job (each job once)', async () => {
    const siteId = `r-${randomUUID()}`;
    const other = await PgDatabase.open({ url: suite.pgUrl() });
    try {
      const one = suite.database().site(siteId);
      const two = other.site(siteId);
      for (let id = 1; id <= 40; id++) {
        await one.record(snap(id, '1'));
      }
      const seen: number[] = [];
      const drain = async (store: QueueStore) => {
        for (;;) {
          const job = await store.claimNext(60_000);
          if (job === undefined) {
            return;
          }
          seen.push(job.postId);
          await store.complete(job.postId, 't', 'publish');
        }
      };
      await Promise.all([drain(one), drain(two), drain(one), drain(two)]);
      expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await one.counts()).toMatchObject({ synced: 40, pending: 0, in_flight: 0 });
    } finally {
      await other.close();
    }
  });

  it('a replica that dies holding a lease loses nothing: the row is delivered again and the repeat is counted', async () => {
    const siteId = `k-${randomUUID()}`;
    const clock = { now: Date.now() };
    const dying = await PgDatabase.open({ url: suite.pgUrl() });
    const live = suite.database().site(siteId, () => clock.now);
    await live.record(snap(7, '1'));
    expect((await dying.site(siteId, () => clock.now).claimNext(5_000))?.postId).toBe(7);
    await dying.close(); // gone without completing
    expect(await live.claimNext(5_000)).toBeUndefined();
    clock.now += 6_000;
    expect(await live.recoverLeases()).toBe(1);
    expect((await live.claimNext(5_000))?.postId).toBe(7);
    await live.complete(7, 't', 'publish');
    expect(await live.redeliveries()).toBe(1);
  });

  it('migrations are versioned and applied once when several processes start at once', async () => {
    const schema = `m_${randomUUID().replace(/-/g, '')}`;
    const admin = new pg.Pool({ connectionString: suite.pgUrl(), max: 1 });
    await admin.query(`CREATE SCHEMA ${schema}`);
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: `${suite.pgUrl()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`, max: 1 }));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      expect(applied.flat().sort()).toEqual(PG_MIGRATIONS.map((m) => m.version));
      const { rows } = await admin.query(`SELECT version FROM ${schema}.igny8_schema_migrations ORDER BY version`);
      expect(rows.map((r) => Number(r.version))).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });
});

describe('QueueStore (postgres): fairness and singleton work', () => {
  it("a quiet site's change is claimed at once while a noisy site holds 300 pending jobs (each site its own queue)", async () => {
    const db = suite.database();
    const noisy = db.site(`noisy-${randomUUID()}`);
    const quiet = db.site(`quiet-${randomUUID()}`);
    await noisy.recordMany(Array.from({ length: 300 }, (_, i) => snap(i + 1, '1')));
    expect(await noisy.claimMany(60_000, 8)).toHaveLength(8);
    await quiet.record(snap(1, '1'));
    // The quiet site's claim looks at its own wake-ups only: the noisy backlog is not in front of it.
    expect((await quiet.claimMany(60_000, 8)).map((j) => j.postId)).toEqual([1]);
    expect(await noisy.claimMany(60_000, 8)).toHaveLength(8);
    expect((await noisy.counts()).pending).toBe(284);
  }, 30_000);

  it('singleton work runs once across processes; a second runs it after the first ends', async () => {
    const other = await PgDatabase.open({ url: suite.pgUrl() });
    try {
      let release = () => {};
      const holding = new Promise<void>((resolve) => (release = resolve));
      let runs = 0;
      const first = suite.database().runExclusive('reconcile', async () => {
        runs++;
        await holding;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await other.runExclusive('reconcile', async () => runs++)).toEqual({ ran: false });
      release();
      expect(await first).toMatchObject({ ran: true });
      expect(await other.runExclusive('reconcile', async () => ++runs)).toEqual({ ran: true, value: 2 });
    } finally {
      await other.close();
    }
  });
});

describe('PgSyncStore: many sites at once', () => {
  it('sites whose queues are created at the same moment all take their first change (pg-boss createQueue runs DDL)', async () => {
    // What a hosted sidecar sees when many sites send their first change together: every store creates its
    // pg-boss queue (a partition table) on first use. Concurrent creations deadlocked (40P01) and refused the change.
    const two = await PgDatabase.open({ url: suite.pgUrl() });
    try {
      const stores = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? suite.database() : two).site(`burst-${randomUUID()}`, Date.now));
      const outcomes = await Promise.allSettled(stores.map((store) => store.record(snap(1, '100'))));
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
      for (const store of stores) {
        expect(await store.get(1)).toMatchObject({ state: 'pending' });
      }
    } finally {
      await two.close();
    }
  });
});
