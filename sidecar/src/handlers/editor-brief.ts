/**
 * The sidebar's task brief (issue #13 §5):
 * - `GET  /editor/posts/{post_id}/brief` → the brief cached in the post's meta (`_igny8_task_brief`, JSON as IGNY8
 *   sent it, bounded) with `_igny8_brief_cached_at`, and the state of the latest fetch;
 * - `POST /editor/posts/{post_id}/brief` → "Refresh brief": queue a fetch from IGNY8 on the durable queue and answer
 *   at once. The worker reads the brief from IGNY8 and caches it through the internal route; the sidebar polls GET.
 * Both take one exchange (the contract read is `find_posts` of the post); the sidecar never calls WordPress while PHP
 * waits. The shim authorised the caller (`edit_post` on that post).
 */
import { igny8Meta } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { metaInt, metaString, pickPost, postsFrom, routeId, type ManagedPost } from '../mapping/managed-post.ts';
import { respond, type RouteHandler } from '../protocol/conversation.ts';
import type { BriefFetchView, SyncPort } from '../sync/ports.ts';

export interface BriefView {
  post_id: number;
  task_id: number | null;
  /** The brief as IGNY8 sent it (any JSON), or null when none is cached. */
  brief: unknown;
  cached_at: string | null;
  fetch: BriefFetchView | null;
}

function cachedBrief(post: ManagedPost): unknown {
  const raw = metaString(post, igny8Meta.task_brief);
  if (raw === null) {
    return null;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return null;
  }
}

function managedPost(result: unknown, postId: number): ManagedPost {
  const post = pickPost(postsFrom(result).filter((candidate) => candidate.id === postId));
  if (post === undefined) {
    throw new AppError('POST_NOT_FOUND', 'This post has no IGNY8 task.', { field: 'post_id' });
  }
  return post;
}

function view(post: ManagedPost, fetch: BriefFetchView | undefined): BriefView {
  return {
    post_id: post.id,
    task_id: metaInt(post, igny8Meta.task_id),
    brief: cachedBrief(post),
    cached_at: metaString(post, igny8Meta.brief_cached_at),
    fetch: fetch ?? null,
  };
}

export function createBriefRoutes(sync: SyncPort): RouteHandler[] {
  const read: RouteHandler = {
    id: 'editor_brief',
    async start({ ctx, params, reads: [result] }) {
      const postId = Number(routeId(params, 'post_id'));
      const post = managedPost(result, postId);
      return respond(200, successEnvelope(ctx.request_id, view(post, await sync.briefFetch?.(postId))));
    },
  };

  const refresh: RouteHandler = {
    id: 'editor_brief_refresh',
    async start({ ctx, params, reads: [result] }) {
      const postId = Number(routeId(params, 'post_id'));
      const post = managedPost(result, postId);
      const taskId = metaInt(post, igny8Meta.task_id);
      if (taskId === null) {
        throw new AppError('POST_NOT_FOUND', 'This post has no IGNY8 task.', { field: 'post_id' });
      }
      if (sync.requestBrief === undefined) {
        throw new AppError('ROUTE_NOT_FOUND', 'This sidecar has no sync queue.');
      }
      return respond(202, successEnvelope(ctx.request_id, view(post, await sync.requestBrief(postId, taskId)), 'Brief refresh queued.'));
    },
  };

  return [read, refresh];
}
