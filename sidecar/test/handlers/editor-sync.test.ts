import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { WordPressUnavailableError } from '../../src/adapters/wp-internal-client.ts';
import { findCanaries } from '../../src/logger.ts';
import { KeyRing } from '../../src/protocol/keys.ts';
import type { Operation } from '../../src/protocol/messages.ts';
import { createSync, type SyncRuntime } from '../../src/sync/create-sync.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { shimContext, startHarness, testSyncConfig, type Harness } from '../helpers/harness.ts';

const CANARY_PASSWORD = 'canary-igny8-password-9f8e7d6c';
const CANARY_API_KEY = 'canary-igny8-api-key-0123456789abcdef0123456789';

let dir: string;
let igny8: FakeIgny8;
let sync: SyncRuntime;
let h: Harness;

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

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'igny8-routes-'));
  igny8 = new FakeIgny8();
  igny8.password = CANARY_PASSWORD;
  igny8.apiKey = CANARY_API_KEY;
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
});

afterEach(async () => {
  await h.close();
  await sync.close();
  rmSync(dir, { recursive: true, force: true });
});

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

describe('POST /_shim/events', () => {
  it('answers 202 at once and queues each snapshot; malformed entries are counted, not fatal', async () => {
    const body = JSON.stringify({
      events: [
        { post_id: 3, seq: '100', wordpress_status: 'publish', post_url: 'https://wp.test/?p=3', post_type: 'post', title: 'x', content_id: 903, task_id: 103, keyword_ids: [] },
        { post_id: 'nope' },
      ],
    });
    const { res } = await h.send({ method: 'POST', path: '/_shim/events', body, ctx: shimContext({ route_id: 'sync_events', settings: { ...SETTINGS, igny8_sync_mode: 'manual' } }) });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body.toString())).toMatchObject({ success: true, data: { accepted: 1, rejected: 1 } });
    expect((await sync.service.state(3))).toMatchObject({ state: 'pending_manual', sync_mode: 'manual' });
  });

  it('refuses an unsigned notify', async () => {
    const { res } = await h.send({ method: 'POST', path: '/_shim/events', body: '{"events":[]}', authorization: null });
    expect(res.status).toBe(401);
  });
});

describe('editor sync routes', () => {
  it('GET answers a post the queue does not know from the contract read PHP ran (one exchange, no execute round)', async () => {
    const ops: Operation[] = [];
    const result = await h.converse({
      method: 'GET',
      route: '/igny8/v1/editor/posts/5/sync',
      ctx: shimContext({ route_id: 'editor_sync_state', params: { post_id: '5' }, settings: SETTINGS }),
      executeOp: (op) => {
        ops.push(op);
        return { ok: true, posts: [post(5, { _igny8_last_synced: '2026-01-02 03:04:05' })] };
      },
    });
    expect(ops).toEqual([{ op: 'find_posts', meta_key: '_igny8_content_id', post_id: '5', limit: 1 }]);
    expect(result.rounds).toBe(0);
    expect(result.status).toBe(200);
    // Site time (Europe/Berlin, gmt_offset 1 in the harness ctx) → ISO UTC.
    expect(result.body).toMatchObject({ success: true, data: { post_id: 5, state: 'synced', last_synced_at: '2026-01-02T02:04:05.000Z', attempts: 0 } });
  });

  it('GET enqueues a marker the queue is missing; unmanaged posts are 404', async () => {
    const pending = await h.converse({
      method: 'GET',
      route: '/igny8/v1/editor/posts/6/sync',
      ctx: shimContext({ route_id: 'editor_sync_state', params: { post_id: '6' }, settings: { ...SETTINGS, igny8_sync_mode: 'manual' } }),
      executeOp: () => ({ ok: true, posts: [post(6, { _igny8_sync_pending: '1795616653705984943' })] }),
    });
    expect(pending.body).toMatchObject({ data: { post_id: 6, state: 'pending_manual' } });
    const missing = await h.converse({
      method: 'GET',
      route: '/igny8/v1/editor/posts/7/sync',
      ctx: shimContext({ route_id: 'editor_sync_state', params: { post_id: '7' }, settings: SETTINGS }),
      executeOp: () => ({ ok: true, posts: [] }),
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, code: 'POST_NOT_FOUND' });
  });

  it('POST (Sync now) delivers a fresh snapshot even when nothing changed, and answers the state', async () => {
    igny8.email = 'ops@example.com';
    const staged = sync.service.stage('seed', h.sid, { email: 'ops@example.com', password: CANARY_PASSWORD });
    await sync.service.commit('seed', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged);
    const result = await h.converse({
      method: 'POST',
      route: '/igny8/v1/editor/posts/8/sync',
      ctx: shimContext({ route_id: 'editor_sync_now', params: { post_id: '8' }, settings: SETTINGS }),
      executeOp: () => ({ ok: true, posts: [post(8)] }),
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ success: true, data: { post_id: 8 } });
    await expect.poll(() => igny8.tasks.get('108')).toMatchObject({ status: 'completed', wordpress_status: 'publish', assigned_post_id: 8 });
  });
});

describe('settings routes', () => {
  const ctx = (routeId: string, settings: Record<string, unknown> = SETTINGS) => shimContext({ route_id: routeId, settings });

  it('GET never returns a secret; POST stores them sealed and says only that they are present', async () => {
    const executed: Operation[] = [];
    const saved = await h.converse({
      method: 'POST',
      route: '/igny8/v1/settings',
      body: JSON.stringify({ email: 'ops@example.com', password: CANARY_PASSWORD, api_key: CANARY_API_KEY, sync_mode: 'manual' }),
      contentType: 'application/json',
      ctx: ctx('settings_save'),
      executeOp: (op) => {
        executed.push(op);
        return op.op === 'save_settings' ? { ok: true, settings: { ...SETTINGS, igny8_sync_mode: 'manual' } } : { ok: true, api_key_present: true };
      },
    });
    expect(saved.status).toBe(200);
    expect(executed.map((op) => op.op)).toEqual(['save_settings', 'set_api_key']);
    expect(executed[0]).toEqual({ op: 'save_settings', settings: { igny8_sync_mode: 'manual' } });
    expect(saved.body).toMatchObject({
      success: true,
      data: { email: 'ops@example.com', sync_mode: 'manual', password_present: true, api_key_present: true, webhook_key_present: true, fingerprints: { sidecar: h.keyRing.kid } },
    });
    const read = await h.converse({ method: 'GET', route: '/igny8/v1/settings', ctx: ctx('settings_read'), executeOp: () => ({}) });
    expect(read.body).toMatchObject({ success: true, data: { password_present: true, api_base_url: 'https://igny8.example', connection: { state: 'disconnected' } } });
    const text = JSON.stringify([saved.body, read.body, saved.replies.map((r) => (r.kind === 'execute' ? r.state : null))]);
    expect(findCanaries(text, [CANARY_PASSWORD])).toEqual([]);
    // The sealed store holds no plaintext either.
    const { readFileSync, readdirSync } = await import('node:fs');
    for (const file of readdirSync(join(dir, 'sync'))) {
      expect(readFileSync(join(dir, 'sync', file)).includes(CANARY_PASSWORD)).toBe(false);
    }
  });

  it('the secrets of a save wait sealed in its conversation state: another replica (same credentials key) finishes it', async () => {
    // Replicas behind one URL (issue #16 §4): the save's first round and its continue may reach different processes.
    const staged = sync.service.stage('rid-1', h.sid, { email: 'ops@example.com', password: CANARY_PASSWORD });
    expect(findCanaries(JSON.stringify(staged), [CANARY_PASSWORD])).toEqual([]);
    const otherDir = mkdtempSync(join(tmpdir(), 'igny8-routes-other-'));
    const other = await createSync({
      config: testSyncConfig(otherDir),
      keyRing: h.keyRing,
      logger: h.logs.logger,
      fetch: igny8.fetch,
      wordpress: { run: () => Promise.reject(new WordPressUnavailableError('not in this test')) },
    });
    try {
      // Sealed for one request id: another request cannot replay it.
      await other.service.commit('rid-2', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged);
      expect(other.service.credentials()).toMatchObject({ email: null, password_present: false });
      await other.service.commit('rid-1', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged);
      expect(other.service.credentials()).toMatchObject({ email: 'ops@example.com', password_present: true });
      // Plaintext secrets in a state are never taken (only sealed ones).
      await other.service.commit('rid-3', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, { flags: JSON.stringify({ email: 'x@example.com', at: Date.now() }) });
      expect(other.service.credentials()).toMatchObject({ email: 'ops@example.com' });
    } finally {
      await other.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  it('field errors are 422 VALIDATION_FAILED with the field; a changed base URL requires credentials again', async () => {
    const attempt = async (body: Record<string, unknown>, settings: Record<string, unknown> = SETTINGS) =>
      h.converse({
        method: 'POST',
        route: '/igny8/v1/settings',
        body: JSON.stringify(body),
        contentType: 'application/json',
        ctx: ctx('settings_save', settings),
        executeOp: () => ({ ok: true, settings: SETTINGS }),
      });
    for (const [body, field] of [
      [{ api_base_url: 'http://igny8.example' }, 'api_base_url'],
      [{ api_base_url: 'ftp://igny8.example' }, 'api_base_url'],
      [{ api_base_url: 'https://igny8.example?x=1' }, 'api_base_url'],
      [{ api_base_url: 'https://other.example' }, 'password'],
      [{ api_base_url: 'https://other.example', sync_target: 'webhook' }, 'api_key'],
      [{ sync_mode: 'sometimes' }, 'sync_mode'],
      [{ email: 'not-an-email' }, 'email'],
      [{ api_key: 'short' }, 'api_key'],
      [{ connection_enabled: 'yes' }, 'connection_enabled'],
    ] as const) {
      const result = await attempt(body);
      expect(result.status, JSON.stringify(body)).toBe(422);
      expect(result.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field });
    }
    // Loopback http is fine (development; here the first URL, so no credentials needed), and so is a new URL with them.
    expect((await attempt({ api_base_url: 'http://127.0.0.1:9100' }, { ...SETTINGS, igny8_api_base_url: '' })).status).toBe(200);
    expect((await attempt({ api_base_url: 'https://other.example', email: 'a@b.example', password: 'new-password' })).status).toBe(200);
  });

  it('maps a WordPress-side validation error back to the API field', async () => {
    const result = await h.converse({
      method: 'POST',
      route: '/igny8/v1/settings',
      body: JSON.stringify({ default_author: 999 }),
      contentType: 'application/json',
      ctx: ctx('settings_save'),
      executeOp: () => ({ ok: false, error: { code: 'VALIDATION_FAILED', message: 'No user has this id.', field: 'igny8_default_author' } }),
    });
    expect(result.status).toBe(422);
    expect(result.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'default_author', error: 'No user has this id.' });
  });

  it('test-connection logs in and lists the sites, or says clearly why not', async () => {
    igny8.email = 'ops@example.com';
    const staged = sync.service.stage('seed', h.sid, { email: 'ops@example.com', password: 'wrong' });
    await sync.service.commit('seed', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged);
    const bad = await h.converse({ method: 'POST', route: '/igny8/v1/settings/test-connection', ctx: ctx('settings_test_connection'), executeOp: () => ({}) });
    expect(bad.body).toMatchObject({ success: true, data: { ok: false, sites: [] } });
    expect((bad.body as { data: { message: string } }).data.message).toMatch(/IGNY8 login failed \(HTTP 401/);

    const staged2 = sync.service.stage('seed2', h.sid, { password: CANARY_PASSWORD });
    await sync.service.commit('seed2', h.sid, shimContext({ settings: SETTINGS }) as never, SETTINGS, staged2);
    const good = await h.converse({ method: 'POST', route: '/igny8/v1/settings/test-connection', ctx: ctx('settings_test_connection'), executeOp: () => ({}) });
    expect(good.body).toMatchObject({ success: true, data: { ok: true, sites: [{ id: 7 }] } });
    const status = await h.converse({ method: 'GET', route: '/igny8/v1/status', ctx: shimContext({ settings: SETTINGS }), executeOp: () => ({}) });
    expect(status.body).toMatchObject({ data: { connected: true, token_present: true, sidecar: { queue: { pending: 0, failed: 0 } } } });

    // Log canary: nothing secret reached the log on any of these paths.
    expect(findCanaries(h.logs.text(), [CANARY_PASSWORD, CANARY_API_KEY, 'wrong'].filter((c) => c.length >= 8))).toEqual([]);
    for (const token of igny8.liveAccess) {
      expect(h.logs.text()).not.toContain(token.split('.')[1]);
    }
  });
});
