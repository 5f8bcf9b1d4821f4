import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { Operation } from '../../src/protocol/messages.ts';
import { shimContext, startHarness, type Harness } from '../helpers/harness.ts';

/** What the PHP `site_info` op returns, including the PHP-isms (numeric strings, supports as a map). */
function siteInfoResult(overrides: Record<string, unknown> = {}) {
  return {
    op: 'site_info',
    ok: true,
    site_info: {
      name: 'Demo Site',
      url: 'http://127.0.0.1:8080',
      description: 'Just another site',
      language: 'en-US',
      timezone: 'Europe/Berlin',
    },
    post_types: [
      { name: 'post', label: 'Posts', count: '150', supports: ['title', 'editor', 'thumbnail', 'excerpt'] },
      { name: 'page', label: 'Pages', count: 25, supports: { title: true, editor: true, 'page-attributes': true } },
    ],
    taxonomies: [
      {
        name: 'category',
        label: 'Categories',
        count: 2,
        terms: [
          { id: 1, name: 'Uncategorized', slug: 'uncategorized', count: '4', parent: 0 },
          { id: 7, name: 'Guides', slug: 'guides', count: 3, parent: '0' },
        ],
      },
      {
        name: 'igny8_clusters',
        label: 'IGNY8 Clusters',
        count: 1,
        terms: [{ id: 9, name: 'Coffee', slug: 'coffee', count: 2, parent: 0, igny8_id: '45' }],
      },
      { name: 'post_tag', label: 'Tags', count: 1200, terms: [], terms_truncated: true },
    ],
    plugins: { woocommerce: false, yoast_seo: true, unknown_plugin: true },
    ...overrides,
  };
}

const expectedData = {
  site_info: {
    name: 'Demo Site',
    url: 'http://127.0.0.1:8080',
    description: 'Just another site',
    language: 'en-US',
    timezone: 'Europe/Berlin',
  },
  post_types: [
    { name: 'post', label: 'Posts', count: 150, supports: ['title', 'editor', 'thumbnail', 'excerpt'] },
    { name: 'page', label: 'Pages', count: 25, supports: ['title', 'editor', 'page-attributes'] },
  ],
  taxonomies: [
    {
      name: 'category',
      label: 'Categories',
      count: 2,
      terms: [
        { id: 1, name: 'Uncategorized', slug: 'uncategorized', count: 4, parent: 0 },
        { id: 7, name: 'Guides', slug: 'guides', count: 3, parent: 0 },
      ],
    },
    {
      name: 'igny8_clusters',
      label: 'IGNY8 Clusters',
      count: 1,
      terms: [{ id: 9, name: 'Coffee', slug: 'coffee', count: 2, parent: 0, igny8_id: 45 }],
    },
    { name: 'post_tag', label: 'Tags', count: 1200, terms: [], terms_truncated: true },
  ],
  plugins: {
    woocommerce: false,
    yoast_seo: true,
    seopress: false,
    aioseo: false,
    rank_math: false,
    advanced_custom_fields: false,
  },
};

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

function metadataCall(options: { rev?: number | string; requestId?: string; result?: unknown } = {}) {
  const ops: Operation[] = [];
  const call = h.converse({
    method: 'GET',
    route: '/igny8/v1/site-metadata',
    ctx: shimContext({
      route_id: 'site_metadata',
      request_id: options.requestId ?? 'req-meta',
      site: { structure_rev: options.rev ?? 17 },
    }),
    executeOp: (op) => {
      ops.push(op);
      return options.result ?? siteInfoResult();
    },
  });
  return { call, ops };
}

describe('GET /igny8/v1/site-metadata through the shim conversation', () => {
  it('asks the shim for site_info, then responds with the SPEC §4 shape', async () => {
    const { call, ops } = metadataCall();
    const result = await call;
    expect(ops).toEqual([{ op: 'site_info' }]);
    expect(result.rounds).toBe(1);
    expect(result.replies[0]).toMatchObject({ kind: 'execute', ops: [{ op: 'site_info' }] });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ success: true, data: expectedData, request_id: 'req-meta' });
  });

  it('answers from the cache, without an operation round, while structure_rev is unchanged', async () => {
    await metadataCall().call;
    const { call, ops } = metadataCall({ requestId: 'req-meta-2', rev: '17' });
    const second = await call;
    expect(ops).toEqual([]);
    expect(second.rounds).toBe(0);
    expect(second.body).toEqual({ success: true, data: expectedData, request_id: 'req-meta-2' });
  });

  it('asks again when structure_rev changes or the 300 s TTL ran out', async () => {
    await metadataCall().call;
    expect((await metadataCall({ rev: 18 }).call).rounds).toBe(1);
    expect((await metadataCall({ rev: 18 }).call).rounds).toBe(0);
    h.clock.advance(299);
    expect((await metadataCall({ rev: 18 }).call).rounds).toBe(0);
    h.clock.advance(2);
    expect((await metadataCall({ rev: 18 }).call).rounds).toBe(1);
  });

  it('tolerates PHP re-encoding empty objects as [] in results and state', async () => {
    const { call } = metadataCall({ result: siteInfoResult({ plugins: [] }) });
    const result = await call;
    expect(result.body).toMatchObject({ data: { plugins: { woocommerce: false, yoast_seo: false } } });
  });

  it('answers a failed site_info op with OPERATION_FAILED (502) and does not cache it', async () => {
    const { call } = metadataCall({ result: { ok: false, error: { code: 'DB_ERROR', message: 'database gone away' } } });
    const result = await call;
    expect(result.status).toBe(502);
    expect(result.body).toMatchObject({ success: false, code: 'OPERATION_FAILED', request_id: 'req-meta' });
    expect((await metadataCall().call).rounds).toBe(1);
  });

  it('answers a malformed site_info result with OPERATION_FAILED naming the path', async () => {
    const { call } = metadataCall({ result: siteInfoResult({ post_types: [{ name: 'post' }] }) });
    const result = await call;
    expect(result.status).toBe(502);
    expect(result.body).toMatchObject({ code: 'OPERATION_FAILED' });
    expect((result.body as { error: string }).error).toMatch(/post_types\.0\.label/);
  });
});

describe('POST /_shim/continue checks', () => {
  async function firstRound() {
    const ctx = shimContext({ route_id: 'site_metadata', site: { structure_rev: 99 } });
    const { res, bytes, signed } = await h.send({ method: 'GET', path: '/igny8/v1/site-metadata', ctx });
    const reply = await h.verify(res, bytes, signed);
    if (reply.kind !== 'execute') {
      throw new Error('expected an execute reply');
    }
    return { ctx, state: reply.state };
  }

  async function continueWith(ctx: unknown, body: unknown) {
    const { res, bytes, signed } = await h.send({ method: 'POST', path: '/_shim/continue', body: JSON.stringify(body), ctx });
    return h.verify(res, bytes, signed);
  }

  it('resumes from the echoed state', async () => {
    const { ctx, state } = await firstRound();
    const reply = await continueWith(ctx, { route_id: 'site_metadata', state, results: [siteInfoResult()] });
    expect(reply).toMatchObject({ kind: 'respond', status: 200, body: { data: expectedData } });
  });

  it('refuses a result count that does not match the ops sent', async () => {
    const { ctx, state } = await firstRound();
    const reply = await continueWith(ctx, { route_id: 'site_metadata', state, results: [] });
    expect(reply).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', field: 'results' } });
  });

  it('refuses state issued for another route, or a route_id that differs from ctx', async () => {
    const { ctx, state } = await firstRound();
    const otherCtx = { ...ctx, route_id: 'status' };
    expect(await continueWith(otherCtx, { route_id: 'status', state, results: [{}] })).toMatchObject({
      status: 400,
      body: { field: 'state' },
    });
    expect(await continueWith(ctx, { route_id: 'status', state, results: [{}] })).toMatchObject({
      status: 400,
      body: { field: 'route_id' },
    });
    expect(await continueWith(ctx, { route_id: 'site_metadata', state: [], results: [{}] })).toMatchObject({
      status: 400,
      body: { field: 'state' },
    });
  });

  it('refuses a continue body that is not the documented shape', async () => {
    const { ctx } = await firstRound();
    expect(await continueWith(ctx, { state: {}, results: [] })).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST' } });
  });

  it('refuses a continue signed for another htu', async () => {
    const { ctx, state } = await firstRound();
    const { res } = await h.send({
      method: 'POST',
      path: '/_shim/continue',
      htu: '/igny8/v1/site-metadata',
      body: JSON.stringify({ route_id: 'site_metadata', state, results: [siteInfoResult()] }),
      ctx,
    });
    expect(res.status).toBe(401);
  });
});
