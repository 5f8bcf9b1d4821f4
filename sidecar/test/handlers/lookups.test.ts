import { describe, expect, it } from 'vitest';

import { contract, routeReadOps } from '../../src/contract/contract.ts';
import { AppError } from '../../src/contract/errors.ts';
import { createLookupRoutes } from '../../src/handlers/lookups.ts';
import type { RouteHandler } from '../../src/protocol/conversation.ts';
import { ShimContext } from '../../src/protocol/messages.ts';
import { shimContext } from '../helpers/harness.ts';

const routes = new Map(createLookupRoutes().map((r) => [r.id, r] as const));
const route = (id: string): RouteHandler => routes.get(id)!;
const ctxFor = (routeId: string, params: Record<string, string>, settings: Record<string, unknown> = {}) =>
  ShimContext.parse(shimContext({ route_id: routeId, params, settings }));

const post = (over: Record<string, unknown> = {}) => ({
  id: 31,
  post_type: 'post',
  status: 'publish',
  title: 'Hello',
  url: 'http://site.test/hello/',
  meta: { _igny8_content_id: '42', _igny8_task_id: '7', _igny8_last_synced: '2026-06-01 14:00:00' },
  terms: [],
  ...over,
});

/** One exchange: the route's contract read (find_posts) arrives with the request. */
async function lookup(id: string, params: Record<string, string>, posts: unknown[], settings: Record<string, unknown> = {}) {
  const ctx = ctxFor(id, params, settings);
  return route(id).start({ sid: 's', ctx, method: 'GET', params, query: {}, body: undefined, reads: [{ ok: true, posts }] });
}

describe('lookup routes', () => {
  it('have PHP read the posts by the IGNY8 id (contract reads), never by a bare post id, without their terms', () => {
    const reads = (id: string, params: Record<string, string>) =>
      routeReadOps(contract.routes.find((r) => r.id === id)?.reads ?? [], params);
    expect(reads('post_by_task_id', { task_id: '7' })).toEqual([{ op: 'find_posts', meta_key: '_igny8_task_id', meta_value: '7', limit: 10, terms: false }]);
    expect(reads('post_by_content_id', { content_id: '42' })).toEqual([{ op: 'find_posts', meta_key: '_igny8_content_id', meta_value: '42', limit: 10, terms: false }]);
    expect(reads('post_status', { content_id: '42' })).toEqual([{ op: 'find_posts', meta_key: '_igny8_content_id', meta_value: '42', limit: 10, terms: false }]);
  });

  it('answers at once, with no execute round', async () => {
    expect(await lookup('post_by_task_id', { task_id: '7' }, [post()])).toMatchObject({ kind: 'respond', status: 200 });
    expect(route('post_by_task_id').resume).toBeUndefined();
  });

  it('shapes post-by-content-id per SPEC §4', async () => {
    const step = await lookup('post_by_content_id', { content_id: '42' }, [post()]);
    expect(step).toMatchObject({
      kind: 'respond',
      status: 200,
      body: {
        success: true,
        data: {
          post_id: 31,
          title: 'Hello',
          status: 'publish',
          wordpress_status: 'publish',
          igny8_status: 'completed',
          url: 'http://site.test/hello/',
          post_type: 'post',
          content_id: 42,
          task_id: 7,
          last_synced: '2026-06-01 14:00:00',
        },
      },
    });
  });

  it('reports the active status map in post-status, site overrides included', async () => {
    const step = await lookup('post_status', { content_id: '42' }, [post({ status: 'future' })], {
      igny8_status_map_wp_to_igny8: { future: 'scheduled' },
    });
    expect(step).toMatchObject({
      body: { data: { wordpress_status: 'future', igny8_status: 'scheduled', status_mapping: { publish: 'completed', future: 'scheduled', trash: 'archived' } } },
    });
  });

  it('prefers a live post over a trashed copy', async () => {
    const step = await lookup('post_by_content_id', { content_id: '42' }, [post({ id: 20, status: 'trash' }), post({ id: 31 })]);
    expect(step).toMatchObject({ body: { data: { post_id: 31, warnings: [] } } });
  });

  it('names the oldest live post when several share the content id (the one publish writes to), with a DUPLICATE_CONTENT_ID warning', async () => {
    const step = await lookup('post_by_content_id', { content_id: '42' }, [post({ id: 77 }), post({ id: 31 }), post({ id: 12, status: 'trash' })]);
    expect(step).toMatchObject({
      body: { data: { post_id: 31, warnings: [{ code: 'DUPLICATE_CONTENT_ID', field: 'content_id', message: expect.stringContaining('31, 77') }] } },
    });
  });

  it('answers 404 POST_NOT_FOUND when nothing matches', async () => {
    await expect(lookup('post_by_content_id', { content_id: '42' }, [])).rejects.toMatchObject({ code: 'POST_NOT_FOUND', status: 404 });
  });

  it.each(['0', '-1', 'abc', '1 OR 1=1', '..%2F..%2Fetc', '12345678901234567'])('refuses the id %j with INVALID_ID', async (bad) => {
    const ctx = ctxFor('post_by_content_id', { content_id: bad });
    let error: unknown;
    try {
      await route('post_by_content_id').start({ sid: 's', ctx, method: 'GET', params: { content_id: bad }, query: {}, body: undefined, reads: [{ ok: true, posts: [] }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_ID');
  });
});
