import { describe, expect, it } from 'vitest';

import { SiteRateLimiter } from '../../src/adapters/site-rate-limiter.ts';

describe('SiteRateLimiter', () => {
  it('lets a burst up to the per-minute budget through, then asks to retry', () => {
    let now = 0;
    const limiter = new SiteRateLimiter({ perMinute: 600, clock: () => now });
    for (let i = 0; i < 600; i++) {
      expect(limiter.take('site').allowed).toBe(true);
    }
    expect(limiter.take('site')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 100; // 600/min = one call per 100 ms
    expect(limiter.take('site').allowed).toBe(true);
  });

  it('limits each site separately', () => {
    const limiter = new SiteRateLimiter({ perMinute: 1, clock: () => 0 });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.take('b').allowed).toBe(true);
  });
});
