/**
 * Resync everything (issue #14 §3, §5): the settings_resync routes on the real sync runtime, WordPress played by a
 * list of managed posts answering `list_managed`, IGNY8 by the fake. Each managed post reaches IGNY8 once per pass;
 * a pass handled twice, interrupted or asked again when finished delivers nothing twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { WordPressUnavailableError } from '../../src/adapters/wp-internal-client.ts';
import type { ResyncProgress } from '../../src/contract/wire-types.ts';
import type { Operation } from '../../src/protocol/messages.ts';
import { createSync, type SyncRuntime } from '../../src/sync/create-sync.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { shimContext, startHarness, testSyncConfig, type Harness } from '../helpers/harness.ts';

const SETTINGS = {
  igny8_api_base_url: 'https://igny8.example',
  igny8_sync_target: 'tasks',
  igny8_sync_mode: 'auto',
  igny8_connection_enabled: true,
  igny8_allowed_post_types: ['post', 'page'],
  igny8_default_post_status: 'draft',
  igny8_default_author: 0,
  igny8_site_id: '',
};

let dir: string;
let igny8: FakeIgny8;
let sync: SyncRuntime;
let h: Harness;

const post = (id: number, meta: Record<string, unknown> = {}) => ({
  id,
  post_type: 'post',
  status: 'publish',
  title: `Post ${id}`,
  url: `https://wp.test/?p=${id}`,
  date_gmt: null,
  modified_gmt: null,
  author: 1,
  meta: { _igny8_content_id: 900 + id, _igny8_task_id: 100 + id, ...meta },
  terms: {},
});

/** WordPress's managed posts, and what list_managed answers for them (PHP: Operations/List_Managed.php). */
let posts: Array<ReturnType<typeof post>> = [];
const listed: Array<{ limit: number; after_id: number }> = [];
function listManaged(op: Operation): unknown {
  if (op.op !== 'list_managed') {
    throw new Error(`unexpected op ${op.op}`);
  }
  const limit = op.limit ?? 50;
  const afterId = op.after_id ?? 0;
  listed.push({ limit, after_id: afterId });
  const page = posts.filter((p) => p.id > afterId).slice(0, limit);
  return {
    ok: true,
    posts: page,
    next_after_id: page.length >= limit ? page[page.length - 1]?.id : null,
    ...(afterId === 0 ? { total: posts.length } : {}),
  };
}

/** The route's reply: the pass's progress, and on a start whether it began one (handlers/resync.ts). */
type Progress = ResyncProgress & { started?: boolean; already_done?: boolean };

async function resync(body: Record<string, unknown> = {}, executeOp: (op: Operation) => unknown = listManaged) {
  const reply = await h.converse({
    method: 'POST',
    route: '/igny8/v1/settings/resync',
    body: JSON.stringify(body),
    contentType: 'application/json',
    ctx: shimContext({ route_id: 'settings_resync', settings: SETTINGS }),
    executeOp,
  });
  return { status: reply.status, rounds: reply.rounds, body: reply.body as { success: boolean; data: Progress; message?: string; code?: string } };
}

async function progress(): Promise<Progress> {
  const reply = await h.converse({
    method: 'GET',
    route: '/igny8/v1/settings/resync',
    ctx: shimContext({ route_id: 'settings_resync_status', settings: SETTINGS }),
    executeOp: () => {
      throw new Error('the progress reads nothing from WordPress');
    },
  });
  expect(reply.status).toBe(200);
  return (reply.body as { data: Progress }).data;
}

/** Runs the pass to its end, the way `wp igny8 resync --all` loops. */
async function runToDone(body: Record<string, unknown>): Promise<Progress[]> {
  const seen: Progress[] = [];
  for (let i = 0; i < 100; i++) {
    const reply = await resync(i === 0 ? body : { batch: body.batch });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    seen.push(reply.body.data);
    if (reply.body.data.state === 'done') {
      return seen;
    }
  }
  throw new Error('the pass never finished');
}

const taskPuts = (postId: number) => igny8.count(`PUT /api/v1/writer/tasks/${100 + postId}/`);
const allDelivered = async (ids: number[], times: number) => {
  await expect.poll(() => ids.map(taskPuts), { timeout: 5_000 }).toEqual(ids.map(() => times));
  // Settle: nothing more arrives after the queue drained.
  await expect.poll(async () => (await sync.store.counts()).pending + (await sync.store.counts()).in_flight).toBe(0);
  expect(ids.map(taskPuts)).toEqual(ids.map(() => times));
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'igny8-resync-'));
  igny8 = new FakeIgny8();
  igny8.email = 'ops@example.com';
  posts = Array.from({ length: 7 }, (_, i) => post(i + 1));
  listed.length = 0;
  h = await startHarness();
  sync = await createSync({
    config: testSyncConfig(dir),
    keyRing: h.keyRing,
    logger: h.logs.logger,
    fetch: igny8.fetch,
    wordpress: { run: () => Promise.reject(new WordPressUnavailableError('not in this test')) },
  });
  await h.close();
  h = await startHarness({ secret: h.secret, appDeps: { sync: sync.service, logger: h.logs.logger } });
  const staged = sync.service.stage('seed', h.sid, { email: 'ops@example.com', password: igny8.password });
  await sync.service.commit('seed', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged);
});

afterEach(async () => {
  await h.close();
  await sync.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('resync everything (settings_resync)', () => {
  it('walks every managed post by batches with progress, and delivers each one once', async () => {
    expect(await progress()).toMatchObject({ state: 'idle', pass: null, processed: 0 });
    const steps = await runToDone({ batch: 3 });
    // 7 posts by 3: three pages (the last one short), one list_managed round per request.
    expect(listed).toEqual([
      { limit: 3, after_id: 0 },
      { limit: 3, after_id: 3 },
      { limit: 3, after_id: 6 },
    ]);
    expect(steps.map((s) => [s.state, s.processed, s.total, s.percent])).toEqual([
      ['running', 3, 7, 42],
      ['running', 6, 7, 85],
      ['done', 7, 7, 100],
    ]);
    expect(steps[0]?.started).toBe(true);
    expect(steps[2]).toMatchObject({ pass: 1, enqueued: 7, skipped: 0, cursor: 7 });
    await allDelivered([1, 2, 3, 4, 5, 6, 7], 1);
    expect(igny8.tasks.get('101')).toMatchObject({ wordpress_status: 'publish', assigned_post_id: 1 });
  });

  it('a finished pass answers done and delivers nothing again; restart starts a new pass that delivers each post once more', async () => {
    await runToDone({ batch: 50 });
    await allDelivered([1, 2, 3, 4, 5, 6, 7], 1);
    listed.length = 0;

    const again = await resync({});
    expect(again.status).toBe(200);
    expect(again.rounds).toBe(0); // Nothing asked of WordPress.
    expect(again.body.data).toMatchObject({ state: 'done', pass: 1, started: false, already_done: true, processed: 7 });
    expect(again.body.message).toContain('restart for a new pass');
    expect(listed).toEqual([]);

    const restarted = await runToDone({ batch: 50, restart: true });
    expect(restarted.at(-1)).toMatchObject({ state: 'done', pass: 2, processed: 7, enqueued: 7, started: true });
    await allDelivered([1, 2, 3, 4, 5, 6, 7], 2);
  });

  it('interrupted, it resumes from the cursor; a page handled twice records nothing twice', async () => {
    const first = await resync({ batch: 2 });
    expect(first.body.data).toMatchObject({ state: 'running', processed: 2, cursor: 2 });
    // The reply of the second batch is lost (the caller was interrupted after PHP ran the read): WordPress has the
    // page, the sidecar recorded it, the cursor moved.
    const lost = await resync({ batch: 2 });
    expect(lost.body.data).toMatchObject({ processed: 4, cursor: 4 });

    // The same page handled again by a request that started from the old cursor (two callers at once).
    const job = sync.service.resync;
    const pass = job.current();
    await job.apply(pass?.pass ?? 0, 2, listManaged({ op: 'list_managed', limit: 2, after_id: 2 }) as never);
    expect(job.current()).toMatchObject({ processed: 4, cursor: 4 });

    // A new run without restart continues the pass where it stopped.
    listed.length = 0;
    const rest = await runToDone({ batch: 2 });
    expect(listed[0]).toEqual({ limit: 2, after_id: 4 });
    expect(rest[0]?.started).toBe(false);
    expect(rest.at(-1)).toMatchObject({ state: 'done', pass: 1, processed: 7, enqueued: 7 });
    await allDelivered([1, 2, 3, 4, 5, 6, 7], 1);
  });

  it('coalesces with changes already waiting: a post changed since the pass began is not queued a second time', async () => {
    const first = await resync({ batch: 3 });
    expect(first.body.data.processed).toBe(3);
    // Post 5 changes in WordPress after the pass began: its event reaches the queue before the pass gets there.
    await sync.service.recordEvents([{ ...post(5), status: 'draft', seq: '1900000000000000000' }]);
    const rest = await runToDone({ batch: 3 });
    expect(rest.at(-1)).toMatchObject({ state: 'done', processed: 7, enqueued: 6, skipped: 1 });
    await allDelivered([1, 2, 3, 4, 5, 6, 7], 1);
    expect(igny8.tasks.get('105')).toMatchObject({ wordpress_status: 'draft' });
  });

  it('a post whose pending marker the queue never saw is recorded under that marker', async () => {
    posts[1] = post(2, { _igny8_sync_pending: '1999999999999999999' });
    await runToDone({ batch: 50 });
    expect((await sync.store.get(2))?.seqWanted).toBe('1999999999999999999');
    expect(BigInt((await sync.store.get(1))?.seqWanted ?? '0')).toBeGreaterThan(0n);
  });

  it('refuses a bad batch, and answers a failed read as the shim failing', async () => {
    const bad = await resync({ batch: 0 });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'batch' });
    const failed = await resync({}, () => ({ ok: false, error: { code: 'OPERATION_FAILED', message: 'db down' } }));
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('OPERATION_FAILED');
    // The pass began and kept its cursor: the next run continues it.
    expect(await progress()).toMatchObject({ state: 'running', processed: 0, cursor: 0 });
  });
});
