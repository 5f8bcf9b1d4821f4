/**
 * What IGNY8 receives for a changed post (SPEC §6): the `tasks` target's body, the `webhook` target's body, and the
 * keyword status update on publish. Pure functions of the snapshot, the site's status map and its clock.
 */
import { activeStatusMap, wpToIgny8 } from '../mapping/status-map.ts';
import { siteTime, type SiteClock } from '../mapping/site-time.ts';
import { DELETED_STATUS, type SyncSnapshot } from './snapshot.ts';

/** IGNY8's status for a deleted post. */
export const DELETED_IGNY8_STATUS = 'archived';

/** Keyword status IGNY8 expects once the content is live (the original plugin's "published"). */
export const PUBLISHED_KEYWORD_STATUS = 'published';

export interface DeliveryPlan {
  /** Body of `PUT /writer/tasks/{task_id}/`. */
  task: Record<string, unknown>;
  /** Body of the webhook POST: the same plus task_id, content_id and post_id. */
  webhook: Record<string, unknown>;
  taskId: number | null;
  /** Set on publish when the post has keyword ids. */
  keywords: { keyword_ids: number[]; status: string } | null;
  /** `synced_at`, site time, also written back as `_igny8_last_synced`. */
  syncedAt: string;
}

export function planDelivery(snapshot: SyncSnapshot, settings: Record<string, unknown>, clock: SiteClock, now: Date = new Date()): DeliveryPlan {
  const deleted = snapshot.wordpress_status === DELETED_STATUS;
  const status = deleted ? DELETED_IGNY8_STATUS : wpToIgny8(activeStatusMap(settings), snapshot.wordpress_status);
  const syncedAt = siteTime(clock, now);
  const task: Record<string, unknown> = {
    status,
    wordpress_status: snapshot.wordpress_status,
    assigned_post_id: deleted ? null : snapshot.post_id,
    post_url: deleted ? null : snapshot.post_url,
    post_type: snapshot.post_type,
    synced_at: syncedAt,
  };
  if (snapshot.content_id !== null) {
    task.content_id = snapshot.content_id;
  }
  return {
    task,
    webhook: { ...task, post_id: snapshot.post_id, task_id: snapshot.task_id, content_id: snapshot.content_id },
    taskId: snapshot.task_id,
    keywords:
      snapshot.wordpress_status === 'publish' && snapshot.keyword_ids.length > 0
        ? { keyword_ids: snapshot.keyword_ids, status: PUBLISHED_KEYWORD_STATUS }
        : null,
    syncedAt,
  };
}
