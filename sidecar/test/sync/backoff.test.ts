import { describe, expect, it } from 'vitest';

import { backoffDelay } from '../../src/sync/backoff.ts';

const policy = { baseMs: 1_000, maxMs: 60_000, retryAfterCapMs: 300_000 };

describe('backoffDelay', () => {
  it('doubles per attempt, with jitter in the upper half, up to the cap', () => {
    expect(backoffDelay(policy, 1, () => 0)).toBe(500);
    expect(backoffDelay(policy, 1, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 4, () => 1)).toBe(8_000);
    expect(backoffDelay(policy, 4, () => 0)).toBe(4_000);
    expect(backoffDelay(policy, 30, () => 1)).toBe(60_000);
    expect(backoffDelay(policy, 500, () => 0.5)).toBe(45_000);
  });

  it('spreads retries: two posts failing together do not retry together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(policy, 5)));
    expect(delays.size).toBeGreaterThan(10);
  });

  it('honours Retry-After when it asks for longer, within the cap', () => {
    expect(backoffDelay(policy, 1, () => 0, 20_000)).toBe(20_000);
    expect(backoffDelay(policy, 6, () => 1, 1_000)).toBe(32_000);
    expect(backoffDelay(policy, 1, () => 0, 3_600_000)).toBe(300_000);
  });
});
