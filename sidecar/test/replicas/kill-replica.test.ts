/**
 * Replica loss during a drain (issue #16 §4): two real sidecar processes on one PostgreSQL behind a loopback nginx
 * `upstream`, delivering to the IGNY8 simulator (its own process). N changes go in through nginx, one replica is
 * killed with SIGKILL while it holds deliveries, and every change must reach IGNY8: the survivor delivers what the
 * dead one held once its lease (SIDECAR_SYNC_LEASE_MS, short here) runs out. Delivery is at least once; the repeated
 * PUTs are counted and reported (stdout and .igny8/test-results/replica-kill.json).
 *
 * Ports: IGNY8_TEST_PORT_BASE + 60 (nginx), + 61 / + 62 (the sidecars), + 63 (the simulator). nginx is Debian's
 * (installed through scripts/wp-runtime.sh deps when missing), with a private config and temp dirs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';

import { ensureNginx, NGINX_BIN, nginxArgs, nginxUpstreamConf } from '../../../scripts/replica-front.ts';
import { contract } from '../../src/contract/contract.ts';
import { SINGLE_SITE_STORE_ID } from '../../src/sync/create-sync.ts';
import { shimContext } from '../helpers/harness.ts';
import { signShimRequest } from '../helpers/shim-client.ts';
import { ok, privateDatabase, Processes, ROOT, until, type Proc } from './processes.ts';

const BASE = Number(process.env.IGNY8_TEST_PORT_BASE ?? 8900);
const NGINX_PORT = BASE + 60;
const SIDECAR_PORTS = [BASE + 61, BASE + 62] as const;
const SIM_PORT = BASE + 63;
const SIM = `http://127.0.0.1:${SIM_PORT}`;
const FRONT = `http://127.0.0.1:${NGINX_PORT}`;
const JOBS = 40;
const LEASE_MS = 3_000;
const PUT_DELAY_MS = 300;
const SID = randomUUID();
const SECRET = randomBytes(32).toString('base64url');
const SETTINGS = { igny8_api_base_url: SIM, igny8_sync_target: 'tasks', igny8_sync_mode: 'auto', igny8_connection_enabled: true };

const processes = new Processes();
const start = processes.start.bind(processes);
let work = '';
let dbUrl = '';
let database: Awaited<ReturnType<typeof privateDatabase>> | undefined;

/** The shim's shutdown notify for `posts`, signed as PHP signs it, sent to the one URL nginx serves. */
async function notify(posts: number[], seq: number): Promise<number> {
  const body = JSON.stringify({
    events: posts.map((post) => ({
      post_id: post,
      seq: String(seq),
      wordpress_status: 'publish',
      post_url: `https://wp.test/?p=${post}`,
      post_type: 'post',
      title: `Post ${post}`,
      content_id: 1000 + post,
      task_id: 500 + post,
      keyword_ids: [7],
    })),
  });
  const path = contract.sidecar_paths.events;
  const signed = await signShimRequest({ secret: SECRET, method: 'POST', htu: path, sid: SID, body, ctx: shimContext({ route_id: 'sync_events', settings: SETTINGS }) });
  const res = await fetch(`${FRONT}${path}`, { method: 'POST', headers: { ...signed.headers, 'Content-Type': 'application/json' }, body: Buffer.from(signed.body) });
  return res.status;
}

interface Received {
  method: string;
  path: string;
}

async function taskPuts(): Promise<Map<number, number>> {
  const res = (await (await fetch(`${SIM}/__sim/received?path=/api/v1/writer/tasks/`)).json()) as { data: Received[] };
  const puts = new Map<number, number>();
  for (const entry of res.data) {
    const id = /^\/api\/v1\/writer\/tasks\/(\d+)\/$/.exec(entry.path)?.[1];
    if (entry.method === 'PUT' && id !== undefined) {
      puts.set(Number(id), (puts.get(Number(id)) ?? 0) + 1);
    }
  }
  return puts;
}

beforeAll(async () => {
  ensureNginx(ROOT);
  work = mkdtempSync(join(tmpdir(), 'igny8-replica-kill-'));
  // A database of its own: the single-site row set of the other suites' PostgreSQL tests stays theirs.
  database = await privateDatabase(inject('pgUrl'), 'igny8_kill');
  dbUrl = database.url;
}, 900_000);

afterAll(async () => {
  await processes.stopAll();
  await database?.drop();
  if (work !== '') {
    rmSync(work, { recursive: true, force: true });
  }
});

it(`kill -9 of one of two replicas mid-drain loses none of ${JOBS} deliveries`, async () => {
  const node = process.execPath;
  const sim = start(node, ['--import', 'tsx', 'simulator/src/server.ts'], { SIMULATOR_PORT: String(SIM_PORT) });
  await until(() => ok(`${SIM}/__sim/tasks`), 20_000, 'the simulator', sim);
  // Slow task PUTs: the drain takes seconds, so the killed replica is holding deliveries when it dies.
  await fetch(`${SIM}/__sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ method: 'PUT', pathPrefix: '/api/v1/writer/tasks/', delayMs: PUT_DELAY_MS }) });

  const replicas = SIDECAR_PORTS.map((port, i) => {
    const dataDir = join(work, `sidecar-${i}`);
    mkdirSync(dataDir, { recursive: true });
    return start(
      node,
      ['--import', 'tsx', 'src/server.ts'],
      {
        SIDECAR_PORT: String(port),
        SIDECAR_DATA_DIR: dataDir,
        SIDECAR_ALLOWED_HOSTS: `127.0.0.1:${NGINX_PORT},127.0.0.1:${port}`,
        IGNY8_SIDECAR_SECRET: SECRET,
        IGNY8_SIDECAR_SITE_ID: SID,
        IGNY8_SIDECAR_DATABASE_URL: dbUrl,
        IGNY8_SIDECAR_CREDENTIALS_KEY: Buffer.alloc(32, 5).toString('base64url'),
        IGNY8_API_BASE_URL: SIM,
        IGNY8_EMAIL: 'dev@igny8.test',
        IGNY8_PASSWORD: 'igny8-dev-password',
        SIDECAR_SYNC_LEASE_MS: String(LEASE_MS),
        SIDECAR_SYNC_CONCURRENCY: '2',
        SIDECAR_SYNC_BACKOFF_BASE_MS: '100',
        SIDECAR_SYNC_BACKOFF_MAX_MS: '500',
        IGNY8_HTTP_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'debug',
      },
      join(ROOT, 'sidecar'),
    );
  });
  for (const [i, port] of SIDECAR_PORTS.entries()) {
    await until(() => ok(`http://127.0.0.1:${port}${contract.sidecar_paths.health}`), 30_000, `sidecar ${i}`, replicas[i]);
  }
  const nginxDir = join(work, 'nginx');
  mkdirSync(nginxDir, { recursive: true });
  writeFileSync(join(nginxDir, 'nginx.conf'), nginxUpstreamConf({ dir: nginxDir, listenPort: NGINX_PORT, upstreamPorts: SIDECAR_PORTS }));
  const nginx = start(NGINX_BIN, nginxArgs(nginxDir), {});
  await until(() => ok(`${FRONT}${contract.sidecar_paths.health}`), 10_000, 'nginx', nginx);

  // N changes in batches of 5 through the one URL: nginx spreads them over both replicas.
  const seq = Date.now() * 1000;
  for (let first = 1; first <= JOBS; first += 5) {
    expect(await notify([first, first + 1, first + 2, first + 3, first + 4], seq)).toBe(202);
  }
  // Mid-drain: the victim has delivered twice and holds a claimed delivery it has not finished (its debug log says
  // "sync claimed" when a job is in flight; the slow PUT keeps it there for PUT_DELAY_MS).
  const [victim, survivor] = replicas as [Proc, Proc];
  const count = (line: string) => (victim.output.match(new RegExp(`"${line}"`, 'g')) ?? []).length;
  await until(async () => (count('sync delivered') >= 2 && count('sync claimed') > count('sync delivered') ? true : undefined), 20_000, 'the victim to hold a delivery', victim);
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await new Promise((resolve) => victim.child.once('exit', resolve));
  const deliveredByVictim = (victim.output.match(/"sync delivered"/g) ?? []).length;

  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const states = async () =>
      (await db.query(`SELECT state, COUNT(*)::int AS n FROM igny8_sync_jobs WHERE site_id = $1 AND kind = 'post' GROUP BY state`, [SINGLE_SITE_STORE_ID])).rows as Array<{ state: string; n: number }>;
    await until(
      async () => {
        const rows = await states();
        return rows.length === 1 && rows[0]?.state === 'synced' && rows[0].n === JOBS ? true : undefined;
      },
      LEASE_MS + 25_000,
      'every job synced',
      survivor,
    );
    const drainedMs = Date.now() - killedAt;
    const puts = await taskPuts();
    const lost = Array.from({ length: JOBS }, (_, i) => 501 + i).filter((task) => (puts.get(task) ?? 0) === 0);
    const repeated = [...puts.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const { rows } = await db.query("SELECT COALESCE(SUM(redeliveries), 0)::int AS n FROM igny8_sync_jobs WHERE site_id = $1 AND kind = 'post'", [SINGLE_SITE_STORE_ID]);
    const redeliveries = Number(rows[0]?.n ?? 0);
    const report = { jobs: JOBS, lost: lost.length, repeated_deliveries: repeated, lease_redeliveries: redeliveries, delivered_by_victim_before_kill: deliveredByVictim, lease_ms: LEASE_MS, drained_after_kill_ms: drainedMs };
    process.stdout.write(`replica kill: ${JSON.stringify(report)}\n`);
    mkdirSync(join(ROOT, '.igny8/test-results'), { recursive: true });
    writeFileSync(join(ROOT, '.igny8/test-results/replica-kill.json'), `${JSON.stringify(report, null, 2)}\n`);

    expect(lost).toEqual([]);
    // The victim held deliveries when it died: the survivor took them over after the lease.
    expect(redeliveries).toBeGreaterThanOrEqual(1);
    expect(drainedMs).toBeGreaterThanOrEqual(LEASE_MS - 500);
    // Every task ended with the published status (a repeated PUT is the same PUT: idempotent).
    const tasks = (await (await fetch(`${SIM}/__sim/tasks`)).json()) as { data: Record<string, { wordpress_status?: string }> };
    expect(Object.values(tasks.data).filter((task) => task.wordpress_status === 'publish')).toHaveLength(JOBS);
  } finally {
    await db.end();
  }
}, 120_000);
