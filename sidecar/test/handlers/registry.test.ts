import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { SiteMetadataCache } from '../../src/adapters/metadata-cache.ts';
import { contractRouteIds } from '../../src/contract/contract.ts';
import { buildRouteRegistry, type RouteDeps } from '../../src/handlers/registry.ts';
import { createLogCapture } from '../../src/logger.ts';
import { KeyRing } from '../../src/protocol/keys.ts';
import { createSync } from '../../src/sync/create-sync.ts';
import { testSyncConfig } from '../helpers/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'igny8-registry-'));
const sync = await createSync({
  config: testSyncConfig(dir),
  keyRing: new KeyRing({ current: Buffer.alloc(32, 1) }),
  logger: createLogCapture('warn').logger,
});
const deps: RouteDeps = { sidecarVersion: '0.1.0', siteMetadataStore: new SiteMetadataCache(), sync: sync.service };

afterAll(async () => {
  await sync.close();
  rmSync(dir, { recursive: true, force: true });
});

const stub = (id: string) => ({ id, start: () => Promise.reject(new Error()), resume: () => Promise.reject(new Error()) });

describe('route registry', () => {
  it('has exactly one handler for every contract route id', () => {
    const registry = buildRouteRegistry(deps);
    expect([...registry.keys()].sort()).toEqual([...contractRouteIds].sort());
  });

  it('lets a test replace the handler of a contract route', () => {
    const replacement = stub('status');
    expect(buildRouteRegistry(deps, [replacement]).get('status')).toBe(replacement);
  });

  it('refuses a handler for a route the contract does not have', () => {
    expect(() => buildRouteRegistry(deps, [stub('delete_everything')])).toThrow(/not a route in the contract/);
  });
});
