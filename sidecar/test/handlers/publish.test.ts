import { describe, expect, it } from 'vitest';

import { createPublishRoute } from '../../src/handlers/publish.ts';
import { ShimContext } from '../../src/protocol/messages.ts';
import { shimContext } from '../helpers/harness.ts';

const now = new Date('2026-06-01T12:00:00Z');
const route = createPublishRoute(() => now);
const ctx = ShimContext.parse(
  shimContext({ route_id: 'publish_content', settings: { igny8_allowed_post_types: ['post', 'page'], igny8_default_post_status: 'draft' } }),
);
const body = { content_id: 42, task_id: 7, title: 'Hello', content_html: '<p>Hi</p>', status: 'completed', tags: ['a'], extra: true };

const upsertResult = (created: boolean) => ({
  op: 'upsert_post',
  ok: true,
  post_id: 31,
  created,
  post_type: 'post',
  post_status: 'publish',
  permalink: 'http://site.test/hello/',
  term_ids: { category: [1], post_tag: [5], igny8_clusters: [], igny8_sectors: [] },
  featured_image_id: null,
  gallery_ids: [],
  warnings: [
    { code: 'IMAGE_REFUSED', message: 'private address', field: 'featured_image' },
    { code: 'IMAGE_FAILED', message: 'HTTP 500', field: 'gallery.1' },
  ],
});

async function publish(result: unknown) {
  const first = await route.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body, reads: [] });
  if (first.kind !== 'execute') throw new Error('expected an execute step');
  expect(first.ops).toHaveLength(1);
  expect(first.ops[0]).toMatchObject({ op: 'upsert_post', content_id: 42, post: { post_status: 'publish' } });
  // The state crosses PHP as JSON.
  return route.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(first.state)), [result]);
}

describe('publish-content conversation', () => {
  it('answers 201 with the SPEC response on create, warnings from both sides included', async () => {
    expect(await publish(upsertResult(true))).toMatchObject({
      kind: 'respond',
      status: 201,
      body: {
        success: true,
        message: 'Post created.',
        data: {
          assigned_post_id: 31,
          post_id: 31,
          post_url: 'http://site.test/hello/',
          wordpress_status: 'publish',
          post_status: 'publish',
          status: 'completed',
          synced_at: '2026-06-01 14:00:00',
          post_type: 'post',
          content_type: 'post',
          content_id: 42,
          task_id: 7,
          term_ids: { category: [1], post_tag: [5], igny8_clusters: [], igny8_sectors: [] },
          warnings: [
            { code: 'UNKNOWN_FIELD', field: 'extra' },
            { code: 'IMAGE_REFUSED', field: 'featured_image' },
            { code: 'IMAGE_FAILED', field: 'gallery_images.1' },
          ],
        },
      },
    });
  });

  it('answers 200 on update', async () => {
    expect(await publish(upsertResult(false))).toMatchObject({ status: 200, body: { message: 'Post updated.' } });
  });

  it('queues one task update after a publish with a task_id (none without one, none when the write failed)', async () => {
    const recorded: unknown[] = [];
    const withSync = createPublishRoute(() => now, { recordPublished: async (snapshot) => { recorded.push(snapshot); } });
    const run = async (payload: Record<string, unknown>, result: unknown) => {
      const first = await withSync.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body: payload, reads: [] });
      if (first.kind !== 'execute') throw new Error('expected an execute step');
      return withSync.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(first.state)), [result]);
    };
    await run({ ...body, keyword_ids: [11, 12] }, upsertResult(true));
    expect(recorded).toEqual([
      { post_id: 31, wordpress_status: 'publish', post_url: 'http://site.test/hello/', post_type: 'post', title: '', content_id: 42, task_id: 7, keyword_ids: [11, 12] },
    ]);
    await run({ ...body, task_id: undefined }, upsertResult(false));
    await expect(run(body, { ok: false, error: { code: 'OPERATION_FAILED', message: 'db' } })).rejects.toMatchObject({ code: 'OPERATION_FAILED' });
    expect(recorded).toHaveLength(1);
  });

  it('a republish (with or without a task) supersedes the queued WordPress edit of the post; a create or a failed write does not', async () => {
    const superseded: number[] = [];
    const withSync = createPublishRoute(() => now, { supersedeContent: async (postId) => { superseded.push(postId); } });
    const run = async (payload: Record<string, unknown>, result: unknown) => {
      const first = await withSync.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body: payload, reads: [] });
      if (first.kind !== 'execute') throw new Error('expected an execute step');
      return withSync.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(first.state)), [result]);
    };
    await run(body, upsertResult(true));
    expect(superseded).toEqual([]);
    await run({ ...body, task_id: undefined }, upsertResult(false));
    await run(body, upsertResult(false));
    await expect(run(body, { ok: false, error: { code: 'LOCAL_EDITS', message: 'edited', details: { fields: ['post_title'] } } })).rejects.toMatchObject({ code: 'LOCAL_EDITS' });
    expect(superseded).toEqual([31, 31]);
  });

  it('turns a lock timeout into 409 CONFLICT and other failures into 502', async () => {
    await expect(publish({ ok: false, error: { code: 'CONFLICT', message: 'busy' } })).rejects.toMatchObject({ code: 'CONFLICT', status: 409 });
    await expect(publish({ ok: false, error: { code: 'OPERATION_FAILED', message: 'db' } })).rejects.toMatchObject({ code: 'OPERATION_FAILED', status: 502 });
    await expect(publish({ ok: true, post_id: 'x' })).rejects.toMatchObject({ code: 'OPERATION_FAILED' });
  });

  it('refuses an empty body before planning anything', async () => {
    await expect(Promise.resolve().then(() => route.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body: undefined, reads: [] }))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  describe('body images', () => {
    const withImages = {
      ...body,
      content_html: '<p>A <img src="https://cdn.test/a.png" alt="A"></p><figure><img src="https://cdn.test/b.png"><figcaption>B</figcaption></figure>',
    };
    // html format: the content is stored as rewritten (the blocks converter reads the same wp-image-{id}).
    const ctx = ShimContext.parse(
      shimContext({ route_id: 'publish_content', settings: { igny8_allowed_post_types: ['post', 'page'], igny8_content_format: 'html' } }),
    );
    const start = () => route.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body: withImages, reads: [] });

    it('imports them in a round before upsert_post, which points the content at the attachments', async () => {
      const first = await start();
      if (first.kind !== 'execute') throw new Error('expected an execute step');
      expect(first.ops).toEqual([
        { op: 'import_images', images: [{ url: 'https://cdn.test/a.png', alt: 'A' }, { url: 'https://cdn.test/b.png', caption: 'B' }] },
      ]);
      const imported = {
        op: 'import_images',
        ok: true,
        images: [
          { url: 'https://cdn.test/a.png', attachment_id: 9, src: 'http://site.test/a.png', reused: true },
          { url: 'https://cdn.test/b.png', warning: { code: 'IMAGE_FAILED', message: 'The image could not be fetched.' } },
        ],
      };
      const second = await route.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(first.state)), [imported]);
      if (second.kind !== 'execute') throw new Error('expected an execute step');
      expect(second.ops).toHaveLength(1);
      expect(second.ops[0]).toMatchObject({
        op: 'upsert_post',
        post: {
          post_content:
            '<p>A <img src="http://site.test/a.png" alt="A" class="wp-image-9"></p><figure><img src="https://cdn.test/b.png"><figcaption>B</figcaption></figure>',
        },
      });
      const done = await route.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(second.state)), [{ ...upsertResult(true), warnings: [] }]);
      expect(done).toMatchObject({
        status: 201,
        body: {
          data: {
            warnings: [
              { code: 'UNKNOWN_FIELD', field: 'extra' },
              { code: 'IMAGE_FAILED', field: 'content_html', message: expect.stringContaining('https://cdn.test/b.png') },
            ],
          },
        },
      });
    });

    it('in blocks format the rewritten figure becomes a core/image block with the attachment id', async () => {
      const blocksCtx = ShimContext.parse(shimContext({ route_id: 'publish_content', settings: { igny8_allowed_post_types: ['post'] } }));
      const first = await route.start({ sid: 's', ctx: blocksCtx, method: 'POST', params: {}, query: {}, body: withImages, reads: [] });
      if (first.kind !== 'execute') throw new Error('expected an execute step');
      const second = await route.resume!({ sid: 's', ctx: blocksCtx }, JSON.parse(JSON.stringify(first.state)), [
        { op: 'import_images', ok: true, images: [{ url: 'https://cdn.test/b.png', attachment_id: 12, src: 'http://site.test/b.png', reused: false }] },
      ]);
      if (second.kind !== 'execute') throw new Error('expected an execute step');
      const content = JSON.stringify(second.ops[0]);
      expect(content).toContain(JSON.stringify('<!-- wp:image {"id":12} -->').slice(1, -1));
      expect(content).toContain(JSON.stringify('<img src="http://site.test/b.png" alt="" class="wp-image-12"/><figcaption class="wp-element-caption">B</figcaption>').slice(1, -1));
    });

    it('a failed import_images op still publishes, every image remote with a warning', async () => {
      const first = await start();
      if (first.kind !== 'execute') throw new Error('expected an execute step');
      const second = await route.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(first.state)), [
        { op: 'import_images', ok: false, error: { code: 'OPERATION_FAILED', message: 'x' } },
      ]);
      if (second.kind !== 'execute') throw new Error('expected an execute step');
      expect(second.ops[0]).toMatchObject({ op: 'upsert_post', post: { post_content: withImages.content_html } });
      const done = await route.resume!({ sid: 's', ctx }, JSON.parse(JSON.stringify(second.state)), [{ ...upsertResult(true), warnings: [] }]);
      expect(done).toMatchObject({ body: { data: { warnings: [{ code: 'UNKNOWN_FIELD' }, { code: 'IMAGE_FAILED' }, { code: 'IMAGE_FAILED' }] } } });
    });

    it('an invalid request is refused before any image is fetched', async () => {
      await expect(
        Promise.resolve().then(() => route.start({ sid: 's', ctx, method: 'POST', params: {}, query: {}, body: { ...withImages, content_type: 'page_x' }, reads: [] })),
      ).rejects.toMatchObject({ status: 422 });
    });
  });
});
