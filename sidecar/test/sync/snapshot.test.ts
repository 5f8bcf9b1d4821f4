import { describe, expect, it } from 'vitest';

import { parseSnapshots } from '../../src/sync/snapshot.ts';

/** A post event as PHP sends it: Post_Reader's raw post plus seq (contract sync.post_event). */
const event = (over: Record<string, unknown> = {}) => ({
  id: 12,
  post_type: 'post',
  status: 'publish',
  title: 'Hello',
  url: 'https://wp.test/hello/',
  date_gmt: '2026-01-01 10:00:00',
  modified_gmt: '2026-01-02 10:00:00',
  author: 3,
  meta: { _igny8_content_id: 42, _igny8_task_id: '7', _igny8_keyword_ids: '[5,"6","x",-1]', _igny8_sync_pending: '1795616653705984943' },
  terms: {},
  seq: '1795616653705984943',
  ...over,
});

describe('sync events: the sidecar maps the raw post PHP reads', () => {
  it('turns a post event into the snapshot IGNY8 payloads are made from', () => {
    expect(parseSnapshots([event()])).toEqual({
      snapshots: [
        {
          post_id: 12,
          seq: '1795616653705984943',
          wordpress_status: 'publish',
          post_url: 'https://wp.test/hello/',
          post_type: 'post',
          title: 'Hello',
          content_id: 42,
          task_id: 7,
          keyword_ids: [5, 6],
        },
      ],
      rejected: 0,
    });
  });

  it('a post event with a WordPress edit waiting (content, excerpt) carries it for the content update (issue #13 §4)', () => {
    const [snapshot] = parseSnapshots([event({ content: '<!-- wp:paragraph --><p>Edited</p><!-- /wp:paragraph -->', excerpt: 'Short' })]).snapshots;
    expect(snapshot?.content).toEqual({ title: 'Hello', html: '<!-- wp:paragraph --><p>Edited</p><!-- /wp:paragraph -->', excerpt: 'Short', modified_gmt: '2026-01-02 10:00:00' });
    expect(parseSnapshots([event()]).snapshots[0]?.content).toBeUndefined();
  });

  it('maps a deleted post and a post without IGNY8 ids; refuses an event without seq, keeping the others', () => {
    const { snapshots, rejected } = parseSnapshots([event({ status: 'deleted', meta: {} }), event({ seq: undefined }), 'junk']);
    expect(rejected).toBe(2);
    expect(snapshots).toMatchObject([{ post_id: 12, wordpress_status: 'deleted', content_id: null, task_id: null, keyword_ids: [] }]);
  });

  it('still reads an entry in the older snapshot shape (an outbox entry recorded before the change)', () => {
    const legacy = { post_id: 9, seq: '5', wordpress_status: 'deleted', post_url: null, post_type: 'page', title: 't', content_id: 1, task_id: null, keyword_ids: [2] };
    expect(parseSnapshots([legacy]).snapshots).toMatchObject([{ post_id: 9, content_id: 1, keyword_ids: [2] }]);
  });
});
