/**
 * What IGNY8 receives for a changed post (SPEC §6): the `tasks` target's body, the `webhook` target's body, the
 * keyword status update on publish, and the content update of a WordPress edit (issue #13 §4). Pure functions of the snapshot, the site's status map and its clock.
 */
import { activeStatusMap, wpToIgny8 } from '../mapping/status-map.ts';
import { siteTime, type SiteClock } from '../mapping/site-time.ts';
import { withoutBlockDelimiters } from '../mapping/blocks/delimiters.ts';
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
  /**
   * On publish of a post without keyword ids but with a task: read them from `GET /writer/tasks/{id}/` before the
   * keyword bulk update (the original's "keyword status update on publish").
   */
  keywordsFromTask: boolean;
  /** `synced_at`, site time, also written back as `_igny8_last_synced`. */
  syncedAt: string;
  /** A WordPress edit of the post for IGNY8 (issue #13 §4), unless the content sync is off. */
  content: ContentUpdate | null;
}

export interface ContentUpdate {
  /** `PUT /writer/content/{content_id}/` needs it (the `tasks` target); null when the post has none. */
  contentId: number | null;
  /** Body of `PUT /writer/content/{content_id}/`. */
  body: Record<string, unknown>;
  /** Body of the webhook POST: `event: "content_updated"`, the same fields and the ids. */
  webhook: Record<string, unknown>;
}

/** `Y-m-d H:i:s` (GMT, as WordPress stores it) → ISO 8601 UTC. */
function isoFromGmt(value: string | null): string | null {
  const match = value === null ? null : /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(value);
  return match === null ? null : `${match[1]}T${match[2]}Z`;
}

/** The content update of a snapshot carrying a WordPress edit; null without one or with setting `igny8_content_sync` off. */
export function planContentUpdate(snapshot: SyncSnapshot, settings: Record<string, unknown>, now: Date = new Date()): ContentUpdate | null {
  if (snapshot.content === null || snapshot.content === undefined || settings.igny8_content_sync === false || snapshot.wordpress_status === DELETED_STATUS) {
    return null;
  }
  const body = {
    title: snapshot.content.title,
    // IGNY8 sent HTML: it gets HTML back, without the block delimiters WordPress stores.
    content_html: withoutBlockDelimiters(snapshot.content.html),
    excerpt: snapshot.content.excerpt,
    source: 'wordpress',
    wordpress_modified_at: isoFromGmt(snapshot.content.modified_gmt) ?? now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  return {
    contentId: snapshot.content_id,
    body,
    webhook: { event: 'content_updated', ...body, post_id: snapshot.post_id, task_id: snapshot.task_id, content_id: snapshot.content_id, post_url: snapshot.post_url },
  };
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
    keywordsFromTask: snapshot.wordpress_status === 'publish' && snapshot.keyword_ids.length === 0 && snapshot.task_id !== null,
    syncedAt,
    content: planContentUpdate(snapshot, settings, now),
  };
}
