/**
 * Per-site token bucket for authenticated traffic (SPEC §9): `perMinute` calls, refilled continuously, so a
 * burst of a bulk publish passes and only a sustained flood is slowed down with 429 + Retry-After.
 */
export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until one call is allowed again (0 when allowed). */
  retryAfterSeconds: number;
}

/** Where the buckets live: this process (SiteRateLimiter) or PostgreSQL, shared by the replicas (pg-guards.ts). */
export interface RateLimiter {
  take(site: string): RateDecision | Promise<RateDecision>;
}

export class SiteRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private readonly maxSites: number;
  private readonly clock: () => number;

  constructor(options: { perMinute: number; maxSites?: number; clock?: () => number }) {
    this.capacity = options.perMinute;
    this.refillPerMs = options.perMinute / 60_000;
    this.maxSites = options.maxSites ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  take(site: string): RateDecision {
    const now = this.clock();
    let bucket = this.buckets.get(site);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSites) {
        this.forgetFullBuckets(now);
      }
      bucket = { tokens: this.capacity, updatedMs: now };
      this.buckets.set(site, bucket);
    } else {
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.updatedMs) * this.refillPerMs);
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)) };
  }

  /** A full bucket carries no information; dropping it keeps memory bounded. */
  private forgetFullBuckets(now: number): void {
    for (const [site, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedMs) * this.refillPerMs >= this.capacity) {
        this.buckets.delete(site);
      }
    }
  }
}
