import { describe, expect, it } from 'vitest';

import { SiteMetadataCache } from '../../src/adapters/metadata-cache.ts';
import { emptySyncQueue, notConnected } from '../../src/adapters/not-yet-connected.ts';
import { contractRouteIds } from '../../src/contract.ts';
import { buildRouteRegistry } from '../../src/domain/route-registry.ts';
import { AppError } from '../../src/errors.ts';
import { ShimContext } from '../../src/shim-protocol/messages.ts';
import { shimContext } from '../helpers/harness.ts';

const deps = {
  sidecarVersion: '0.1.0',
  syncQueue: emptySyncQueue,
  connection: notConnected,
  siteMetadataStore: new SiteMetadataCache(),
};

describe('route registry', () => {
  it('has a handler for every contract route id', () => {
    const registry = buildRouteRegistry(deps);
    expect([...registry.keys()].sort()).toEqual([...contractRouteIds].sort());
  });

  it('answers routes that later tasks implement with ROUTE_NOT_FOUND', async () => {
    const handler = buildRouteRegistry(deps).get('editor_sync_state');
    const ctx = ShimContext.parse(shimContext({ route_id: 'editor_sync_state', params: { post_id: '5' } }));
    let error: unknown;
    try {
      await handler?.start({ sid: 's', ctx, method: 'GET', params: { post_id: '5' }, query: {}, body: undefined });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('ROUTE_NOT_FOUND');
  });

  it('refuses a handler for a route the contract does not have', () => {
    const stray = { id: 'delete_everything', start: () => Promise.reject(new Error()), resume: () => Promise.reject(new Error()) };
    expect(() => buildRouteRegistry(deps, [stray])).toThrow(/not a route in the contract/);
  });
});
