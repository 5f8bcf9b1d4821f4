import { describe, expect, it } from 'vitest';

import { ReplayCache, ReplayCacheFullError } from '../../src/protocol/replay-cache.ts';

describe('ReplayCache', () => {
  it('remembers a jti until its expiry, then forgets it', () => {
    const cache = new ReplayCache();
    expect(cache.add('a'.repeat(32), 160, 100)).toBe(true);
    expect(cache.add('a'.repeat(32), 160, 150)).toBe(false);
    expect(cache.has('a'.repeat(32), 160)).toBe(true);
    expect(cache.has('a'.repeat(32), 161)).toBe(false);
  });

  it('stays bounded: expired entries make room, live ones are never dropped (fail closed)', () => {
    const cache = new ReplayCache({ maxEntries: 3 });
    cache.add('1', 110, 100);
    cache.add('2', 200, 100);
    cache.add('3', 200, 100);
    expect(cache.add('4', 200, 150)).toBe(true); // '1' expired → room
    expect(cache.size).toBe(3);
    expect(() => cache.add('5', 200, 150)).toThrow(ReplayCacheFullError);
    expect(cache.has('2', 150)).toBe(true);
  });
});
