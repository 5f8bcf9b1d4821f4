/** A post's sync snapshot as the shim records it, for the queue and worker tests. */
import type { SyncSnapshot } from '../../src/sync/snapshot.ts';

export const snapshot = (postId: number, seq: string, status = 'publish', extra: Partial<SyncSnapshot> = {}): SyncSnapshot => ({
  post_id: postId,
  seq,
  wordpress_status: status,
  post_url: `https://wp.test/?p=${postId}`,
  post_type: 'post',
  title: `Post ${postId}`,
  content_id: 1000 + postId,
  task_id: 500 + postId,
  keyword_ids: [],
  ...extra,
});
