import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { WordPressUnavailableError } from '../src/adapters/wp-internal-client.ts';
import { createLogCapture, findCanaries, REDACTED, SECRET_KEYS, scalarLineLogger } from '../src/logger.ts';
import { KeyRing } from '../src/protocol/keys.ts';
import { createSync } from '../src/sync/create-sync.ts';
import { FakeIgny8 } from './helpers/fake-igny8.ts';
import { shimContext, startHarness, testSyncConfig, type Harness } from './helpers/harness.ts';

const CANARY_API_KEY = 'canary-api-key-7c1e9a3f5b2d4e6a8c0b1d3f5e7a9c2b';
const CANARY_PASSWORD = 'canary-password-Zq8!xR2#mK5';
const CANARY_REFRESH = 'canary-refresh-token-a1b2c3d4e5f6';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('log canaries', () => {
  it('never logs the site secret, API keys, passwords, tokens or the JWTs that carried them', async () => {
    const ctx = shimContext({
      route_id: 'publish_content',
      settings: { igny8_api_key: CANARY_API_KEY, igny8_password: CANARY_PASSWORD },
    });
    const body = JSON.stringify({ content_id: 1, password: CANARY_PASSWORD, refresh: CANARY_REFRESH });
    const tokens: string[] = [];

    // 1. authenticated request (signed reply), with secrets in headers, ctx and body
    const ok = await h.send({
      method: 'POST',
      path: '/igny8/v1/publish-content?api_key=' + CANARY_API_KEY,
      body,
      ctx,
      headers: { 'X-IGNY8-API-KEY': CANARY_API_KEY, Cookie: `wordpress_logged_in=${CANARY_PASSWORD}` },
    });
    tokens.push(ok.signed.token, String(ok.res.headers['x-igny8-signature']));

    // 2. refused requests: bad body hash, replay, unknown kid, oversized body, invalid JSON after auth
    const swapped = await h.send({ method: 'POST', path: '/igny8/v1/publish-content', body, ctx, sendBody: body.replace('1', '2') });
    tokens.push(swapped.signed.token);
    const replay = await request(h.server)
      .get('/igny8/v1/status')
      .set('Authorization', ok.signed.headers.Authorization)
      .set('X-IGNY8-API-KEY', CANARY_API_KEY);
    expect(replay.status).toBe(401);
    const invalid = await h.send({ method: 'POST', path: '/igny8/v1/publish-content', body: `{"password":"${CANARY_PASSWORD}"`, ctx });
    tokens.push(invalid.signed.token);
    const huge = await h.send({
      method: 'POST',
      path: '/igny8/v1/publish-content',
      body: `{"p":"${CANARY_PASSWORD.repeat(80_000)}"}`,
      ctx,
    });
    expect(huge.res.status).toBe(413);

    // 3. a full conversation
    await h.converse({ method: 'GET', route: '/igny8/v1/status', ctx: shimContext(), executeOp: () => ({}) });

    // 4. anything a developer might pass to the logger by mistake
    h.logs.logger.warn(
      { password: CANARY_PASSWORD, headers: { authorization: `Bearer ${tokens[0]}`, 'x-igny8-api-key': CANARY_API_KEY }, job: { refresh: CANARY_REFRESH } },
      'mistake',
    );

    const text = h.logs.text();
    expect(h.logs.lines().filter((line) => line.msg === 'request').length).toBeGreaterThanOrEqual(6);
    expect(findCanaries(text, [CANARY_API_KEY, CANARY_PASSWORD, CANARY_REFRESH, h.secret, ...tokens])).toEqual([]);
    // The token's payload segment (base64url claims) and signature must not leak piecemeal either.
    for (const token of tokens) {
      for (const part of token.split('.').slice(1)) {
        expect(text).not.toContain(part);
      }
    }
  });

  it('writes one line per request with method, path (no query), status, duration and request_id', async () => {
    await h.send({ method: 'GET', path: '/igny8/v1/status?x=1', ctx: shimContext({ request_id: 'req-log-1' }) });
    const line = h.logs.lines().find((entry) => entry.msg === 'request');
    expect(line).toMatchObject({ method: 'GET', path: '/igny8/v1/status', status: 200, request_id: 'req-log-1', route_id: 'status' });
    expect(typeof line?.ms).toBe('number');
  });

  it('the request line logger (top-level paths only) writes a scalar line exactly as the redacting logger does', () => {
    const full = createLogCapture('info');
    const scalar = createLogCapture('info');
    const line: Record<string, unknown> = { method: 'GET', path: '/igny8/v1/post-status/42', status: 200, ms: 1.3, request_id: 'r', route_id: 'post_status', sid: 's' };
    // Every secret key at the top level, with a scalar value: both censor it.
    for (const key of SECRET_KEYS) {
      line[key] = CANARY_PASSWORD;
    }
    full.logger.info(line, 'request');
    scalarLineLogger(scalar.logger).info(line, 'request');
    const [a] = full.lines();
    const [b] = scalar.lines();
    expect({ ...b, time: a?.time }).toEqual(a);
    expect(b?.authorization).toBe(REDACTED);
    expect(b?.['x-igny8-api-key']).toBe(REDACTED);
    expect(findCanaries(scalar.text(), [CANARY_PASSWORD])).toEqual([]);
  });

  it('findCanaries finds raw and encoded canaries (the helper itself works)', () => {
    expect(findCanaries(`x ${Buffer.from(CANARY_PASSWORD).toString('base64url')} y`, [CANARY_PASSWORD])).toEqual([CANARY_PASSWORD]);
    expect(findCanaries('nothing here', [CANARY_PASSWORD])).toEqual([]);
  });

  it('the sync (IGNY8 login, refresh, 401s, wrong credentials, webhook, write-back failures) logs no credential or token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igny8-canary-'));
    const logs = createLogCapture('trace');
    const igny8 = new FakeIgny8();
    igny8.password = CANARY_PASSWORD;
    igny8.apiKey = CANARY_API_KEY;
    igny8.accessTtlSeconds = 1;
    const sync = await createSync({
      config: testSyncConfig(dir, {
        backoffBaseMs: 10, backoffMaxMs: 20, retryAfterCapMs: 50, maxAttempts: 3,
        credentialsKey: Buffer.alloc(32, 3), apiBaseUrl: 'https://igny8.example', email: igny8.email, password: CANARY_PASSWORD, apiKey: CANARY_API_KEY,
      }),
      keyRing: new KeyRing({ current: Buffer.alloc(32, 1) }),
      logger: logs.logger,
      fetch: igny8.fetch,
      wordpress: { run: () => Promise.reject(new WordPressUnavailableError('down')) },
    });
    const ctx = shimContext({ route_id: 'sync_events', settings: { igny8_api_base_url: 'https://igny8.example' } });
    await sync.service.observe('site', ctx as never);
    const event = (id: number, seq: string) => ({ post_id: id, seq, wordpress_status: 'publish', post_url: 'https://wp.test/', post_type: 'post', title: 't', content_id: 1, task_id: id, keyword_ids: [1] });
    const settle = async () => {
      for (let i = 0; i < 300 && (await sync.store.counts()).pending + (await sync.store.counts()).in_flight > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await sync.service.recordEvents([event(1, '1'), event(2, '1')]);
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the 1-second token expires: refresh
    igny8.script.push({ match: 'PUT /api/v1/writer/tasks/', reply: { status: 401 } }, { match: 'PUT /api/v1/writer/tasks/', reply: { status: 500 } });
    await sync.service.recordEvents([event(1, '2'), event(3, '1')]);
    await settle();
    await sync.service.observe('site', { ...ctx, settings: { igny8_api_base_url: 'https://igny8.example', igny8_sync_target: 'webhook' } } as never);
    await sync.service.recordEvents([event(4, '1')]);
    await settle();
    igny8.password = 'changed';
    await sync.service.observe('site', ctx as never);
    igny8.liveAccess.clear();
    igny8.liveRefresh.clear();
    await sync.service.recordEvents([event(5, '1')]);
    await settle();
    await sync.worker.flushWritebacks();
    await sync.close();
    rmSync(dir, { recursive: true, force: true });

    expect(igny8.count('POST /api/v1/auth/token/refresh/')).toBeGreaterThanOrEqual(1);
    expect(igny8.count('POST /api/v1/integration/')).toBe(1);
    const text = logs.text();
    expect(text).toContain('sync delivered');
    const tokens = igny8.calls.flatMap((c) => [c.authorization ?? '', ...Object.values((c.body ?? {}) as Record<string, unknown>).map(String)]);
    expect(findCanaries(text, [CANARY_PASSWORD, CANARY_API_KEY])).toEqual([]);
    for (const token of [...igny8.liveAccess, ...igny8.liveRefresh, ...tokens.filter((t) => t.includes('.'))]) {
      for (const part of token.replace(/^(Bearer|ApiKey) /, '').split('.').filter((p) => p.length > 20)) {
        expect(text).not.toContain(part);
      }
    }
  });
});
