/**
 * The request guards of a shim request, shared by every replica on one PostgreSQL (issue #16 §4): the seen-`jti`
 * ledger and the sites' rate-limit buckets. In one process they live in memory (protocol/replay-cache.ts,
 * site-rate-limiter.ts); behind a load balancer each replica would then accept a token another one already served,
 * and a site's limit would be N times the setting.
 *
 * - Replay: `INSERT … ON CONFLICT DO NOTHING` on (site, jti): of two replicas given the same token, exactly one
 *   inserts the row, the other is told it is a replay. A row lives until the token's exp + leeway (seconds); after
 *   that the time check refuses the token anyway, and a purge drops it.
 * - Rate limits: the same token bucket as SiteRateLimiter (`perMinute` calls, refilled continuously), one row per
 *   bucket, refilled and taken in one conditional upsert (the row lock orders concurrent takes).
 * - Purge: at most once a minute across the replicas (a deployment-wide singleton, igny8_singletons), started by
 *   whichever replica records a jti: expired jtis, and buckets untouched for a minute (they are full again, so
 *   dropping them changes nothing).
 */
import type { RateDecision, RateLimiter } from './site-rate-limiter.ts';
import type { ReplayLedger } from '../protocol/replay-cache.ts';
import type { PgDatabase } from './pg-store.ts';

/** How often a process asks for the purge (the singleton then runs it at most once per interval between them all). */
export const GUARD_PURGE_INTERVAL_MS = 60_000;

/** Drops expired jtis and idle (full) buckets; returns how many rows went. */
export async function purgeRequestGuards(db: Pick<PgDatabase, 'pool'>, nowMs: number): Promise<{ jtis: number; buckets: number }> {
  const jtis = await db.pool.query('DELETE FROM igny8_replay WHERE expires_at < $1', [Math.floor(nowMs / 1000)]);
  const buckets = await db.pool.query('DELETE FROM igny8_rate_buckets WHERE updated_at < $1', [nowMs - 60_000]);
  return { jtis: jtis.rowCount ?? 0, buckets: buckets.rowCount ?? 0 };
}

export class PgReplayLedger implements ReplayLedger {
  private readonly db: PgDatabase;
  private readonly siteId: string;
  private readonly clock: () => number;

  constructor(db: PgDatabase, siteId: string, clock: () => number = Date.now) {
    this.db = db;
    this.siteId = siteId;
    this.clock = clock;
  }

  /** No early look: it would cost a query per request, and add() decides anyway. */
  has(): boolean {
    return false;
  }

  async add(jti: string, untilSec: number): Promise<boolean> {
    // Prepared (parsed once per connection): one per signed request.
    const { rowCount } = await this.db.pool.query({
      name: 'igny8-replay-add',
      text: 'INSERT INTO igny8_replay (site_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (site_id, jti) DO NOTHING',
      values: [this.siteId, jti, untilSec],
    });
    this.db.purgeRequestGuardsSoon(this.clock());
    return rowCount === 1;
  }
}

export class PgRateLimiter implements RateLimiter {
  private readonly db: Pick<PgDatabase, 'pool'>;
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly clock: () => number;

  constructor(db: Pick<PgDatabase, 'pool'>, options: { perMinute: number; clock?: () => number }) {
    this.db = db;
    this.capacity = Math.max(1, options.perMinute);
    this.refillPerMs = this.capacity / 60_000;
    this.clock = options.clock ?? Date.now;
  }

  async take(bucket: string): Promise<RateDecision> {
    // $2 capacity, $3 now (ms), $4 refill per ms. SET reads the row as it was, so each expression sees the old tokens.
    const refilled = 'LEAST($2::float8, b.tokens + GREATEST(0, $3::bigint - b.updated_at) * $4::float8)';
    const { rows } = await this.db.pool.query({
      name: 'igny8-rate-take',
      text: `INSERT INTO igny8_rate_buckets AS b (bucket, tokens, allowed, updated_at) VALUES ($1, $2::float8 - 1, true, $3::bigint)
       ON CONFLICT (bucket) DO UPDATE SET
         allowed = ${refilled} >= 1,
         tokens = ${refilled} - CASE WHEN ${refilled} >= 1 THEN 1 ELSE 0 END,
         updated_at = GREATEST(b.updated_at, $3::bigint)
       RETURNING allowed, tokens`,
      values: [bucket, this.capacity, this.clock(), this.refillPerMs],
    });
    const row = rows[0] as { allowed: boolean; tokens: number };
    if (row.allowed) {
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - Number(row.tokens)) / this.refillPerMs / 1000)) };
  }
}
