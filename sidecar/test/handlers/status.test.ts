import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SIDECAR_VERSION } from '../../src/version.ts';
import { shimContext, startHarness, type Harness } from '../helpers/harness.ts';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('GET /igny8/v1/status through the shim conversation', () => {
  beforeEach(async () => {
    h = await startHarness();
  });

  it('responds 200 at once (no operation round) with the public health report', async () => {
    const result = await h.converse({
      method: 'GET',
      route: '/igny8/v1/status',
      ctx: shimContext({
        route_id: 'status',
        request_id: 'req-status-1',
        site: { plugin_version: '0.1.0', wp_version: '6.1.9' },
        facts: { api_key_present: false, connection_enabled: true },
      }),
      executeOp: () => {
        throw new Error('status must not run operations');
      },
    });
    expect(result.rounds).toBe(0);
    expect(result.status).toBe(200);
    expect(result.body).toEqual({
      success: true,
      data: {
        plugin_version: '0.1.0',
        wordpress_version: '6.1.9',
        connected: false,
        api_key_present: false,
        token_present: false,
        connection_enabled: true,
        sidecar: { reachable: true, version: SIDECAR_VERSION, queue: { pending: 0, failed: 0 } },
      },
      request_id: 'req-status-1',
    });
  });

  it('accepts the route with a trailing slash as well (either form of get_route())', async () => {
    const result = await h.converse({ method: 'GET', route: '/igny8/v1/status/', ctx: shimContext(), executeOp: () => ({}) });
    expect(result.status).toBe(200);
  });
});

describe('status with work in the sync queue', () => {
  it('reports the queue counts of the real sync service', async () => {
    h = await startHarness();
    const event = (id: number) => ({ post_id: id, seq: '1', wordpress_status: 'publish', post_url: 'https://wp.test/', post_type: 'post', title: 't', content_id: id, task_id: id, keyword_ids: [1] });
    expect(await h.sync.recordEvents([event(1), event(2), event(3)])).toMatchObject({ accepted: 3 });
    const result = await h.converse({ method: 'GET', route: '/igny8/v1/status', ctx: shimContext(), executeOp: () => ({}) });
    expect(result.body).toMatchObject({
      data: { connected: false, token_present: false, sidecar: { queue: { pending: 3, failed: 0 } } },
    });
  });
});
