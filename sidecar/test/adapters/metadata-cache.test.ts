import { describe, expect, it } from 'vitest';

import { SiteMetadataCache } from '../../src/adapters/metadata-cache.ts';
import type { SiteMetadata } from '../../src/handlers/site-metadata.ts';

const metadata = (name: string): SiteMetadata => ({
  site_info: { name, url: '', description: '', language: '', timezone: '' },
  post_types: [],
  taxonomies: [],
  plugins: {},
});

describe('SiteMetadataCache', () => {
  it('keys by site and structure revision and expires after the TTL', () => {
    let now = 0;
    const cache = new SiteMetadataCache({ ttlSeconds: 300, clock: () => now });
    cache.set('site-a', 1, metadata('a1'));
    expect(cache.get('site-a', 1)?.site_info.name).toBe('a1');
    expect(cache.get('site-a', 2)).toBeUndefined();
    expect(cache.get('site-b', 1)).toBeUndefined();
    now = 299_999;
    expect(cache.get('site-a', 1)).toBeDefined();
    now = 300_000;
    expect(cache.get('site-a', 1)).toBeUndefined();
  });

  it('evicts the oldest entry when full', () => {
    const cache = new SiteMetadataCache({ maxEntries: 2 });
    cache.set('s', 1, metadata('1'));
    cache.set('s', 2, metadata('2'));
    cache.set('s', 3, metadata('3'));
    expect(cache.size).toBe(2);
    expect(cache.get('s', 1)).toBeUndefined();
    expect(cache.get('s', 3)).toBeDefined();
  });
});
