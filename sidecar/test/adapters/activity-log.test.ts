/**
 * The activity log's contract, run against both implementations (like the queue store's): the single site's SQLite
 * file and PostgreSQL (rows scoped by site, shared by the replicas; the private server of test/setup/postgres.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';

import { SqliteActivityLog, activityCsv, retentionOf, type ActivityEntry, type ActivityLog } from '../../src/adapters/activity-log.ts';
import { PgActivityLog } from '../../src/adapters/pg-activity-log.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { TestClock } from '../helpers/harness.ts';

let dir: string;
let clock: TestClock;
let log: ActivityLog;
let database: PgDatabase;
let replica: PgDatabase;

const out = (postId: number, outcome: ActivityEntry['outcome'], extra: Partial<ActivityEntry> = {}): ActivityEntry => ({
  direction: 'out',
  kind: 'status',
  target: `tasks/${500 + postId}`,
  postId,
  contentId: String(1000 + postId),
  outcome,
  attempts: 1,
  ...extra,
});

beforeAll(async () => {
  database = await PgDatabase.open({ url: inject('pgUrl'), poolSize: 4 });
  replica = await PgDatabase.open({ url: inject('pgUrl'), poolSize: 2 });
});
afterAll(async () => {
  await database.close();
  await replica.close();
});

/** A fresh log, and a second handle on the same log (another process on the SQLite file, another replica on PostgreSQL). */
interface Backend {
  open(): ActivityLog;
  other(): ActivityLog;
}
let siteId = '';
const backends: Array<[string, Backend]> = [
  ['sqlite', { open: () => SqliteActivityLog.open({ dir, clock: clock.now }), other: () => SqliteActivityLog.open({ dir, clock: clock.now }) }],
  ['postgres', { open: () => new PgActivityLog(database, siteId, clock.now), other: () => new PgActivityLog(replica, siteId, clock.now) }],
];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'igny8-activity-'));
  clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
  siteId = randomUUID();
});

afterEach(async () => {
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(backends)('ActivityLog (%s)', (name, backend) => {
  beforeEach(() => {
    log = backend.open();
  });

  it('pages newest first and filters by post, outcome, kind, direction, since; search matches a content id or a request id', async () => {
    log.record(out(1, 'failed', { nextRetryAt: clock.ms + 2_000, error: 'IGNY8 answered HTTP 503.' }));
    clock.advance(2);
    log.record(out(1, 'delivered', { attempts: 2 }));
    clock.advance(1);
    log.record({ direction: 'in', kind: 'lookup', route: 'post_by_content_id', contentId: '77', outcome: 'error', code: 'POST_NOT_FOUND', httpStatus: 404, requestId: 'req-abc', durationMs: 3.4 });
    log.record(out(2, 'parked', { code: 'http_4xx' }));

    const all = await log.query();
    expect(all.total).toBe(4);
    expect(all.rows.map((r) => [r.post_id, r.outcome])).toEqual([[2, 'parked'], [null, 'error'], [1, 'delivered'], [1, 'failed']]);
    expect(all.rows[3]).toMatchObject({ at: '2026-06-01T12:00:00.000Z', next_retry_at: '2026-06-01T12:00:02.000Z', error: 'IGNY8 answered HTTP 503.', kind: 'status', target: 'tasks/501' });
    expect(all.rows[1]).toMatchObject({ duration_ms: 3, code: 'POST_NOT_FOUND', http_status: 404, direction: 'in' });

    const q = async (query: Parameters<ActivityLog['query']>[0]) => log.query(query);
    expect((await q({ postId: 1 })).rows.map((r) => r.outcome)).toEqual(['delivered', 'failed']);
    expect((await q({ outcome: 'parked' })).rows.map((r) => r.post_id)).toEqual([2]);
    expect((await q({ kind: 'lookup' })).total).toBe(1);
    expect((await q({ direction: 'out' })).total).toBe(3);
    expect((await q({ search: '77' })).rows.map((r) => r.request_id)).toEqual(['req-abc']);
    expect((await q({ search: 'req-abc' })).rows.map((r) => r.content_id)).toEqual(['77']);
    expect((await q({ search: '1001' })).total).toBe(2);
    expect((await q({ since: Date.parse('2026-06-01T12:00:02Z') })).total).toBe(3);

    const page2 = await q({ page: 2, perPage: 3 });
    expect(page2).toMatchObject({ total: 4, page: 2, per_page: 3, pages: 2 });
    expect(page2.rows.map((r) => r.outcome)).toEqual(['failed']);
  });

  it('purges rows older than the retention days and all but the newest rows', async () => {
    for (let day = 0; day < 10; day += 1) {
      await log.recordMany([out(day, 'delivered'), out(day, 'delivered')]);
      clock.advance(86_400);
    }
    expect(await log.count()).toBe(20);
    // Now = day 10: rows of days 0-2 are older than 7 days.
    expect(await log.purge({ days: 7, rows: 1000 })).toBe(6);
    expect((await log.query({ postId: 2 })).total).toBe(0);
    expect((await log.query({ postId: 3 })).total).toBe(2);
    expect(await log.purge({ days: 7, rows: 5 })).toBe(9);
    expect((await log.query({ perPage: 10 })).rows.map((r) => r.post_id)).toEqual([9, 9, 8, 8, 7]);
    expect(await log.purge({ days: 7, rows: 5 })).toBe(0);
  });

  it('keyset pages (before_id) are the pages by number, without an OFFSET; the last one says so', async () => {
    await log.recordMany(Array.from({ length: 23 }, (_, i) => out(i % 4, i % 3 === 0 ? 'failed' : 'delivered')));
    for (const filter of [{}, { outcome: 'failed' }, { postId: 2 }]) {
      const byNumber: number[][] = [];
      const pages = (await log.query({ ...filter, perPage: 5 })).pages;
      for (let page = 1; page <= pages; page++) {
        byNumber.push((await log.query({ ...filter, page, perPage: 5 })).rows.map((r) => r.id));
      }
      const byKey: number[][] = [];
      let before: number | null | undefined;
      do {
        const page = await log.query({ ...filter, perPage: 5, ...(before === undefined ? {} : { beforeId: before as number }) });
        byKey.push(page.rows.map((r) => r.id));
        expect(page.total).toBe((await log.query({ ...filter, perPage: 5 })).total);
        before = page.next_before_id;
      } while (before !== null);
      // A full last page still names a next id; the page after it is empty.
      expect(byKey.filter((ids) => ids.length > 0), JSON.stringify(filter)).toEqual(byNumber);
    }
  });

  it('totals stay exact while rows come in and after purges, also when another process or replica writes and purges', async () => {
    await log.recordMany(Array.from({ length: 30 }, (_, i) => out(i % 3, i % 2 === 0 ? 'failed' : 'delivered')));
    const exact = async (query: Parameters<ActivityLog['query']>[0]) => (await log.query({ ...query, perPage: 100 })).rows.length;
    for (const filter of [{}, { outcome: 'failed' }, { postId: 1, outcome: 'failed' }]) {
      expect((await log.query(filter)).total).toBe(await exact(filter));
    }
    await log.recordMany([out(1, 'failed'), out(1, 'delivered'), out(2, 'failed')]);
    for (const filter of [{}, { outcome: 'failed' }, { postId: 1, outcome: 'failed' }]) {
      expect((await log.query(filter)).total, JSON.stringify(filter)).toBe(await exact(filter));
    }
    clock.advance(86_400 * 40);
    log.record(out(1, 'failed'));
    expect(await log.purge({ days: 30, rows: 1000 })).toBe(33);
    expect((await log.query({ outcome: 'failed' })).total).toBe(1);
    expect((await log.query({})).total).toBe(1);
    // Another process on the same file (SQLite: the kept counts must notice the lowest id move) or another replica on
    // the same database (PostgreSQL) writes and purges: this one reads the same log.
    const other = backend.other();
    await other.recordMany([out(3, 'delivered')]);
    expect((await log.query({})).total).toBe(2);
    expect((await log.query({})).rows.map((r) => r.post_id)).toEqual([3, 1]);
    clock.advance(86_400 * 40);
    await other.recordMany([out(3, 'delivered')]);
    expect(await other.purge({ days: 30, rows: 1000 })).toBe(2);
    expect((await log.query({})).total).toBe(1);
    await other.close();
  });

  it('never throws once closed (a log must not fail the call it describes)', async () => {
    await log.close();
    expect(() => log.record(out(1, 'delivered'))).not.toThrow();
    expect(await log.purge({ days: 1, rows: 1000 })).toBe(0);
  });

  it('exports RFC 4180 CSV, defusing spreadsheet formulas', async () => {
    log.record(out(1, 'failed', { error: 'He said "no", then\nleft' }));
    log.record(out(2, 'parked', { error: '=HYPERLINK("http://evil")' }));
    const csv = activityCsv((await log.query()).rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,at,direction,kind,route,target,content_id,post_id,outcome,code,http_status,duration_ms,request_id,attempts,next_retry_at,error');
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")"`);
    expect(csv).toContain('"He said ""no"", then\nleft"');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it.runIf(name === 'postgres')('keeps each site to its own rows', async () => {
    log.record(out(1, 'delivered'));
    const neighbour = new PgActivityLog(database, randomUUID(), clock.now);
    await neighbour.recordMany([out(2, 'failed'), out(3, 'failed')]);
    expect((await log.query()).rows.map((r) => r.post_id)).toEqual([1]);
    expect(await neighbour.purge({ days: 1, rows: 1000 })).toBe(0);
    expect(await log.purge({ days: 30, rows: 1000 })).toBe(0);
    expect(await neighbour.count()).toBe(2);
    await neighbour.close();
  });
});

describe('SqliteActivityLog', () => {
  beforeEach(() => {
    log = SqliteActivityLog.open({ dir, clock: clock.now });
  });

  it('keeps its file 0600', () => {
    log.record(out(1, 'delivered'));
    expect(statSync((log as SqliteActivityLog).path).mode & 0o777).toBe(0o600);
  });
});

describe('retentionOf', () => {
  beforeEach(() => {
    log = SqliteActivityLog.open({ dir, clock: clock.now });
  });

  it('takes the retention from the settings, within the contract bounds', () => {
    expect(retentionOf({})).toEqual({ days: 30, rows: 100_000 });
    expect(retentionOf({ igny8_activity_retention_days: 3, igny8_activity_max_rows: 5000 })).toEqual({ days: 3, rows: 5000 });
    expect(retentionOf({ igny8_activity_retention_days: 0, igny8_activity_max_rows: 10 })).toEqual({ days: 1, rows: 1000 });
    expect(retentionOf({ igny8_activity_retention_days: '9' })).toEqual({ days: 30, rows: 100_000 });
  });
});
