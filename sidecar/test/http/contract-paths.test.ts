import { describe, expect, it } from 'vitest';

import { contract } from '../../src/contract/contract.ts';
import { compileRoutePattern, convertPcrePattern } from '../../src/http/contract-paths.ts';

describe('contract route paths (PCRE → JavaScript)', () => {
  it('converts PHP named groups', () => {
    expect(convertPcrePattern('/post-status/(?P<content_id>[^/]+)')).toBe('/post-status/(?<content_id>[^/]+)');
  });

  it('compiles every contract route', () => {
    for (const route of contract.routes) {
      expect(() => compileRoutePattern(route.path)).not.toThrow();
    }
  });

  it('matches like WordPress: anchored, case-insensitive, with or without a trailing slash', () => {
    const pattern = compileRoutePattern('/editor/posts/(?P<post_id>\\d+)/sync');
    expect(pattern.exec('/igny8/v1/editor/posts/12/sync')?.groups).toEqual({ post_id: '12' });
    expect(pattern.test('/igny8/v1/editor/posts/12/sync/')).toBe(true);
    expect(pattern.test('/IGNY8/v1/Editor/posts/12/sync')).toBe(true);
    expect(pattern.test('/igny8/v1/editor/posts/abc/sync')).toBe(false);
    expect(pattern.test('/x/igny8/v1/editor/posts/12/sync')).toBe(false);
    expect(pattern.test('/igny8/v1/editor/posts/12/sync/extra')).toBe(false);
    expect(compileRoutePattern('/status').test('/igny8/v1/statusx')).toBe(false);
  });

  it('refuses PCRE constructs it cannot translate', () => {
    expect(() => convertPcrePattern('/a/(?P=name)')).toThrow(/PCRE/);
    expect(() => convertPcrePattern('/a/(?i)b')).toThrow(/PCRE/);
    expect(() => convertPcrePattern('/a/\\d++')).toThrow(/PCRE/);
  });
});
