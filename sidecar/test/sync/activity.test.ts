/**
 * The activity log end to end in the sidecar: delivery attempts out (failed → retried → delivered), IGNY8 calls in
 * (one row per call, across rounds), the `GET /activity` route (page, filters, CSV) and the canary: no secret in
 * the log's file or answers.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { InternalOp, WordPressOps } from '../../src/adapters/wp-internal-client.ts';
import { findCanaries } from '../../src/logger.ts';
import { createSync, type SyncRuntime } from '../../src/sync/create-sync.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { shimContext, startHarness, testSyncConfig, type Harness } from '../helpers/harness.ts';

const CANARY_PASSWORD = 'canary-activity-password-5c4b3a29';
const CANARY_API_KEY = 'canary-activity-api-key-0123456789abcdef012345';
const SETTINGS = { igny8_api_base_url: 'https://igny8.example', igny8_sync_target: 'tasks', igny8_sync_mode: 'auto', igny8_connection_enabled: true };
const SITE_INFO = {
  site_info: { name: 'WP', url: 'https://wp.test', description: '', language: 'en_US', timezone: 'UTC' },
  post_types: [{ name: 'post', label: 'Posts', count: 3, supports: ['title'] }],
  taxonomies: [],
  plugins: { woocommerce: false },
};

/** WordPress's internal route: every write-back succeeds. */
const wordpress: WordPressOps = {
  run: async (ops: readonly InternalOp[]) => ops.map((op) => ({ ok: true, post_id: 'post_id' in op ? op.post_id : 0, cleared: true, written: [] })),
};

let dir: string;
let igny8: FakeIgny8;
let sync: SyncRuntime;
let h: Harness;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'igny8-activity-sync-'));
  igny8 = new FakeIgny8();
  igny8.password = CANARY_PASSWORD;
  igny8.apiKey = CANARY_API_KEY;
  h = await startHarness();
  sync = await createSync({
    config: testSyncConfig(dir, { email: igny8.email, password: CANARY_PASSWORD, apiKey: CANARY_API_KEY, apiBaseUrl: SETTINGS.igny8_api_base_url }),
    keyRing: h.keyRing,
    logger: h.logs.logger,
    fetch: igny8.fetch,
    wordpress,
  });
  await h.close();
  h = await startHarness({ secret: h.secret, appDeps: { sync: sync.service, logger: h.logs.logger, activity: sync.activity } });
  await sync.service.observe(h.sid, shimContext({ route_id: 'sync_events', settings: SETTINGS }) as never);
});

afterEach(async () => {
  await h.close();
  await sync.close();
  rmSync(dir, { recursive: true, force: true });
});

async function settle(): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    await sync.worker.idle();
    const counts = (await sync.store.counts());
    if (counts.pending + counts.in_flight === 0) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`queue did not settle: ${JSON.stringify(counts)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const activity = (query: string) =>
  h.converse({ method: 'GET', route: '/igny8/v1/activity', query, ctx: shimContext({ route_id: 'activity_list', query: Object.fromEntries(new URLSearchParams(query)), settings: SETTINGS }), executeOp: () => ({}) });

describe('activity log', () => {
  it('an IGNY8 outage shows as failed attempts with their next retry, then the delivery; keywords get their own row', async () => {
    igny8.script.push(...Array.from({ length: 2 }, () => ({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 503 } as const })));
    await sync.service.recordEvents([
      { post_id: 1, seq: '10', wordpress_status: 'publish', post_url: 'https://wp.test/?p=1', post_type: 'post', title: 'One', content_id: 1001, task_id: 501, keyword_ids: [4] },
    ]);
    await settle();
    const rows = (await sync.activity.query({ postId: 1 })).rows.reverse();
    expect(rows.map((r) => [r.kind, r.outcome, r.attempts])).toEqual([
      ['status', 'failed', 1],
      ['status', 'failed', 2],
      ['keywords', 'delivered', 3],
      ['status', 'delivered', 3],
    ]);
    expect(rows[0]).toMatchObject({ direction: 'out', target: 'tasks/501', content_id: '1001', code: 'HTTP_503' });
    expect(rows[0]?.error).toMatch(/503/);
    expect(rows[0]?.next_retry_at).not.toBeNull();
    expect(rows[3]).toMatchObject({ next_retry_at: null, error: null, target: 'tasks/501' });

    // Through the shim route: filters and the CSV export.
    const page = await activity('post_id=1&outcome=failed&per_page=1');
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ success: true, data: { total: 2, pages: 2, per_page: 1, rows: [{ post_id: 1, outcome: 'failed', attempts: 2 }] } });
    const csv = await activity('kind=status&format=csv');
    const lines = ((csv.body as { data: { csv: string } }).data.csv).trim().split('\r\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/,out,status,,tasks\/501,1001,1,delivered,/);
    expect((await activity('outcome=maybe')).body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'outcome' });
    expect((await activity('since=yesterday')).body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'since' });
  });

  it('logs each IGNY8 call in once, when it is answered, with the request id, code and duration across rounds', async () => {
    const missing = await h.converse({
      method: 'GET',
      route: '/igny8/v1/post-by-content-id/42',
      ctx: shimContext({ route_id: 'post_by_content_id', request_id: 'aaaaaaaa-0000-4000-8000-000000000042', params: { content_id: '42' } }),
      executeOp: () => ({ ok: true, posts: [] }),
    });
    expect(missing.status).toBe(404);
    const metadata = await h.converse({
      method: 'GET',
      route: '/igny8/v1/site-metadata',
      ctx: shimContext({ route_id: 'site_metadata', request_id: 'bbbbbbbb-0000-4000-8000-000000000001' }),
      executeOp: () => ({ ok: true, ...SITE_INFO }),
    });
    expect(metadata.status).toBe(200);
    expect(metadata.rounds).toBe(1);
    // Settings and the activity route itself are not IGNY8 calls.
    await activity('');

    const rows = (await sync.activity.query({ direction: 'in' })).rows;
    expect(rows.map((r) => [r.kind, r.route, r.outcome, r.code, r.http_status])).toEqual([
      ['site_metadata', 'site_metadata', 'ok', null, 200],
      ['lookup', 'post_by_content_id', 'error', 'POST_NOT_FOUND', 404],
    ]);
    expect(rows[1]).toMatchObject({ content_id: '42', request_id: 'aaaaaaaa-0000-4000-8000-000000000042', post_id: null });
    expect(rows[0]?.duration_ms).toBeGreaterThanOrEqual(0);
    expect((await activity('search=aaaaaaaa-0000-4000-8000-000000000042')).body).toMatchObject({ data: { total: 1, rows: [{ route: 'post_by_content_id' }] } });
  });

  it('log canary: no credential or token reaches the activity file or its answers', async () => {
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } });
    await sync.service.recordEvents([
      { post_id: 2, seq: '11', wordpress_status: 'draft', post_url: 'https://wp.test/?p=2', post_type: 'post', title: 'Two', content_id: 1002, task_id: 502, keyword_ids: [] },
    ]);
    await settle();
    const answers = JSON.stringify([(await activity('')).body, (await activity('format=csv')).body]);
    const files = readdirSync(join(dir, 'sync'))
      .filter((file) => file.startsWith('activity'))
      .map((file) => readFileSync(join(dir, 'sync', file)).toString('latin1'));
    expect(files.length).toBeGreaterThan(0);
    expect(await sync.activity.count()).toBeGreaterThan(0);
    for (const text of [answers, ...files]) {
      expect(findCanaries(text, [CANARY_PASSWORD, CANARY_API_KEY])).toEqual([]);
      for (const token of [...igny8.liveAccess, ...igny8.liveRefresh]) {
        expect(text).not.toContain(token.split('.')[1] ?? token);
      }
    }
  });

  it('retention is applied in the background by the sidecar timer, with the rows and days the settings ask for', async () => {
    const own = mkdtempSync(join(tmpdir(), 'igny8-activity-purge-'));
    const runtime = await createSync({ config: testSyncConfig(own), keyRing: h.keyRing, logger: h.logs.logger, fetch: igny8.fetch, wordpress, activityPurgeIntervalMs: 20 });
    try {
      await runtime.service.observe(h.sid, shimContext({ route_id: 'sync_events', settings: { ...SETTINGS, igny8_activity_max_rows: 1000 } }) as never);
      await runtime.activity.recordMany(Array.from({ length: 1500 }, (_, i) => ({ direction: 'out' as const, kind: 'status', postId: i, outcome: 'delivered' as const })));
      expect(await runtime.activity.count()).toBe(1500);
      await expect.poll(() => runtime.activity.count(), { timeout: 2_000 }).toBe(1000);
      // The newest rows stay.
      expect((await runtime.activity.query({ perPage: 1 })).rows[0]?.post_id).toBe(1499);
    } finally {
      await runtime.close();
      rmSync(own, { recursive: true, force: true });
    }
  });
});
