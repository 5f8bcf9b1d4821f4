import { describe, expect, it } from 'vitest';

import { AuthRateLimiter, Igny8Client, Igny8Error, type StoredTokens, type TokenStore } from '../../src/adapters/igny8-client.ts';
import { createLogCapture } from '../../src/logger.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';

const BASE = 'https://igny8.example';

function memoryTokens(initial: StoredTokens = {}, callsSoFar: () => number = () => 0) {
  const store = {
    value: { ...initial },
    /** Each save with the number of IGNY8 calls made before it. */
    saves: [] as Array<StoredTokens & { afterCalls: number }>,
    load: () => ({ ...store.value }),
    save: (tokens: StoredTokens) => {
      store.saves.push({ ...tokens, afterCalls: callsSoFar() });
      store.value = { ...tokens };
    },
  };
  return store satisfies TokenStore;
}

function setup(options: { tokens?: StoredTokens; limiter?: AuthRateLimiter } = {}) {
  const igny8 = new FakeIgny8();
  const tokens = memoryTokens(options.tokens, () => igny8.calls.length);
  const logs = createLogCapture();
  const client = new Igny8Client({
    tokens,
    logger: logs.logger,
    fetch: igny8.fetch,
    ...(options.limiter === undefined ? {} : { authLimiter: options.limiter }),
    retryAfterCapMs: 30_000,
  });
  const credentials = { email: igny8.email, password: igny8.password, apiKey: igny8.apiKey };
  return { igny8, tokens, client, credentials, logs };
}

async function failure(promise: Promise<unknown>): Promise<Igny8Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Igny8Error);
    return error as Igny8Error;
  }
  throw new Error('expected the call to fail');
}

describe('Igny8Client: tasks target (JWT)', () => {
  it('logs in once, then reuses the access token', async () => {
    const { igny8, client, credentials } = setup();
    await client.updateTask(BASE, credentials, 5, { status: 'completed' });
    await client.updateTask(BASE, credentials, 6, { status: 'draft' });
    expect(igny8.count('POST /api/v1/auth/login/')).toBe(1);
    expect(igny8.tasks.get('5')).toEqual({ status: 'completed' });
    expect(igny8.calls.at(-1)?.authorization).toMatch(/^Bearer /);
  });

  it('refreshes before expiry (exp read from the JWT) and persists the rotated refresh token before using it', async () => {
    const { igny8, tokens, client, credentials } = setup();
    igny8.accessTtlSeconds = 2;
    await client.updateTask(BASE, credentials, 1, { status: 'draft' });
    const firstRefresh = tokens.value.refresh;
    await new Promise((resolve) => setTimeout(resolve, 1_700));
    await client.updateTask(BASE, credentials, 1, { status: 'completed' });
    expect(igny8.count('POST /api/v1/auth/token/refresh/')).toBe(1);
    // No PUT was refused: the token was replaced before it expired.
    expect(igny8.count('PUT /api/v1/writer/tasks/')).toBe(2);
    const refreshIndex = igny8.calls.findIndex((c) => c.path === '/api/v1/auth/token/refresh/');
    expect(igny8.calls[refreshIndex]?.body).toEqual({ refresh: firstRefresh });
    // Saved (new refresh + new access) right after the refresh call, before the PUT that used the new access token.
    const saved = tokens.saves.at(-1);
    expect(saved?.refresh).not.toBe(firstRefresh);
    expect(saved?.afterCalls).toBe(refreshIndex + 1);
    expect(igny8.calls[refreshIndex + 1]?.authorization).toBe(`Bearer ${saved?.access}`);
  }, 10_000);

  it('on a 401 refreshes and retries exactly once', async () => {
    const { igny8, client, credentials } = setup();
    await client.updateTask(BASE, credentials, 1, { status: 'draft' });
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } });
    await client.updateTask(BASE, credentials, 1, { status: 'completed' });
    expect(igny8.count('PUT /api/v1/writer/tasks/')).toBe(3);
    expect(igny8.count('POST /api/v1/auth/token/refresh/')).toBe(1);
    expect(igny8.tasks.get('1')).toEqual({ status: 'completed' });
  });

  it('a 401 after the renewal is an auth failure (the target is paused), not a third try', async () => {
    const { igny8, client, credentials } = setup();
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } }, { match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } });
    const error = await failure(client.updateTask(BASE, credentials, 1, {}));
    expect(error.kind).toBe('auth');
    expect(igny8.count('PUT /api/v1/writer/tasks/')).toBe(2);
  });

  it('falls back to /api/v1/auth/refresh/ on 404 and remembers it', async () => {
    const { igny8, client, credentials } = setup();
    igny8.missing.add('/api/v1/auth/token/refresh/');
    await client.updateTask(BASE, credentials, 1, {});
    for (let i = 0; i < 2; i++) {
      igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } });
      await client.updateTask(BASE, credentials, 1, {});
    }
    expect(igny8.count('POST /api/v1/auth/token/refresh/')).toBe(1);
    expect(igny8.count('POST /api/v1/auth/refresh/')).toBe(2);
    expect(igny8.count('POST /api/v1/auth/login/')).toBe(1);
  });

  it('a revoked refresh token leads to a fresh login while the password is kept', async () => {
    const { igny8, client, credentials } = setup();
    await client.updateTask(BASE, credentials, 1, {});
    igny8.liveRefresh.clear();
    igny8.liveAccess.clear();
    await client.updateTask(BASE, credentials, 1, { status: 'completed' });
    expect(igny8.count('POST /api/v1/auth/login/')).toBe(2);
    expect(igny8.tasks.get('1')).toEqual({ status: 'completed' });
  });

  it('without a password a revoked refresh token is reauth_required', async () => {
    const { igny8, client, credentials } = setup();
    await client.updateTask(BASE, credentials, 1, {});
    igny8.liveRefresh.clear();
    igny8.liveAccess.clear();
    const error = await failure(client.updateTask(BASE, { email: credentials.email }, 1, {}));
    expect(error).toMatchObject({ kind: 'auth', code: 'reauth_required' });
  });

  it('wrong credentials are an auth failure with a clear message', async () => {
    const { client, credentials } = setup();
    const error = await failure(client.updateTask(BASE, { ...credentials, password: 'nope' }, 1, {}));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/IGNY8 login failed \(HTTP 401: Invalid email or password\.\)/);
    expect(error.message).not.toContain('nope');
  });

  it('renews once for concurrent callers (single flight)', async () => {
    const { igny8, client, credentials } = setup();
    await client.updateTask(BASE, credentials, 1, {});
    igny8.liveAccess.clear();
    await Promise.all([1, 2, 3, 4].map((id) => client.updateTask(BASE, credentials, id, {})));
    expect(igny8.count('POST /api/v1/auth/token/refresh/')).toBe(1);
  });

  it('one global auth limiter: past 20 auth calls a minute it waits instead of calling', async () => {
    const now = 1_000_000;
    const limiter = new AuthRateLimiter(20, 60_000, () => now);
    for (let i = 0; i < 20; i++) {
      expect(limiter.take().ok).toBe(true);
    }
    expect(limiter.take()).toEqual({ ok: false, waitMs: 60_000 });
    const { client, credentials, igny8 } = setup({ limiter });
    const error = await failure(client.updateTask(BASE, credentials, 1, {}));
    expect(error).toMatchObject({ kind: 'retry', code: 'auth_rate_limited' });
    expect(igny8.calls).toEqual([]);
  });
});

describe('Igny8Client: failure classes', () => {
  it.each([
    [500, 'retry'],
    [502, 'retry'],
    [429, 'retry'],
    [408, 'retry'],
    [400, 'park'],
    [403, 'park'],
    [404, 'park'],
    [422, 'park'],
  ] as const)('HTTP %i → %s', async (status, kind) => {
    const { igny8, client, credentials } = setup();
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status, body: { error: 'nope' } } });
    expect((await failure(client.updateTask(BASE, credentials, 1, {}))).kind).toBe(kind);
  });

  it('a network error is retryable; Retry-After is honoured and capped', async () => {
    const { igny8, client, credentials } = setup();
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: 'network' });
    expect((await failure(client.updateTask(BASE, credentials, 1, {}))).kind).toBe('retry');
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 429, headers: { 'Retry-After': '12' } } });
    expect((await failure(client.updateTask(BASE, credentials, 1, {}))).retryAfterMs).toBe(12_000);
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 503, headers: { 'Retry-After': '3600' } } });
    expect((await failure(client.updateTask(BASE, credentials, 1, {}))).retryAfterMs).toBe(30_000);
  });
});

describe('Igny8Client: webhook target (ApiKey)', () => {
  it('posts with Authorization: ApiKey and falls back to webhooks/wordpress/status/ on 404', async () => {
    const { igny8, client, credentials } = setup();
    igny8.missing.add('/api/v1/integration/webhook/wordpress/');
    await client.sendWebhook(BASE, credentials, { task_id: 3, status: 'completed' });
    await client.sendWebhook(BASE, credentials, { task_id: 3, status: 'draft' });
    expect(igny8.count('POST /api/v1/integration/webhook/wordpress/')).toBe(1);
    expect(igny8.count('POST /api/v1/integration/webhooks/wordpress/status/')).toBe(2);
    expect(igny8.calls.at(-1)?.authorization).toBe(`ApiKey ${igny8.apiKey}`);
    expect(igny8.count('POST /api/v1/auth/')).toBe(0);
  });

  it('a refused API key is an auth failure', async () => {
    const { client, credentials } = setup();
    expect((await failure(client.sendWebhook(BASE, { ...credentials, apiKey: 'x'.repeat(40) }, {}))).kind).toBe('auth');
  });

  it('lists sites for the connection test (a fresh login for tasks, the API key for webhook)', async () => {
    const { igny8, client, credentials } = setup();
    expect(await client.listSites(BASE, credentials, 'tasks')).toEqual([{ id: 7 }]);
    expect(await client.listSites(BASE, credentials, 'webhook')).toEqual([{ id: 7 }]);
    expect(igny8.count('POST /api/v1/auth/login/')).toBe(1);
  });
});
