/**
 * Replicas on one PostgreSQL (issue #16 §4), in one test process: each "replica" is its own PgDatabase (its own pool,
 * pg-boss, LISTEN connection and replica id) and its own sync runtime on the same site, as two processes would be.
 * The two-process test with nginx and kill -9 is test/replicas/kill-replica.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';

import { PG_MIGRATIONS, PgDatabase } from '../../src/adapters/pg-store.ts';
import type { InternalOp, WordPressOps } from '../../src/adapters/wp-internal-client.ts';
import { createLogCapture } from '../../src/logger.ts';
import { KeyRing } from '../../src/protocol/keys.ts';
import { createSync, type SyncRuntime } from '../../src/sync/create-sync.ts';
import { PAUSE_KEY } from '../../src/sync/worker.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { testSyncConfig } from '../helpers/harness.ts';
import { snapshot as snap } from '../helpers/snapshot.ts';

const SETTINGS = { igny8_api_base_url: 'https://igny8.example', igny8_sync_target: 'tasks', igny8_sync_mode: 'auto', igny8_connection_enabled: true };

/** WordPress's internal route, in memory: counts the reconciler's list_pending passes. */
class CountingWordPress implements WordPressOps {
  listPending = 0;
  async run(ops: readonly InternalOp[]): Promise<unknown[]> {
    return ops.map((op) => {
      if (op.op === 'list_pending') {
        this.listPending += 1;
        return { ok: true, pending: [], deleted: [], term_changes: [], next_after_id: null, site_uuid: 'site-1', settings: SETTINGS };
      }
      if (op.op === 'clear_pending_marker') {
        return { ok: true, post_id: op.post_id, cleared: true };
      }
      return { ok: true, post_id: (op as { post_id?: number }).post_id ?? 0, written: [] };
    });
  }
}

const shimCtx = (settings: Record<string, unknown>) => ({
  request_id: 'r',
  route_id: 'sync_events',
  params: {},
  query: {},
  site: { home_url: 'https://wp.test', timezone: 'UTC', gmt_offset: 0, locale: 'en_US', wp_version: '6.5', plugin_version: '0.1.0', structure_rev: 1 },
  settings,
  facts: { api_key_present: true, connection_enabled: true, woocommerce: false, aioseo_table: false },
});


async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Replica {
  db: PgDatabase;
  sync: SyncRuntime;
  wordpress: CountingWordPress;
}

let siteId = '';
let igny8: FakeIgny8;
let dirs: string[] = [];
let replicas: Replica[] = [];

async function replica(options: { leaseMs?: number; reconcileIntervalMs?: number; igny8DelayMs?: number } = {}): Promise<Replica> {
  const db = await PgDatabase.open({ url: inject('pgUrl') });
  const dir = mkdtempSync(join(tmpdir(), 'igny8-replica-'));
  dirs.push(dir);
  const wordpress = new CountingWordPress();
  const sync = await createSync({
    config: testSyncConfig(dir, {
      concurrency: 2,
      credentialsKey: Buffer.alloc(32, 7),
      email: igny8.email,
      password: igny8.password,
      apiBaseUrl: SETTINGS.igny8_api_base_url,
      reconcileIntervalMs: options.reconcileIntervalMs ?? 60_000,
      leaseMs: options.leaseMs ?? 120_000,
    }),
    keyRing: new KeyRing({ current: Buffer.alloc(32, 1) }),
    logger: createLogCapture('silent').logger,
    fetch:
      options.igny8DelayMs === undefined
        ? igny8.fetch
        : async (input, init) => {
            await new Promise((resolve) => setTimeout(resolve, options.igny8DelayMs));
            return igny8.fetch(input, init);
          },
    wordpress,
    store: db.site(siteId),
  });
  const started = { db, sync, wordpress };
  replicas.push(started);
  return started;
}

beforeEach(() => {
  siteId = `replicas-${randomUUID()}`;
  igny8 = new FakeIgny8();
});

afterEach(async () => {
  for (const { sync, db } of replicas.reverse()) {
    await sync.close();
    await db.close();
  }
  replicas = [];
  for (const dir of dirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  dirs = [];
});

describe('replicas on one PostgreSQL', () => {
  it('a settings change seen by one replica reaches the other one\'s copy (LISTEN/NOTIFY), and so does the circuit breaker', async () => {
    const a = await replica();
    const b = await replica();
    await a.sync.service.observe('site-1', shimCtx(SETTINGS));
    await until(() => b.sync.service.syncMode() === 'auto' && b.sync.values.get('site') !== undefined, 5_000, 'B to read the site snapshot');
    await a.sync.service.observe('site-1', shimCtx({ ...SETTINGS, igny8_sync_mode: 'manual' }));
    await until(() => b.sync.service.syncMode() === 'manual', 5_000, 'B to follow the manual sync mode');

    // A opens the breaker (an auth failure there): B stops sending too; closed in A, B sends again.
    a.sync.values.setJson(PAUSE_KEY, { reason: 'The IGNY8 login was refused.', since: Date.now() });
    await until(() => b.sync.worker.paused() !== undefined, 5_000, 'B to see the open breaker');
    expect(b.sync.worker.paused()).toMatchObject({ reason: 'The IGNY8 login was refused.' });
    await a.sync.worker.resume();
    await until(() => b.sync.worker.paused() === undefined, 5_000, 'B to see the breaker closed');
  });

  it('a replica\'s own write is not undone by an older value it reads back', async () => {
    const a = await replica();
    const b = await replica();
    for (let i = 0; i < 20; i++) {
      a.sync.values.set('probe', `a-${i}`);
      b.sync.values.set('probe', `b-${i}`);
    }
    await a.sync.values.flush();
    await b.sync.values.flush();
    const stored = await a.db.site(siteId).getValue('probe');
    await until(() => a.sync.values.get('probe') === stored && b.sync.values.get('probe') === stored, 5_000, 'both copies to equal the stored value');
  });

  it('the reconciler runs once across replicas per interval; a pass asked for now still runs', async () => {
    const a = await replica({ reconcileIntervalMs: 60_000 });
    const b = await replica({ reconcileIntervalMs: 60_000 });
    a.sync.service.start();
    b.sync.service.start();
    await until(() => a.wordpress.listPending + b.wordpress.listPending >= 1, 5_000, 'a first pass');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(a.wordpress.listPending + b.wordpress.listPending).toBe(1);
    expect(await b.sync.reconciler.run()).toEqual({ listed: 0, enqueued: 0, writebacks: 0 });
    expect(a.wordpress.listPending + b.wordpress.listPending).toBe(2);
  });

  it('a job whose replica died mid-delivery is delivered by the other one after its lease, and counted as a redelivery', async () => {
    const a = await replica({ leaseMs: 400 });
    await a.sync.service.observe('site-1', shimCtx(SETTINGS));
    // A "dies" holding post 1: claimed (in flight, lease 400 ms), never completed. Its worker is not running.
    await a.sync.service.stop();
    await a.sync.store.record(snap(1, '5'));
    const held = await a.sync.store.claimNext(400);
    expect(held).toMatchObject({ postId: 1, state: 'in_flight' });
    const b = await replica({ leaseMs: 400 });
    await until(async () => (await b.sync.store.get(1))?.state === 'synced', 8_000, 'B to deliver post 1');
    expect(igny8.tasks.get('501')).toMatchObject({ wordpress_status: 'publish' });
    expect(await b.db.site(siteId).redeliveries()).toBe(1);
  });

  it('a pending job whose wake-up a dead replica had fetched is woken again and delivered', async () => {
    const a = await replica({ leaseMs: 400 });
    await a.sync.service.observe('site-1', shimCtx(SETTINGS));
    await a.sync.service.stop();
    await a.sync.store.record(snap(2, '7'));
    // A fetched the wake-up (pg-boss: active) and died before claiming the row: no wake-up will deliver it.
    const { wakeQueue } = await import('../../src/adapters/pg-store.ts');
    const fetched = await a.db.boss.fetch(wakeQueue(siteId), { batchSize: 5 });
    expect(fetched).toHaveLength(1);
    const b = await replica({ leaseMs: 400 });
    await until(async () => (await b.sync.store.get(2))?.state === 'synced', 8_000, 'B to deliver post 2');
    expect(igny8.tasks.get('502')).toMatchObject({ wordpress_status: 'publish' });
  });
});

describe('IGNY8 tokens shared by replicas', () => {
  it('two replicas renewing at once use the rotating refresh token once: no refused refresh, no extra login', async () => {
    // Slow IGNY8 calls: both replicas' PUTs are answered 401 before either renewal is back.
    const a = await replica({ igny8DelayMs: 200 });
    const b = await replica({ igny8DelayMs: 200 });
    await a.sync.service.observe('site-1', shimCtx(SETTINGS));
    await a.sync.store.record(snap(1, '1'));
    a.sync.worker.kick();
    await until(async () => (await a.sync.store.get(1))?.state === 'synced', 5_000, 'the first delivery (login)');
    await until(() => b.sync.service.credentials().token_present, 5_000, 'B to read the tokens A saved');
    const logins = igny8.count('POST /api/v1/auth/login/');
    // IGNY8 drops every access token: each replica's next call gets 401 and renews.
    igny8.liveAccess.clear();
    for (const post of [2, 3, 4, 5]) {
      await a.sync.store.record(snap(post, '2'));
    }
    a.sync.worker.kick();
    b.sync.worker.kick();
    await until(async () => (await a.sync.store.counts()).synced === 5, 10_000, 'all five synced');
    expect(igny8.count('POST /api/v1/auth/token/refresh/') + igny8.count('POST /api/v1/auth/refresh/')).toBe(1);
    expect(igny8.count('POST /api/v1/auth/login/')).toBe(logins);
  });
});

describe('migrations', () => {
  it('apply each version once when replicas start at the same moment on an empty database', async () => {
    const url = new URL(inject('pgUrl'));
    const name = `igny8_mig_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const fresh = new URL(url);
    fresh.pathname = `/${name}`;
    try {
      const opened = await Promise.all([1, 2, 3, 4].map(() => PgDatabase.open({ url: fresh.toString() })));
      const check = new pg.Client({ connectionString: fresh.toString() });
      await check.connect();
      const { rows } = await check.query('SELECT version, COUNT(*)::int AS n FROM igny8_schema_migrations GROUP BY version ORDER BY version');
      await check.end();
      expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
      await Promise.all(opened.map((db) => db.close()));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
