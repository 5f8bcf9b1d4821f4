/**
 * Two real multi-site replicas on one PostgreSQL share a site's request guards (issue #16 §4, adapters/pg-guards.ts):
 * a signed request one replica served is a replay on the other, and a site's rate limit holds across both (it is not
 * N × the setting). They also share its activity log (adapters/pg-activity-log.ts): a call one replica answered is on
 * the page the other serves. Each replica is its own `src/server.ts` process; the requests go to each port directly, as the
 * two upstreams of nginx would receive them.
 *
 * Ports: IGNY8_TEST_PORT_BASE + 64 / + 65 (the sidecars); + 66 is a closed port named as the sites' IGNY8 API, so
 * nothing leaves the machine.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { CredentialCipher } from '../../src/adapters/credential-cipher.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { SiteRegistry } from '../../src/adapters/site-registry.ts';
import { contract } from '../../src/contract/contract.ts';
import { enrolBody, type HostedSite, newHostedSite, shimContext } from '../helpers/harness.ts';
import { signShimRequest, type SignedShimRequest } from '../helpers/shim-client.ts';
import { ok, privateDatabase, Processes, until } from './processes.ts';

const BASE = Number(process.env.IGNY8_TEST_PORT_BASE ?? 8900);
const PORTS = [BASE + 64, BASE + 65] as const;
const REPLICAS = PORTS.map((port) => `http://127.0.0.1:${port}`) as [string, string];
const RATE_LIMIT = 8;
const CREDENTIALS_KEY = randomBytes(32);
const SETTINGS = { igny8_api_base_url: `http://127.0.0.1:${BASE + 66}`, igny8_connection_enabled: true, igny8_sync_mode: 'manual' };
const ACTIVITY = `/${contract.rest_namespace}/activity`;

const processes = new Processes();
let work = '';
let database: Awaited<ReturnType<typeof privateDatabase>> | undefined;
let db: PgDatabase | undefined;

type Site = HostedSite;

async function enrol(registry: SiteRegistry, replica: string): Promise<Site> {
  const site = newHostedSite();
  const { code } = await registry.createEnrolment(site.url, 15 * 60_000);
  const res = await fetch(`${replica}${contract.sidecar_paths.enrol}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(enrolBody(code, site)),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return site;
}

/** A signed `GET /activity` (manage_options: rate-limited on the site's own bucket). */
const signActivity = (site: Site): Promise<SignedShimRequest> =>
  signShimRequest({ secret: site.secret, sid: site.sid, method: 'GET', htu: ACTIVITY, ctx: shimContext({ route_id: 'activity_list', settings: SETTINGS }) });

interface Envelope {
  success?: boolean;
  code?: string;
  error?: string;
  retry_after?: number;
}

/**
 * The answer's status and envelope: a signed reply (HTTP 200, `{kind: 'respond', status, body}`) once the token
 * verified, a plain envelope with the real status before (a replay is refused there).
 */
async function send(replica: string, signed: SignedShimRequest, path = ACTIVITY): Promise<{ status: number; signed: boolean; body: Envelope }> {
  // A GET with a body (a route's contract reads), as PHP sends it: node:http, since fetch refuses one.
  const answer = await new Promise<{ status: number; signature: string | undefined; text: string }>((resolve, reject) => {
    const req = httpRequest(`${replica}${path}`, { method: 'GET', headers: { ...signed.headers, 'Content-Type': 'application/json', 'Content-Length': String(signed.body.length) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, signature: res.headers[contract.jwt.header.toLowerCase()] as string | undefined, text }));
    });
    req.on('error', reject);
    req.end(Buffer.from(signed.body));
  });
  const json = JSON.parse(answer.text) as Envelope & { kind?: string; status?: number; body?: Envelope };
  if (answer.signature !== undefined && json.kind === 'respond') {
    return { status: json.status ?? 0, signed: true, body: json.body ?? {} };
  }
  return { status: answer.status, signed: false, body: json };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'igny8-shared-guards-'));
  database = await privateDatabase(inject('pgUrl'), 'igny8_guards');
  // Migrated here first, so the two replicas start on the schema (they also race safely, see queue-store.test).
  db = await PgDatabase.open({ url: database.url, poolSize: 2 });
  const replicas = PORTS.map((port, i) => {
    const dataDir = join(work, `sidecar-${i}`);
    mkdirSync(dataDir, { recursive: true });
    return processes.start(
      process.execPath,
      ['--import', 'tsx', 'src/server.ts'],
      {
        IGNY8_SIDECAR_MULTI_SITE: '1',
        SIDECAR_PORT: String(port),
        SIDECAR_DATA_DIR: dataDir,
        SIDECAR_ALLOWED_HOSTS: `127.0.0.1:${port}`,
        IGNY8_SIDECAR_DATABASE_URL: database?.url ?? '',
        IGNY8_SIDECAR_CREDENTIALS_KEY: CREDENTIALS_KEY.toString('base64url'),
        SIDECAR_RATE_LIMIT_PER_MIN: String(RATE_LIMIT),
        LOG_LEVEL: 'warn',
      },
      join(new URL('../..', import.meta.url).pathname),
    );
  });
  for (const [i, replica] of REPLICAS.entries()) {
    await until(() => ok(`${replica}${contract.sidecar_paths.health}`), 30_000, `replica ${i}`, replicas[i]);
  }
}, 120_000);

afterAll(async () => {
  await processes.stopAll();
  await db?.close();
  await database?.drop();
  if (work !== '') {
    rmSync(work, { recursive: true, force: true });
  }
});

describe('two multi-site replicas share the request guards', () => {
  it('a token replica 1 served is refused as a replay by replica 2 (and replica 2 serves a fresh one)', async () => {
    const site = await enrol(new SiteRegistry(db as PgDatabase, new CredentialCipher(CREDENTIALS_KEY)), REPLICAS[0]);
    const signed = await signActivity(site);
    const first = await send(REPLICAS[0], signed);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.success).toBe(true);

    const replayed = await send(REPLICAS[1], signed);
    expect(replayed).toMatchObject({ status: 401, signed: false });
    expect(replayed.body).toMatchObject({ success: false, code: 'SIGNATURE_INVALID', error: 'Request signature invalid: token replayed.' });
    expect((await send(REPLICAS[0], signed)).body.code).toBe('SIGNATURE_INVALID');

    const fresh = await send(REPLICAS[1], await signActivity(site));
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
  });

  it(`a site's limit of ${RATE_LIMIT} a minute holds across both replicas, not ${RATE_LIMIT} on each`, async () => {
    const site = await enrol(new SiteRegistry(db as PgDatabase, new CredentialCipher(CREDENTIALS_KEY)), REPLICAS[1]);
    const answers: Array<{ replica: number; status: number; code?: string; retryAfter?: number }> = [];
    for (let i = 0; i < 2 * RATE_LIMIT; i += 1) {
      const replica = i % 2;
      const { status, body } = await send(REPLICAS[replica as 0 | 1], await signActivity(site));
      answers.push({ replica, status, ...(body.code === undefined ? {} : { code: body.code }), ...(body.retry_after === undefined ? {} : { retryAfter: body.retry_after }) });
    }
    const served = answers.filter((answer) => answer.status === 200);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(served, JSON.stringify(answers)).toHaveLength(RATE_LIMIT);
    expect(limited).toHaveLength(RATE_LIMIT);
    // Both replicas refused: each saw only half the site's calls, yet the bucket was empty for both.
    expect(new Set(limited.map((answer) => answer.replica))).toEqual(new Set([0, 1]));
    expect(limited.every((answer) => answer.code === 'RATE_LIMITED' && (answer.retryAfter ?? 0) >= 1)).toBe(true);
    // The first half was served, the second refused: one bucket, taken in order.
    expect(answers.slice(0, RATE_LIMIT).every((answer) => answer.status === 200)).toBe(true);
  });

  it("a site's activity log is the same on both replicas: a call replica 1 answered is on replica 2's page", async () => {
    const site = await enrol(new SiteRegistry(db as PgDatabase, new CredentialCipher(CREDENTIALS_KEY)), REPLICAS[0]);
    // A lookup IGNY8 makes (post_status, logged as a call in), with the result of its contract read: no such post.
    const lookup = await signShimRequest({
      secret: site.secret,
      sid: site.sid,
      method: 'GET',
      htu: `/${contract.rest_namespace}/post-status/4242`,
      body: JSON.stringify({ reads: [{ ok: true, posts: [] }] }),
      ctx: shimContext({ route_id: 'post_status', params: { content_id: '4242' }, settings: SETTINGS, request_id: randomUUID() }),
    });
    const answered = await send(REPLICAS[0], lookup, `/${contract.rest_namespace}/post-status/4242`);
    expect(answered).toMatchObject({ status: 404, signed: true, body: { code: 'POST_NOT_FOUND' } });

    type Page = Envelope & { data?: { total: number; rows: Array<{ route: string; content_id: string; code: string; direction: string }> } };
    const page = await until(async () => {
      const answer = await send(REPLICAS[1], await signActivity(site));
      const data = (answer.body as Page).data;
      return data !== undefined && data.total > 0 ? data : undefined;
    }, 5_000, "the lookup on replica 2's activity page");
    expect(page.total).toBe(1);
    expect(page.rows[0]).toMatchObject({ direction: 'in', route: 'post_status', content_id: '4242', code: 'POST_NOT_FOUND' });
    // The page is the site's own: the other sites these replicas served have their own rows.
    expect((await db?.pool.query('SELECT COUNT(DISTINCT site_id)::int AS n FROM igny8_activity'))?.rows[0]?.n).toBe(1);
  });
});
