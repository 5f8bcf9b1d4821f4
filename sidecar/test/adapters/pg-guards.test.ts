/**
 * The request guards shared by replicas (adapters/pg-guards.ts) on the private PostgreSQL: two PgDatabase objects
 * (two pools, as two replicas have) over one database.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { PgRateLimiter, PgReplayLedger, purgeRequestGuards } from '../../src/adapters/pg-guards.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { SiteRateLimiter } from '../../src/adapters/site-rate-limiter.ts';

let one: PgDatabase;
let two: PgDatabase;

beforeAll(async () => {
  one = await PgDatabase.open({ url: inject('pgUrl'), poolSize: 4 });
  two = await PgDatabase.open({ url: inject('pgUrl'), poolSize: 4 });
});
afterAll(async () => {
  await one.close();
  await two.close();
});

describe('PgReplayLedger', () => {
  it('a jti recorded by one replica is a replay on the other; sites do not share jtis', async () => {
    const site = randomUUID();
    const jti = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    expect(await new PgReplayLedger(one, site).add(jti, now + 35)).toBe(true);
    expect(await new PgReplayLedger(two, site).add(jti, now + 35)).toBe(false);
    expect(await new PgReplayLedger(one, site).add(jti, now + 35)).toBe(false);
    expect(await new PgReplayLedger(two, randomUUID()).add(jti, now + 35)).toBe(true);
  });

  it('of many replicas racing one jti, exactly one records it', async () => {
    const site = randomUUID();
    const jti = randomUUID();
    const until = Math.floor(Date.now() / 1000) + 35;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => new PgReplayLedger(i % 2 === 0 ? one : two, site).add(jti, until)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('the purge drops expired jtis and idle buckets only', async () => {
    const site = randomUUID();
    const nowMs = Date.now(); // other suites' rows share the tables: only really expired ones go
    const nowSec = Math.floor(nowMs / 1000);
    await new PgReplayLedger(one, site).add('old', nowSec - 1);
    await new PgReplayLedger(one, site).add('live', nowSec + 30);
    await new PgRateLimiter(one, { perMinute: 5, clock: () => nowMs - 61_000 }).take(`${site}#idle`);
    await new PgRateLimiter(one, { perMinute: 5, clock: () => nowMs - 1_000 }).take(`${site}#busy`);
    const purged = await purgeRequestGuards(one, nowMs);
    expect(purged.jtis).toBeGreaterThanOrEqual(1);
    const left = await one.pool.query('SELECT jti FROM igny8_replay WHERE site_id = $1', [site]);
    expect(left.rows.map((row: { jti: string }) => row.jti)).toEqual(['live']);
    const buckets = await one.pool.query('SELECT bucket FROM igny8_rate_buckets WHERE bucket LIKE $1', [`${site}#%`]);
    expect(buckets.rows.map((row: { bucket: string }) => row.bucket)).toEqual([`${site}#busy`]);
  });
});

describe('PgRateLimiter', () => {
  it('one bucket for every replica: the limit is the setting, not the setting per replica', async () => {
    const clock = { now: Date.now() };
    const bucket = randomUUID();
    const limiters = [one, two].map((db) => new PgRateLimiter(db, { perMinute: 6, clock: () => clock.now }));
    const decisions = [];
    for (let i = 0; i < 12; i += 1) {
      decisions.push(await (limiters[i % 2] as PgRateLimiter).take(bucket));
    }
    expect(decisions.map((d) => d.allowed)).toEqual([...Array<boolean>(6).fill(true), ...Array<boolean>(6).fill(false)]);
    expect(decisions[6]?.retryAfterSeconds).toBe(10); // 6 a minute: one call every 10 s
    clock.now += 10_000;
    expect((await (limiters[1] as PgRateLimiter).take(bucket)).allowed).toBe(true);
    expect((await (limiters[0] as PgRateLimiter).take(bucket)).allowed).toBe(false);
  });

  it('decides as the in-process bucket does (refill, capacity, retry-after)', async () => {
    const clock = { now: Date.now() };
    const bucket = randomUUID();
    const shared = new PgRateLimiter(one, { perMinute: 4, clock: () => clock.now });
    const local = new SiteRateLimiter({ perMinute: 4, clock: () => clock.now });
    for (const step of [0, 0, 0, 0, 0, 7_000, 8_000, 0, 0, 60_000, 0, 0, 0, 0, 0, 1_000]) {
      clock.now += step;
      expect(await shared.take(bucket), `after +${step} ms`).toEqual(local.take(bucket));
    }
  });

  it('concurrent takes never hand out more than the bucket holds', async () => {
    const bucket = randomUUID();
    const now = Date.now();
    const limiters = [one, two].map((db) => new PgRateLimiter(db, { perMinute: 10, clock: () => now }));
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => (limiters[i % 2] as PgRateLimiter).take(bucket)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
  });
});
