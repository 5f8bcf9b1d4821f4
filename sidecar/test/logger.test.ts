import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { findCanaries } from '../src/logger.ts';
import { shimContext, startHarness, type Harness } from './helpers/harness.ts';

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

  it('findCanaries finds raw and encoded canaries (the helper itself works)', () => {
    expect(findCanaries(`x ${Buffer.from(CANARY_PASSWORD).toString('base64url')} y`, [CANARY_PASSWORD])).toEqual([CANARY_PASSWORD]);
    expect(findCanaries('nothing here', [CANARY_PASSWORD])).toEqual([]);
  });
});
