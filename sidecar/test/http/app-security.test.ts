import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import request from 'supertest';

import { contract } from '../../src/contract/contract.ts';
import { ReplayCache } from '../../src/protocol/replay-cache.ts';
import { SIDECAR_VERSION } from '../../src/version.ts';
import { newSecret, plainBody, shimContext, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const statusRequest = { method: 'GET', path: '/igny8/v1/status', ctx: shimContext({ route_id: 'status' }) };

describe('transport guards (before authentication)', () => {
  it('refuses any request with an Origin header, and sends no CORS headers', async () => {
    const { res, bytes } = await h.send({ ...statusRequest, headers: { Origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(plainBody(bytes).code).toBe('FORBIDDEN');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['x-igny8-signature']).toBeUndefined();

    const preflight = await request(h.server).options('/igny8/v1/status').set('Origin', 'https://evil.example');
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a Host header outside the allow-list (DNS rebinding)', async () => {
    const { res, bytes } = await h.send({ ...statusRequest, headers: { Host: `attacker.example:${h.port}` } });
    expect(res.status).toBe(403);
    expect(plainBody(bytes).code).toBe('FORBIDDEN');
    const ok = await h.send({ ...statusRequest, headers: { Host: `localhost:${h.port}` } });
    expect(ok.res.status).toBe(200);
  });

  it('honours an explicit SIDECAR_ALLOWED_HOSTS list', async () => {
    const custom = await startHarness({ appDeps: { allowedHosts: ['sidecar.internal:9443'] } });
    try {
      expect((await custom.send({ ...statusRequest })).res.status).toBe(403);
      expect((await custom.send({ ...statusRequest, headers: { Host: 'sidecar.internal:9443' } })).res.status).toBe(200);
    } finally {
      await custom.close();
    }
  });

  it('refuses a body over limits.max_body_bytes with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = `{"x":"${'a'.repeat(contract.limits.max_body_bytes)}"}`;
    const { res, bytes } = await h.send({
      method: 'POST',
      path: '/igny8/v1/publish-content',
      body: big,
      ctx: shimContext({ route_id: 'publish_content' }),
    });
    expect(res.status).toBe(413);
    expect(plainBody(bytes).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unsigned request with a plain 401 SIGNATURE_INVALID envelope', async () => {
    const { res, bytes } = await h.send({ ...statusRequest, authorization: null });
    expect(res.status).toBe(401);
    expect(plainBody(bytes)).toMatchObject({ success: false, code: 'SIGNATURE_INVALID' });
    expect(typeof plainBody(bytes).request_id).toBe('string');
    expect(res.headers['x-igny8-signature']).toBeUndefined();
  });

  it('answers a token under an unknown kid with 503 SIDECAR_AUTH_MISMATCH and the sidecar key id', async () => {
    const { res, bytes } = await h.send({ ...statusRequest, sign: { secret: newSecret() } });
    expect(res.status).toBe(503);
    expect(plainBody(bytes)).toMatchObject({ code: 'SIDECAR_AUTH_MISMATCH', sidecar_kid: h.keyRing.kid });
  });

  it('works with one minor version of protocol skew either way, and signs its replies with its own pv', async () => {
    const [major, minor] = contract.protocol_version.split('.').map(Number) as [number, number];
    const skews = [`${major}.${minor + 1}`, ...(minor > 0 ? [`${major}.${minor - 1}`] : [])];
    for (const pv of [contract.protocol_version, ...skews]) {
      const { res, bytes, signed } = await h.send({ ...statusRequest, sign: { pv } });
      expect(res.status, pv).toBe(200);
      await h.verify(res, bytes, signed);
      const replyClaims = JSON.parse(Buffer.from((res.headers['x-igny8-signature'] as string).split('.')[1] as string, 'base64url').toString());
      expect(replyClaims.pv).toBe(contract.protocol_version);
    }
  });

  it.each([
    ['two minor versions apart', (major: number, minor: number) => `${major}.${minor + 2}`],
    ['another major version', (major: number, minor: number) => `${major + 1}.${minor}`],
    ['no protocol version', () => null],
  ])('answers a shim %s with 503 SIDECAR_VERSION_MISMATCH naming both versions', async (_name, pvOf) => {
    const [major, minor] = contract.protocol_version.split('.').map(Number) as [number, number];
    const pv = pvOf(major, minor);
    const { res, bytes } = await h.send({ ...statusRequest, sign: { pv } });
    expect(res.status).toBe(503);
    expect(res.headers['x-igny8-signature']).toBeUndefined();
    const body = plainBody(bytes);
    expect(body).toMatchObject({
      success: false,
      code: 'SIDECAR_VERSION_MISMATCH',
      plugin_protocol: pv ?? 'none',
      sidecar_protocol: contract.protocol_version,
      sidecar_version: SIDECAR_VERSION,
    });
    expect(body.error).toContain(`protocol ${pv ?? '(none'}`);
    expect(body.error).toContain(`sidecar ${SIDECAR_VERSION} speaks protocol ${contract.protocol_version}`);
  });

  it.each([
    ['a swapped body', { sendBody: '{"content_id":43}', body: '{"content_id":42}' }],
    ['a request sent to another route than signed', { htu: '/igny8/v1/publish' }],
    ['an expired token', { sign: { nowSec: Math.floor(Date.now() / 1000) - 120 } }],
  ])('refuses %s', async (_name, variant) => {
    const { res, bytes } = await h.send({
      method: 'POST',
      path: '/igny8/v1/publish-content',
      ctx: shimContext({ route_id: 'publish_content' }),
      ...variant,
    });
    expect(res.status).toBe(401);
    expect(plainBody(bytes).code).toBe('SIGNATURE_INVALID');
  });

  it('refuses a replayed request', async () => {
    const first = await h.send(statusRequest);
    expect(first.res.status).toBe(200);
    const replay = await request(h.server).get('/igny8/v1/status').set('Authorization', first.signed.headers.Authorization);
    expect(replay.status).toBe(401);
    expect(replay.body.error).toMatch(/replayed/);
  });

  it('fails closed with 429 when the replay cache is full of live tokens', async () => {
    const tiny = await startHarness({ appDeps: { replayCache: new ReplayCache({ maxEntries: 1 }) } });
    try {
      expect((await tiny.send(statusRequest)).res.status).toBe(200);
      const { res, bytes } = await tiny.send(statusRequest);
      expect(res.status).toBe(429);
      expect(plainBody(bytes).code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await tiny.close();
    }
  });
});

describe('after authentication, errors are signed respond replies', () => {
  it('answers JSON nested deeper than limits.max_json_depth with JSON_TOO_DEEP (400)', async () => {
    const depth = contract.limits.max_json_depth + 1;
    const { res, bytes, signed } = await h.send({
      method: 'POST',
      path: '/igny8/v1/publish-content',
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
      ctx: shimContext({ route_id: 'publish_content' }),
    });
    expect(res.status).toBe(200);
    const reply = await h.verify(res, bytes, signed);
    expect(reply).toMatchObject({ kind: 'respond', status: 400, body: { success: false, code: 'JSON_TOO_DEEP' } });
  });

  it('answers invalid JSON with INVALID_JSON (400) carrying ctx.request_id', async () => {
    const ctx = shimContext({ route_id: 'publish_content', request_id: 'req-invalid-json' });
    const { res, bytes, signed } = await h.send({ method: 'POST', path: '/igny8/v1/publish-content', body: '{"title":', ctx });
    const reply = await h.verify(res, bytes, signed);
    expect(reply).toEqual({
      kind: 'respond',
      status: 400,
      body: { success: false, error: 'Request body is not valid JSON.', code: 'INVALID_JSON', request_id: 'req-invalid-json' },
    });
  });

  it('answers an unknown path with ROUTE_NOT_FOUND (404)', async () => {
    const { res, bytes, signed } = await h.send({ method: 'GET', path: '/igny8/v1/nope', ctx: shimContext({ route_id: 'nope' }) });
    const reply = await h.verify(res, bytes, signed);
    expect(reply).toMatchObject({ kind: 'respond', status: 404, body: { code: 'ROUTE_NOT_FOUND' } });
  });

  it('answers a known path with a method the contract does not list with ROUTE_NOT_FOUND', async () => {
    const { res, bytes, signed } = await h.send({ method: 'DELETE', path: '/igny8/v1/status', ctx: shimContext() });
    expect(await h.verify(res, bytes, signed)).toMatchObject({ status: 404, body: { code: 'ROUTE_NOT_FOUND' } });
  });

  it('answers a ctx that lacks site facts with BAD_REQUEST naming the field', async () => {
    const { res, bytes, signed } = await h.send({ ...statusRequest, ctx: { request_id: 'r-2', route_id: 'status', params: {}, query: {} } });
    const reply = await h.verify(res, bytes, signed);
    expect(reply).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', field: 'ctx.site', request_id: 'r-2' } });
  });

  it('answers a ctx.route_id that does not match the path with BAD_REQUEST', async () => {
    const { res, bytes, signed } = await h.send({ ...statusRequest, ctx: shimContext({ route_id: 'site_metadata' }) });
    expect(await h.verify(res, bytes, signed)).toMatchObject({ status: 400, body: { field: 'ctx.route_id' } });
  });

  it('rate-limits conversation starts per site with RATE_LIMITED (429) and Retry-After', async () => {
    const limited = await startHarness({ appDeps: { rateLimitPerMin: 2 } });
    try {
      expect((await limited.send(statusRequest)).res.status).toBe(200);
      expect((await limited.send(statusRequest)).res.status).toBe(200);
      const { res, bytes, signed } = await limited.send(statusRequest);
      const reply = await limited.verify(res, bytes, signed);
      expect(reply).toMatchObject({ kind: 'respond', status: 429, body: { code: 'RATE_LIMITED', retry_after: 30 } });
      expect(res.headers['retry-after']).toBe('30');
      limited.clock.advance(30);
      expect(await limited.verify(...(await sendAndUnpack(limited)))).toMatchObject({ status: 200 });
    } finally {
      await limited.close();
    }
  });
});

async function sendAndUnpack(harness: Harness) {
  const { res, bytes, signed } = await harness.send(statusRequest);
  return [res, bytes, signed] as const;
}

describe('GET /healthz', () => {
  it('answers loopback callers without authentication, revealing nothing but the version and the protocol version', async () => {
    const res = await request(h.server).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, version: '0.1.0', protocol: contract.protocol_version });
    expect(res.text).not.toContain(h.secret);
    expect(res.text).not.toContain(h.keyRing.kid);
  });
});
