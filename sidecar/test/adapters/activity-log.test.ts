import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ActivityLog, activityCsv, retentionOf, type ActivityEntry } from '../../src/adapters/activity-log.ts';
import { TestClock } from '../helpers/harness.ts';

let dir: string;
let clock: TestClock;
let log: ActivityLog;

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

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'igny8-activity-'));
  clock = new TestClock(Date.parse('2026-06-01T12:00:00Z'));
  log = ActivityLog.open({ dir, clock: clock.now });
});

afterEach(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ActivityLog', () => {
  it('pages newest first and filters by post, outcome, kind, direction, since; search matches a content id or a request id', () => {
    log.record(out(1, 'failed', { nextRetryAt: clock.ms + 2_000, error: 'IGNY8 answered HTTP 503.' }));
    clock.advance(2);
    log.record(out(1, 'delivered', { attempts: 2 }));
    clock.advance(1);
    log.record({ direction: 'in', kind: 'lookup', route: 'post_by_content_id', contentId: '77', outcome: 'error', code: 'POST_NOT_FOUND', httpStatus: 404, requestId: 'req-abc', durationMs: 3.4 });
    log.record(out(2, 'parked', { code: 'http_4xx' }));

    const all = log.query();
    expect(all.total).toBe(4);
    expect(all.rows.map((r) => [r.post_id, r.outcome])).toEqual([[2, 'parked'], [null, 'error'], [1, 'delivered'], [1, 'failed']]);
    expect(all.rows[3]).toMatchObject({ at: '2026-06-01T12:00:00.000Z', next_retry_at: '2026-06-01T12:00:02.000Z', error: 'IGNY8 answered HTTP 503.', kind: 'status', target: 'tasks/501' });
    expect(all.rows[1]).toMatchObject({ duration_ms: 3, code: 'POST_NOT_FOUND', http_status: 404, direction: 'in' });

    expect(log.query({ postId: 1 }).rows.map((r) => r.outcome)).toEqual(['delivered', 'failed']);
    expect(log.query({ outcome: 'parked' }).rows.map((r) => r.post_id)).toEqual([2]);
    expect(log.query({ kind: 'lookup' }).total).toBe(1);
    expect(log.query({ direction: 'out' }).total).toBe(3);
    expect(log.query({ search: '77' }).rows.map((r) => r.request_id)).toEqual(['req-abc']);
    expect(log.query({ search: 'req-abc' }).rows.map((r) => r.content_id)).toEqual(['77']);
    expect(log.query({ search: '1001' }).total).toBe(2);
    expect(log.query({ since: Date.parse('2026-06-01T12:00:02Z') }).total).toBe(3);

    const page2 = log.query({ page: 2, perPage: 3 });
    expect(page2).toMatchObject({ total: 4, page: 2, per_page: 3, pages: 2 });
    expect(page2.rows.map((r) => r.outcome)).toEqual(['failed']);
  });

  it('purges rows older than the retention days and all but the newest rows; the file is 0600', () => {
    for (let day = 0; day < 10; day += 1) {
      log.recordMany([out(day, 'delivered'), out(day, 'delivered')]);
      clock.advance(86_400);
    }
    expect(log.count()).toBe(20);
    // Now = day 10: rows of days 0-2 are older than 7 days.
    expect(log.purge({ days: 7, rows: 1000 })).toBe(6);
    expect(log.query({ postId: 2 }).total).toBe(0);
    expect(log.query({ postId: 3 }).total).toBe(2);
    expect(log.purge({ days: 7, rows: 5 })).toBe(9);
    expect(log.query({ perPage: 10 }).rows.map((r) => r.post_id)).toEqual([9, 9, 8, 8, 7]);
    expect(log.purge({ days: 7, rows: 5 })).toBe(0);
    expect(statSync(log.path).mode & 0o777).toBe(0o600);
  });

  it('keyset pages (before_id) are the pages by number, without an OFFSET; the last one says so', () => {
    log.recordMany(Array.from({ length: 23 }, (_, i) => out(i % 4, i % 3 === 0 ? 'failed' : 'delivered')));
    for (const filter of [{}, { outcome: 'failed' }, { postId: 2 }]) {
      const byNumber: number[][] = [];
      for (let page = 1; page <= log.query({ ...filter, perPage: 5 }).pages; page++) {
        byNumber.push(log.query({ ...filter, page, perPage: 5 }).rows.map((r) => r.id));
      }
      const byKey: number[][] = [];
      let before: number | null | undefined;
      do {
        const page = log.query({ ...filter, perPage: 5, ...(before === undefined ? {} : { beforeId: before as number }) });
        byKey.push(page.rows.map((r) => r.id));
        expect(page.total).toBe(log.query({ ...filter, perPage: 5 }).total);
        before = page.next_before_id;
      } while (before !== null);
      // A full last page still names a next id; the page after it is empty.
      expect(byKey.filter((ids) => ids.length > 0), JSON.stringify(filter)).toEqual(byNumber);
    }
  });

  it('totals stay exact while rows come in and after purges (kept counts plus what came since)', () => {
    log.recordMany(Array.from({ length: 30 }, (_, i) => out(i % 3, i % 2 === 0 ? 'failed' : 'delivered')));
    const exact = (query: Parameters<ActivityLog['query']>[0]) => log.query({ ...query, perPage: 100 }).rows.length;
    for (const filter of [{}, { outcome: 'failed' }, { postId: 1, outcome: 'failed' }]) {
      expect(log.query(filter).total).toBe(exact(filter));
    }
    log.recordMany([out(1, 'failed'), out(1, 'delivered'), out(2, 'failed')]);
    for (const filter of [{}, { outcome: 'failed' }, { postId: 1, outcome: 'failed' }]) {
      expect(log.query(filter).total, JSON.stringify(filter)).toBe(exact(filter));
    }
    clock.advance(86_400 * 40);
    log.record(out(1, 'failed'));
    expect(log.purge({ days: 30, rows: 1000 })).toBe(33);
    expect(log.query({ outcome: 'failed' }).total).toBe(1);
    expect(log.query({}).total).toBe(1);
    // Another process purged the same file: the lowest id moved, the kept counts are not trusted.
    const other = ActivityLog.open({ dir, clock: clock.now });
    other.record(out(3, 'delivered'));
    expect(log.query({}).total).toBe(2);
    clock.advance(86_400 * 40);
    other.record(out(3, 'delivered'));
    expect(other.purge({ days: 30, rows: 1000 })).toBe(2);
    expect(log.query({}).total).toBe(1);
    other.close();
  });

  it('never throws once closed (a log must not fail the call it describes)', () => {
    log.close();
    expect(() => log.record(out(1, 'delivered'))).not.toThrow();
    expect(log.purge({ days: 1, rows: 1000 })).toBe(0);
  });

  it('exports RFC 4180 CSV, defusing spreadsheet formulas', () => {
    log.record(out(1, 'failed', { error: 'He said "no", then\nleft' }));
    log.record(out(2, 'parked', { error: '=HYPERLINK("http://evil")' }));
    const csv = activityCsv(log.query().rows);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,at,direction,kind,route,target,content_id,post_id,outcome,code,http_status,duration_ms,request_id,attempts,next_retry_at,error');
    expect(lines[1]).toContain(`,"'=HYPERLINK(""http://evil"")"`);
    expect(csv).toContain('"He said ""no"", then\nleft"');
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('takes its retention from the settings, within the contract bounds', () => {
    expect(retentionOf({})).toEqual({ days: 30, rows: 100_000 });
    expect(retentionOf({ igny8_activity_retention_days: 3, igny8_activity_max_rows: 5000 })).toEqual({ days: 3, rows: 5000 });
    expect(retentionOf({ igny8_activity_retention_days: 0, igny8_activity_max_rows: 10 })).toEqual({ days: 1, rows: 1000 });
    expect(retentionOf({ igny8_activity_retention_days: '9' })).toEqual({ days: 30, rows: 100_000 });
  });
});
