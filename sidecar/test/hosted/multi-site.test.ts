/**
 * Multi-site mode (issue #16 §1–2) on the real app and the private PostgreSQL (test/setup/postgres.ts): sites enrol
 * through POST /_shim/enrol, each request is verified with the keys of the site its `sid` names, and no token signed
 * for one site reads or writes another's queue.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { SiteRegistry } from '../../src/adapters/site-registry.ts';
import { closeGracefully } from '../../src/http/listen.ts';
import { createMultiSiteApp } from '../../src/http/multi-site-app.ts';
import { HostedSites, type OpenSite } from '../../src/hosted/hosted-sites.ts';
import type { SyncRuntime } from '../../src/sync/create-sync.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { snapshot } from '../helpers/snapshot.ts';
import { createLogCapture } from '../../src/logger.ts';
import { keyId, decodeSecret } from '../../src/protocol/keys.ts';
import { signShimRequest, verifySidecarReply } from '../helpers/shim-client.ts';
import { openHostedDeployment, type HostedDeployment } from '../helpers/hosted-deployment.ts';
import { enrolBody, type HostedSite, newHostedSite, newSecret, shimContext, testSyncConfig } from '../helpers/harness.ts';

const MANUAL = { igny8_connection_enabled: true, igny8_sync_mode: 'manual', igny8_allowed_post_types: ['post'] };
const clock = { now: Date.now() };
const logs = createLogCapture('warn');
let db: PgDatabase;
let registry: SiteRegistry;
let sites: HostedSites;
let server: Server;
let deployment: HostedDeployment;

beforeAll(async () => {
  deployment = await openHostedDeployment({ logger: logs.logger, maxOpenSites: 2, clock: () => clock.now });
  ({ db, registry, sites } = deployment);
  server = createServer(createMultiSiteApp({ logger: logs.logger, sites, enrolment: registry }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await closeGracefully(server, 500);
  await deployment.close();
});

type Site = HostedSite;

const newSite = (): Site => newHostedSite('/blog');

async function enrol(site: Site): Promise<void> {
  const { code } = await registry.createEnrolment(site.url, 15 * 60_000);
  const res = await request(server).post('/_shim/enrol').send(enrolBody(code, site));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** One signed exchange: `signAs` gives the secret that signs and the sid the token claims. */
async function call(signAs: { secret: string; sid: string }, method: string, path: string, body?: string, routeId = 'status', settings = MANUAL) {
  const signed = await signShimRequest({
    secret: signAs.secret,
    sid: signAs.sid,
    method,
    htu: path,
    ctx: shimContext({ route_id: routeId, settings }),
    ...(body === undefined ? {} : { body }),
  });
  let test = request(server)[method.toLowerCase() as 'get' | 'post'](path).set('Authorization', signed.headers.Authorization).set('Content-Type', 'application/json');
  if (body !== undefined) {
    test = test.send(body);
  }
  const res = await test.buffer(true).parse((response, done) => {
    const chunks: Buffer[] = [];
    (response as unknown as NodeJS.ReadableStream).on('data', (chunk: Buffer) => chunks.push(chunk));
    (response as unknown as NodeJS.ReadableStream).on('end', () => done(null, Buffer.concat(chunks)));
  });
  return { res, bytes: res.body as Buffer, signed };
}

const eventsBody = (postId: number) =>
  JSON.stringify({
    events: [{ post_id: postId, seq: '100', wordpress_status: 'publish', post_url: `https://wp.test/?p=${postId}`, post_type: 'post', title: 'x', content_id: 900, task_id: 100, keyword_ids: [] }],
  });

async function pendingOf(site: Site): Promise<number> {
  const { res, bytes, signed } = await call(site, 'GET', '/igny8/v1/status');
  expect(res.status).toBe(200);
  const { reply } = await verifySidecarReply({
    secret: site.secret,
    sid: site.sid,
    token: res.headers['x-igny8-signature'] as string,
    body: new Uint8Array(bytes),
    requestJti: signed.jti,
  });
  expect(reply.kind).toBe('respond');
  const data = (reply as { body: { data: { sidecar: { queue: { pending: number } } } } }).body.data;
  return data.sidecar.queue.pending;
}

const queuedPosts = async (sid: string) =>
  (await db.pool.query('SELECT post_id FROM igny8_sync_jobs WHERE site_id = $1 ORDER BY post_id', [sid])).rows.map((row: { post_id: string }) => Number(row.post_id));

const refusedCode = (res: request.Response) => JSON.parse((res.body as Buffer).toString()) as { code: string; success: boolean };

describe('multi-site: one request, one site, its own keys', () => {
  const a = newSite();
  const b = newSite();
  beforeAll(async () => {
    await enrol(a);
    await enrol(b);
  });

  it('each site reads and writes only its own queue', async () => {
    const written = await call(a, 'POST', '/_shim/events', eventsBody(7), 'sync_events');
    expect(written.res.status).toBe(202);
    expect(await queuedPosts(a.sid)).toEqual([7]);
    expect(await queuedPosts(b.sid)).toEqual([]);
    expect(await pendingOf(a)).toBe(1);
    expect(await pendingOf(b)).toBe(0);
  });

  it("refuses site A's key claiming site B's id, and B's key claiming A's id — for reads and for writes", async () => {
    for (const forged of [
      { secret: a.secret, sid: b.sid },
      { secret: b.secret, sid: a.sid },
    ]) {
      const read = await call(forged, 'GET', '/igny8/v1/status');
      expect(read.res.status).toBe(503);
      expect(read.res.headers['x-igny8-signature']).toBeUndefined();
      expect(refusedCode(read.res).code).toBe('SIDECAR_AUTH_MISMATCH');
      const write = await call(forged, 'POST', '/_shim/events', eventsBody(99), 'sync_events');
      expect(write.res.status).toBe(503);
      expect(refusedCode(write.res).code).toBe('SIDECAR_AUTH_MISMATCH');
    }
    expect(await queuedPosts(a.sid)).not.toContain(99);
    expect(await queuedPosts(b.sid)).toEqual([]);
  });

  it("names no key id of the site a forged token claims: the refusal is about the caller's key, nothing of B's", async () => {
    const bKid = keyId(decodeSecret(b.secret));
    for (const [method, path, body, routeId] of [
      ['GET', '/igny8/v1/status', undefined, 'status'],
      ['POST', '/_shim/events', eventsBody(98), 'sync_events'],
    ] as const) {
      const { res } = await call({ secret: a.secret, sid: b.sid }, method, path, body, routeId);
      const text = (res.body as Buffer).toString();
      expect(res.status).toBe(503);
      expect(text).not.toContain(bKid);
      expect(text).not.toContain('sidecar_kid');
      expect(JSON.parse(text)).toMatchObject({ success: false, code: 'SIDECAR_AUTH_MISMATCH', error: expect.stringContaining('does not hold for this site id') });
    }
  });

  it('answers /healthz with its mode (a hosted sidecar serves it to remote sites too)', async () => {
    const res = await request(server).get('/healthz');
    expect(res.body).toMatchObject({ ok: true, mode: 'multi-site' });
  });

  it('refuses an id no site enrolled, and an unsigned request, before any key is tried', async () => {
    const stranger = { secret: newSecret(), sid: randomUUID() };
    const { res } = await call(stranger, 'GET', '/igny8/v1/status');
    expect(res.status).toBe(503);
    expect(refusedCode(res)).toMatchObject({ code: 'SIDECAR_AUTH_MISMATCH' });
    const unsigned = await request(server).get('/igny8/v1/status');
    expect(unsigned.status).toBe(401);
  });

  it('a disabled site is refused at once (its open runtime is closed); enabled again, it is served', async () => {
    expect(await pendingOf(b)).toBe(0);
    await registry.setStatus(b.sid, 'disabled');
    const refused = await call(b, 'POST', '/_shim/events', eventsBody(5), 'sync_events');
    expect(refused.res.status).toBe(503);
    expect(refusedCode(refused.res).code).toBe('SIDECAR_AUTH_MISMATCH');
    expect(sites.openSiteIds()).not.toContain(b.sid);
    expect(await queuedPosts(b.sid)).toEqual([]);
    await registry.setStatus(b.sid, 'active');
    expect(await pendingOf(b)).toBe(0);
  });

  it('a rotated secret stops the old one verifying on the next request', async () => {
    const c = newSite();
    await enrol(c);
    expect(await pendingOf(c)).toBe(0);
    const rotated = newSecret();
    await registry.rotateSecret(c.sid, keyId(decodeSecret(rotated)), rotated);
    const old = await call(c, 'GET', '/igny8/v1/status');
    expect(old.res.status).toBe(503);
    expect(await pendingOf({ ...c, secret: rotated })).toBe(0);
  });

  it('POST /_shim/rotate, signed with the current secret, replaces it: the reply is signed with the old one, then only the new one verifies', async () => {
    const d = newSite();
    await enrol(d);
    const next = newSecret();
    const body = JSON.stringify({ secret: next, key_id: keyId(decodeSecret(next)) });
    // Another site's key cannot rotate it.
    const forged = await call({ secret: a.secret, sid: d.sid }, 'POST', '/_shim/rotate', body, 'sidecar_rotate');
    expect(forged.res.status).toBe(503);
    const { res, bytes, signed } = await call(d, 'POST', '/_shim/rotate', body, 'sidecar_rotate');
    expect(res.status).toBe(200);
    const { reply } = await verifySidecarReply({ secret: d.secret, sid: d.sid, token: res.headers['x-igny8-signature'] as string, body: new Uint8Array(bytes), requestJti: signed.jti });
    expect(reply).toMatchObject({ kind: 'respond', status: 200, body: { success: true, data: { key_id: keyId(decodeSecret(next)) } } });
    expect((await call(d, 'GET', '/igny8/v1/status')).res.status).toBe(503);
    expect(await pendingOf({ ...d, secret: next })).toBe(0);
    // Not a secret: refused, nothing changed.
    const bad = await call({ ...d, secret: next }, 'POST', '/_shim/rotate', JSON.stringify({ secret: 'short', key_id: '0123456789abcdef' }), 'sidecar_rotate');
    const badReply = await verifySidecarReply({ secret: next, sid: d.sid, token: bad.res.headers['x-igny8-signature'] as string, body: new Uint8Array(bad.bytes), requestJti: bad.signed.jti });
    expect(badReply.reply).toMatchObject({ kind: 'respond', status: 400, body: { code: 'BAD_REQUEST', field: 'secret' } });
    expect(await pendingOf({ ...d, secret: next })).toBe(0);
  });

  it('keeps at most maxOpenSites runtimes open; a closed site reopens with its queue from PostgreSQL', async () => {
    expect(await pendingOf(a)).toBe(1);
    expect(await pendingOf(b)).toBe(0);
    const c = newSite();
    await enrol(c);
    expect(await pendingOf(c)).toBe(0);
    expect(sites.openSiteIds()).toHaveLength(2);
    expect(sites.openSiteIds()).not.toContain(a.sid);
    expect(await pendingOf(a)).toBe(1);
    expect(sites.openSiteIds()).toContain(a.sid);
  });
});

describe('multi-site: enrolment (POST /_shim/enrol)', () => {
  const post = (body: unknown) => request(server).post('/_shim/enrol').send(body as object);

  it('works once: the same code is refused for the same site again and for a second site', async () => {
    const site = newSite();
    const { code } = await registry.createEnrolment(site.url, 60_000);
    const first = await post(enrolBody(code, site));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ success: true, data: { site_id: site.sid, key_id: keyId(decodeSecret(site.secret)), status: 'active' } });
    expect(JSON.stringify(first.body)).not.toContain(site.secret);
    expect((await post(enrolBody(code, site))).body).toMatchObject({ code: 'ENROLMENT_REFUSED', reason: 'used' });
    const second = { ...newSite(), url: site.url };
    const refused = await post(enrolBody(code, second));
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'ENROLMENT_REFUSED', reason: 'used' });
    expect(await registry.get(second.sid)).toBeUndefined();
    // The enrolled site is served with the secret it registered.
    expect(await pendingOf(site)).toBe(0);
  });

  it('expires, is bound to its URL, and cannot take a site id already enrolled', async () => {
    const site = newSite();
    const short = await registry.createEnrolment(site.url, 60_000);
    clock.now += 60_001;
    expect((await post(enrolBody(short.code, site))).body).toMatchObject({ code: 'ENROLMENT_REFUSED', reason: 'expired' });
    const other = await registry.createEnrolment(site.url, 60_000);
    expect((await post(enrolBody(other.code, { ...site, url: 'https://evil.test' }))).body).toMatchObject({ reason: 'url_mismatch' });
    expect((await post(enrolBody('no-such-code', site))).body).toMatchObject({ reason: 'unknown_code' });
    expect((await post(enrolBody(other.code, site))).status).toBe(201);
    const again = await registry.createEnrolment(site.url, 60_000);
    const taken = await post(enrolBody(again.code, { ...site, secret: newSecret() }));
    expect(taken.body).toMatchObject({ code: 'ENROLMENT_REFUSED', reason: 'site_exists' });
    expect(await pendingOf(site)).toBe(0);
  });

  it('refuses a malformed registration: not a site id, a weak secret, a key id that is not the secret\'s', async () => {
    const site = newSite();
    const { code } = await registry.createEnrolment(site.url, 60_000);
    expect((await post({ ...enrolBody(code, site), site_id: 'site-1' })).body).toMatchObject({ code: 'BAD_REQUEST', field: 'site_id' });
    expect((await post({ ...enrolBody(code, site), secret: 'short', key_id: undefined })).body).toMatchObject({ code: 'BAD_REQUEST', field: 'secret' });
    expect((await post({ ...enrolBody(code, site), key_id: '0123456789abcdef' })).body).toMatchObject({ code: 'BAD_REQUEST', field: 'key_id' });
    // Nothing of that consumed the code.
    expect((await post(enrolBody(code, site))).status).toBe(201);
  });
});

describe('multi-site: delivery without a request', () => {
  it('the sweep opens an active site that has work due, and not a disabled one', async () => {
    const quiet = newSite();
    const off = newSite();
    await enrol(quiet);
    await enrol(off);
    for (const site of [quiet, off]) {
      await db.site(site.sid).recordJob(1, 'structure', '1', {}, { dueAt: 0 });
    }
    await registry.setStatus(off.sid, 'disabled');
    // Close everything: only the sweep can open them now.
    for (const sid of sites.openSiteIds()) {
      await sites.closeSite(sid);
    }
    expect(sites.openSiteIds()).toEqual([]);
    await sites.sweep();
    expect(sites.openSiteIds()).toContain(quiet.sid);
    expect(sites.openSiteIds()).not.toContain(off.sid);
    await registry.remove(quiet.sid);
    await registry.remove(off.sid);
  });
});

describe('multi-site: one site cannot starve or throttle another', () => {
  const igny8 = new FakeIgny8();
  // Every IGNY8 call takes 20 ms, so a backlog costs real time.
  const slowIgny8: typeof fetch = async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return igny8.fetch(input, init);
  };
  let busy: HostedSites;
  let busyServer: Server;
  let busyDir: string;
  const noisy = newSite();
  const quiet = newSite();
  const settings = { ...MANUAL, igny8_sync_mode: 'auto', igny8_api_base_url: 'https://igny8.example' };

  beforeAll(async () => {
    busyDir = mkdtempSync(join(tmpdir(), 'igny8-multi-busy-'));
    const base = testSyncConfig(busyDir, { email: igny8.email, password: igny8.password, apiKey: igny8.apiKey, apiBaseUrl: 'https://igny8.example', concurrency: 2 });
    busy = new HostedSites({
      config: { dataDir: busyDir, sync: { ...base.sync, credentialsKey: randomBytes(32) }, rateLimitPerMin: 3, maxOpenSites: 10 },
      db,
      registry,
      logger: logs.logger,
      fetch: slowIgny8,
      wordpress: () => ({ run: async (ops) => ops.map(() => ({ ok: true })) }),
    });
    busyServer = createServer(createMultiSiteApp({ logger: logs.logger, sites: busy, enrolment: registry }));
    await new Promise<void>((resolve) => busyServer.listen(0, '127.0.0.1', resolve));
    await enrol(noisy);
    await enrol(quiet);
  });

  afterAll(async () => {
    await closeGracefully(busyServer, 500);
    await busy.close();
    for (const site of [noisy, quiet]) {
      await registry.remove(site.sid);
    }
    rmSync(busyDir, { recursive: true, force: true });
  });

  const ctx = (sid: string) => shimContext({ route_id: 'sync_events', settings }) as unknown as Parameters<SyncRuntime['service']['observe']>[1];
  const stateOf = async (site: Site, postId: number) => (await (await busy.site(site.sid))?.sync.service.state(postId))?.state;

  it("a quiet site's change is delivered while a noisy site holds 300 pending jobs (each site has its own delivery slots)", async () => {
    const loud = (await busy.site(noisy.sid)) as OpenSite;
    const calm = (await busy.site(quiet.sid)) as OpenSite;
    await loud.sync.service.observe(noisy.sid, ctx(noisy.sid));
    await calm.sync.service.observe(quiet.sid, ctx(quiet.sid));
    await loud.sync.service.recordEvents(Array.from({ length: 300 }, (_, i) => snapshot(i + 1, '10')));
    const queuedAt = Date.now();
    await calm.sync.service.recordEvents([snapshot(1, '10')]);
    let quietMs = -1;
    while (Date.now() - queuedAt < 10_000) {
      if ((await stateOf(quiet, 1)) === 'synced') {
        quietMs = Date.now() - queuedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const noisyLeft = (await loud.sync.store.counts()).pending;
    // 300 jobs at 2 at a time and ≥ 20 ms per IGNY8 call take ≥ 3 s; the quiet site waits for none of them.
    expect(quietMs).toBeGreaterThan(-1);
    expect(quietMs).toBeLessThan(1_000);
    expect(noisyLeft).toBeGreaterThan(0);
  });

  it('a site that spends its rate limit is throttled alone', async () => {
    /** The status the shim relays: signed replies travel as HTTP 200 with it inside. */
    const relayed = async (site: Site) => {
      const signed = await signShimRequest({ secret: site.secret, sid: site.sid, method: 'GET', htu: '/igny8/v1/status', ctx: shimContext({ route_id: 'status', settings }) });
      const res = await request(busyServer)
        .get('/igny8/v1/status')
        .set('Authorization', signed.headers.Authorization)
        .buffer(true)
        .parse((response, done) => {
          const chunks: Buffer[] = [];
          (response as unknown as NodeJS.ReadableStream).on('data', (chunk: Buffer) => chunks.push(chunk));
          (response as unknown as NodeJS.ReadableStream).on('end', () => done(null, Buffer.concat(chunks)));
        });
      const { reply } = await verifySidecarReply({ secret: site.secret, sid: site.sid, token: res.headers['x-igny8-signature'] as string, body: new Uint8Array(res.body as Buffer), requestJti: signed.jti });
      return (reply as { status: number }).status;
    };
    const noisyStatuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      noisyStatuses.push(await relayed(noisy));
    }
    expect(noisyStatuses).toEqual([200, 200, 200, 429]);
    expect(await relayed(quiet)).toBe(200);
  });
});
