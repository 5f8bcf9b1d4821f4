/**
 * The operator API of a hosted sidecar (http/operator-api.ts) on the real multi-site app and the private PostgreSQL:
 * it answers to the operator token alone, a site's own keys reach none of it, and its actions act on the sites the
 * shim talks to (enrol, list, show, disable, enable, rotate, remove).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';

import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { SiteRegistry } from '../../src/adapters/site-registry.ts';
import { contract } from '../../src/contract/contract.ts';
import { HostedSites } from '../../src/hosted/hosted-sites.ts';
import { closeGracefully } from '../../src/http/listen.ts';
import { createMultiSiteApp } from '../../src/http/multi-site-app.ts';
import { createLogCapture } from '../../src/logger.ts';
import { decodeSecret, keyId } from '../../src/protocol/keys.ts';
import { openHostedDeployment, type HostedDeployment } from '../helpers/hosted-deployment.ts';
import { enrolBody, type HostedSite, newHostedSite, shimContext } from '../helpers/harness.ts';
import { signShimRequest } from '../helpers/shim-client.ts';

const TOKEN = `op-${randomBytes(24).toString('base64url')}`;
const OPERATOR = contract.sidecar_paths.operator;
const MANUAL = { igny8_connection_enabled: true, igny8_sync_mode: 'manual' };
const logs = createLogCapture('warn');
let db: PgDatabase;
let registry: SiteRegistry;
let sites: HostedSites;
let server: Server;
let closedServer: Server;
let deployment: HostedDeployment;

beforeAll(async () => {
  deployment = await openHostedDeployment({ logger: logs.logger, maxOpenSites: 4 });
  ({ db, registry, sites } = deployment);
  server = createServer(createMultiSiteApp({ logger: logs.logger, sites, enrolment: registry, operator: { token: TOKEN, desk: registry } }));
  closedServer = createServer(createMultiSiteApp({ logger: logs.logger, sites, enrolment: registry, operator: { token: undefined, desk: registry } }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => closedServer.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await closeGracefully(server, 500);
  await closeGracefully(closedServer, 500);
  await deployment.close();
});

type Site = HostedSite;

const bearer = { Authorization: `Bearer ${TOKEN}` };

/** An operator call with the token (or the headers given). */
function op(method: 'get' | 'post' | 'delete', path: string, headers: Record<string, string> = bearer, body?: unknown) {
  let test = request(server)[method](`${OPERATOR}${path}`);
  for (const [name, value] of Object.entries(headers)) {
    test = test.set(name, value);
  }
  return body === undefined ? test : test.set('Content-Type', 'application/json').send(JSON.stringify(body));
}

/** The operator issues a code through the API, and the site redeems it as the shim does. */
async function enrolThroughApi(): Promise<Site> {
  const site = newHostedSite();
  const issued = await op('post', '/enrolments', bearer, { url: site.url, ttl_minutes: 5 });
  expect(issued.status, issued.text).toBe(201);
  expect(issued.body).toMatchObject({ success: true, data: { wp_url: site.url } });
  const res = await request(server)
    .post(contract.sidecar_paths.enrol)
    .send(enrolBody(issued.body.data.code, site));
  expect(res.status, res.text).toBe(201);
  return site;
}

/** The site's own signed `GET /status`: its HTTP status and, once verified, the signed reply's status. */
async function siteStatus(site: { sid: string; secret: string }): Promise<{ http: number; code?: string }> {
  const path = `/${contract.rest_namespace}/status`;
  const signed = await signShimRequest({ secret: site.secret, sid: site.sid, method: 'GET', htu: path, ctx: shimContext({ route_id: 'status', settings: MANUAL }) });
  const res = await request(server).get(path).set('Authorization', signed.headers.Authorization);
  return { http: res.status, ...(res.status === 200 ? {} : { code: (res.body as { code: string }).code }) };
}

describe('operator API: the operator token and nothing else', () => {
  it("answers 401 OPERATOR_UNAUTHORIZED (unified envelope) to no token, a wrong one, and a site's own signed token, on every route", async () => {
    const site = await enrolThroughApi();
    const routes: Array<['get' | 'post' | 'delete', string, unknown?]> = [
      ['get', '/sites'],
      ['get', `/sites/${site.sid}`],
      ['post', '/enrolments', { url: 'https://attacker.test' }],
      ['post', `/sites/${site.sid}/disable`],
      ['post', `/sites/${site.sid}/enable`],
      ['post', `/sites/${site.sid}/rotate`],
      ['delete', `/sites/${site.sid}`],
      ['get', '/credentials-key'],
      ['post', '/credentials-key/reseal'],
      ['get', '/no-such-route'],
    ];
    for (const [method, path, body] of routes) {
      // The site's keys: a token signed correctly for exactly this request, as the shim would sign it.
      const signed = await signShimRequest({
        secret: site.secret,
        sid: site.sid,
        method: method.toUpperCase(),
        htu: `${OPERATOR}${path}`,
        ctx: shimContext({ route_id: 'status', settings: MANUAL }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      for (const headers of [{}, { Authorization: 'Bearer not-the-operator-token-not-the-operator-token' }, { Authorization: `Basic ${TOKEN}` }, signed.headers]) {
        const res = await op(method, path, headers, body);
        expect(res.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.body).toEqual({ success: false, code: 'OPERATOR_UNAUTHORIZED', error: expect.stringContaining('operator token'), request_id: expect.any(String) });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
        expect(res.headers[contract.jwt.header.toLowerCase()]).toBeUndefined();
      }
    }
    // Nothing happened to the site: still active, same key, its own requests still served.
    expect(await registry.get(site.sid)).toMatchObject({ status: 'active', keyId: keyId(decodeSecret(site.secret)) });
    expect(await siteStatus(site)).toEqual({ http: 200 });
    expect((await db.pool.query('SELECT COUNT(*)::int AS n FROM igny8_enrolment_codes WHERE wp_url = $1', ['https://attacker.test'])).rows[0].n).toBe(0);
  });

  it('is 404 ROUTE_NOT_FOUND on every path while no operator token is configured', async () => {
    for (const path of ['/sites', '/enrolments']) {
      const res = await request(closedServer).get(`${OPERATOR}${path}`).set(bearer);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ success: false, code: 'ROUTE_NOT_FOUND' });
    }
  });
});

describe('operator API: the sites commands', () => {
  it('enrols, lists, shows, disables and enables a site; the shim sees each change on its next request', async () => {
    const site = await enrolThroughApi();
    const listed = await op('get', '/sites');
    expect(listed.status).toBe(200);
    expect(listed.body.data.sites).toContainEqual(expect.objectContaining({ site_id: site.sid, wp_url: site.url, status: 'active', key_id: keyId(decodeSecret(site.secret)) }));
    expect((await op('get', `/sites/${site.sid}`)).body.data).toMatchObject({ site_id: site.sid, status: 'active' });

    expect((await op('post', `/sites/${site.sid}/disable`)).body.data.status).toBe('disabled');
    expect(await siteStatus(site)).toEqual({ http: 503, code: 'SIDECAR_AUTH_MISMATCH' });
    expect((await op('post', `/sites/${site.sid}/enable`)).body.data.status).toBe('active');
    expect(await siteStatus(site)).toEqual({ http: 200 });
  });

  it('rotate answers a new secret once: the old one stops verifying, the new one is served', async () => {
    const site = await enrolThroughApi();
    expect(await siteStatus(site)).toEqual({ http: 200 });
    const rotated = await op('post', `/sites/${site.sid}/rotate`);
    expect(rotated.status).toBe(200);
    const { secret, key_id: kid } = rotated.body.data as { secret: string; key_id: string };
    expect(kid).toBe(keyId(decodeSecret(secret)));
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect(await siteStatus(site)).toEqual({ http: 503, code: 'SIDECAR_AUTH_MISMATCH' });
    expect(await siteStatus({ sid: site.sid, secret })).toEqual({ http: 200 });
    expect((await op('get', `/sites/${site.sid}`)).body.data.key_id).toBe(kid);
  });

  it('remove forgets the site; unknown sites, bad ids and bad enrolments are refused in the envelope', async () => {
    const site = await enrolThroughApi();
    expect((await op('delete', `/sites/${site.sid}`)).body).toMatchObject({ success: true, data: { site_id: site.sid, removed: true } });
    expect(await siteStatus(site)).toEqual({ http: 503, code: 'SIDECAR_AUTH_MISMATCH' });
    const gone = await op('get', `/sites/${site.sid}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ success: false, code: 'ROUTE_NOT_FOUND', field: 'site_id' });
    for (const path of [`/sites/${randomUUID()}/rotate`, `/sites/${randomUUID()}/disable`]) {
      expect((await op('post', path)).status).toBe(404);
    }
    expect((await op('delete', `/sites/${randomUUID()}`)).status).toBe(404);
    expect((await op('get', '/sites/not-a-uuid')).body).toMatchObject({ code: 'BAD_REQUEST', field: 'site_id' });
    const bad = await op('post', '/enrolments', bearer, { url: 'ftp://site.test' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED', field: 'url' });
    expect((await op('post', '/enrolments', bearer, { url: 'https://site.test', ttl_minutes: 0 })).body.field).toBe('ttl_minutes');
  });

  it('credentials-key shows the current key id and the sealed values per key; reseal answers its counts and the site is still served', async () => {
    const site = await enrolThroughApi();
    const current = registry.credentialKeyIds.current;
    const shown = await op('get', '/credentials-key');
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.data.current_key_id).toBe(current);
    // Other suites' sites on this database are sealed with their own keys: only this registry's key is asserted.
    expect(shown.body.data.sealed_values).toContainEqual({ key_id: current, count: expect.any(Number), current: true, key_given: true });
    const resealed = await op('post', '/credentials-key/reseal');
    expect(resealed.status, resealed.text).toBe(200);
    expect(resealed.body.data).toMatchObject({ resealed: 0, unreadable: 0, changed: 0, current_key_id: current });
    expect(resealed.body.data.current).toBeGreaterThanOrEqual(1);
    expect(resealed.body.data.sites).toBeGreaterThanOrEqual(1);
    expect(await siteStatus(site)).toEqual({ http: 200 });
  });
});
