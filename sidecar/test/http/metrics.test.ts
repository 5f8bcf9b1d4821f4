/**
 * `GET /metrics` (issue #16): Prometheus text behind the operator token, never opened by a site's keys, with the
 * queue depth, delivery outcomes, the delivery duration histogram and the circuit state of the real sync.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';

import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { contract } from '../../src/contract/contract.ts';
import { METRICS_PATH, operatorAuthorized, operatorMetrics } from '../../src/http/metrics-route.ts';
import { createLogCapture } from '../../src/logger.ts';
import { pgQueueSource, siteQueueSource } from '../../src/metrics/queue-sources.ts';
import { DeliveryMetrics, metricsRegistry, processDeliveryMetrics } from '../../src/metrics/sync-metrics.ts';
import { KeyRing } from '../../src/protocol/keys.ts';
import { createSync, type SyncRuntime } from '../../src/sync/create-sync.ts';
import { PAUSE_KEY } from '../../src/sync/worker.ts';
import { FakeIgny8 } from '../helpers/fake-igny8.ts';
import { newSecret, shimContext, startHarness, testSyncConfig, type Harness } from '../helpers/harness.ts';
import { snapshot as snap } from '../helpers/snapshot.ts';

const TOKEN = 'op-'.padEnd(48, 'x');
const SETTINGS = { igny8_api_base_url: 'https://igny8.example', igny8_sync_target: 'tasks', igny8_sync_mode: 'auto', igny8_connection_enabled: true };


/** A sample's value from Prometheus text, e.g. `igny8_sync_queue_jobs{state="pending"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operatorAuthorized', () => {
  it('takes exactly "Bearer <token>"', () => {
    expect(operatorAuthorized(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(operatorAuthorized(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(operatorAuthorized(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(operatorAuthorized(`bearer ${TOKEN}`, TOKEN)).toBe(false);
    expect(operatorAuthorized(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(operatorAuthorized('Bearer ', TOKEN)).toBe(false);
    expect(operatorAuthorized(undefined, TOKEN)).toBe(false);
  });
});

describe('DeliveryMetrics', () => {
  it('counts outbound attempts by outcome and kind and times them; calls in are not deliveries', async () => {
    const metrics = new DeliveryMetrics();
    metrics.observe({ direction: 'out', kind: 'status', outcome: 'delivered', durationMs: 120 });
    metrics.observe({ direction: 'out', kind: 'status', outcome: 'failed', durationMs: 3000 });
    metrics.observe({ direction: 'in', kind: 'publish', outcome: 'delivered', durationMs: 5 });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'igny8_sync_deliveries_total{outcome="delivered",kind="status"}')).toBe(1);
    expect(sample(text, 'igny8_sync_deliveries_total{outcome="failed",kind="status"}')).toBe(1);
    expect(sample(text, 'igny8_sync_deliveries_total{outcome="dead",kind="status"}')).toBe(0);
    expect(sample(text, 'igny8_sync_delivery_duration_seconds_bucket{le="0.25",outcome="delivered",kind="status"}')).toBe(1);
    expect(sample(text, 'igny8_sync_delivery_duration_seconds_bucket{le="2.5",outcome="failed",kind="status"}')).toBe(0);
    expect(sample(text, 'igny8_sync_delivery_duration_seconds_bucket{le="5",outcome="failed",kind="status"}')).toBe(1);
    expect(text).not.toContain('kind="publish"');
  });
});

describe('GET /metrics on the single-site app', () => {
  let dir: string;
  let sync: SyncRuntime;
  let harness: Harness;
  let igny8: FakeIgny8;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'igny8-metrics-'));
    igny8 = new FakeIgny8();
    sync = await createSync({
      config: testSyncConfig(dir, { email: igny8.email, password: igny8.password, apiBaseUrl: SETTINGS.igny8_api_base_url }),
      keyRing: new KeyRing({ current: Buffer.alloc(32, 1) }),
      logger: createLogCapture('silent').logger,
      fetch: igny8.fetch,
    });
    const metrics = operatorMetrics(TOKEN, siteQueueSource({ store: sync.store, circuitOpen: () => sync.worker.paused() !== undefined, siteId: () => 'site-a' }));
    harness = await startHarness({ secret: newSecret(), appDeps: { sync: sync.service, ...(metrics === undefined ? {} : { metrics }) } });
  });

  afterEach(async () => {
    await harness.close();
    await sync.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 401 without the operator token, a wrong one, or a valid shim token of the site; says nothing of the queue then', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token-wrong-token', `Basic ${TOKEN}`]) {
      const req = request(harness.server).get(METRICS_PATH);
      const res = await (authorization === undefined ? req : req.set('Authorization', authorization));
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, code: 'OPERATOR_UNAUTHORIZED', error: 'The operator token is required.', request_id: expect.any(String) });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(res.text).not.toContain('igny8_sync');
    }
    // The site's own keys: a correctly signed shim request for this very path.
    const { res } = await harness.send({ method: 'GET', path: METRICS_PATH });
    expect(res.status).toBe(401);
    expect(Buffer.from(res.body as Buffer).toString()).not.toContain('igny8_sync');
  });

  it('with the token: queue depth, outcomes, durations and the circuit state of the real sync, in Prometheus text', async () => {
    const before = await processDeliveryMetrics().registry.metrics();
    const delivered0 = sample(before, 'igny8_sync_deliveries_total{outcome="delivered",kind="status"}') ?? 0;
    await sync.service.observe(harness.sid, shimContext({ route_id: 'sync_events', settings: SETTINGS }) as never);
    await sync.store.record(snap(1, '10'));
    await sync.store.record(snap(2, '11'));
    const scrape = async () => {
      const res = await request(harness.server).get(METRICS_PATH).set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(res.headers['cache-control']).toBe('no-store');
      return res.text;
    };
    let text = await scrape();
    expect(sample(text, 'igny8_sync_queue_jobs{state="pending"}')).toBe(2);
    expect(sample(text, 'igny8_sync_site_waiting_jobs{site="site-a"}')).toBe(2);
    expect(sample(text, 'igny8_sync_circuit_open{site="site-a"}')).toBeUndefined();
    expect(sample(text, 'igny8_sync_sites{circuit="open"}')).toBe(0);
    expect(text).toContain('# TYPE igny8_sync_delivery_duration_seconds histogram');
    expect(text).toContain('igny8_sidecar_process_resident_memory_bytes');

    sync.worker.kick();
    for (let i = 0; i < 200 && (await sync.store.counts()).synced < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    text = await scrape();
    expect(sample(text, 'igny8_sync_queue_jobs{state="synced"}')).toBe(2);
    expect(sample(text, 'igny8_sync_queue_jobs{state="pending"}')).toBe(0);
    expect(sample(text, 'igny8_sync_site_waiting_jobs{site="site-a"}')).toBeUndefined();
    expect(sample(text, 'igny8_sync_deliveries_total{outcome="delivered",kind="status"}')).toBe(delivered0 + 2);
    expect(sample(text, 'igny8_sync_delivery_duration_seconds_count{outcome="delivered",kind="status"}')).toBeGreaterThanOrEqual(2);

    // The breaker opens (as an auth failure that survives a re-login opens it).
    sync.values.setJson(PAUSE_KEY, { reason: 'refused', since: Date.now() });
    sync.worker.reloadPause();
    text = await scrape();
    expect(sample(text, 'igny8_sync_circuit_open{site="site-a"}')).toBe(1);
    expect(sample(text, 'igny8_sync_sites{circuit="open"}')).toBe(1);
  });

  it('is not served when no operator token is configured', async () => {
    const plain = await startHarness({ secret: newSecret(), appDeps: { sync: sync.service } });
    try {
      const res = await request(plain.server).get(METRICS_PATH).set('Authorization', `Bearer ${TOKEN}`);
      expect(res.status).not.toBe(200);
      expect(res.text).not.toContain('igny8_sync');
      // A signed shim request for the path: the shim pipeline's envelope for an unknown route, no metrics.
      const signed = await plain.send({ method: 'GET', path: METRICS_PATH });
      expect(Buffer.from(signed.res.body as Buffer).toString()).not.toContain('igny8_sync');
    } finally {
      await plain.close();
    }
  });

  it('the health route stays as it was beside it', async () => {
    expect((await request(harness.server).get(contract.sidecar_paths.health)).status).toBe(200);
  });
});

describe('pgQueueSource', () => {
  let db: PgDatabase;

  beforeEach(async () => {
    db = await PgDatabase.open({ url: inject('pgUrl') });
  });

  afterEach(async () => {
    await db.close();
  });

  it('reads every site of the database: waiting jobs per site, open circuits, states summed', async () => {
    const busy = `metrics-${randomUUID()}`;
    const paused = `metrics-${randomUUID()}`;
    const seq = String(Date.now() * 1000 - 30_000_000); // a change made 30 s ago
    await db.site(busy).record(snap(1, seq));
    await db.site(busy).record(snap(2, seq));
    await db.site(paused).setValue(PAUSE_KEY, JSON.stringify({ reason: 'refused', since: Date.now() }));
    const text = await metricsRegistry(pgQueueSource(db.pool), new DeliveryMetrics()).metrics();
    expect(sample(text, `igny8_sync_site_waiting_jobs{site="${busy}"}`)).toBe(2);
    const oldest = sample(text, `igny8_sync_site_oldest_waiting_seconds{site="${busy}"}`) ?? 0;
    expect(oldest).toBeGreaterThanOrEqual(29);
    expect(oldest).toBeLessThan(120);
    expect(sample(text, `igny8_sync_circuit_open{site="${paused}"}`)).toBe(1);
    expect(sample(text, `igny8_sync_circuit_open{site="${busy}"}`)).toBeUndefined();
    expect(sample(text, 'igny8_sync_queue_jobs{state="pending"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'igny8_sync_sites{circuit="any"}')).toBeGreaterThanOrEqual(2);
    await db.site(busy).clearJobs();
    await db.site(paused).deleteValue(PAUSE_KEY);
  });

  it('one scrape reads the store once for all the gauges', async () => {
    let reads = 0;
    const source = pgQueueSource(db.pool);
    const registry = metricsRegistry({ snapshot: () => ((reads += 1), source.snapshot()) }, new DeliveryMetrics());
    await registry.metrics();
    expect(reads).toBe(1);
  });
});
