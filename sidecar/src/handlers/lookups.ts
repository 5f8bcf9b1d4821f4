/**
 * The lookup routes IGNY8 uses to find what it published (SPEC §4):
 * `GET /post-by-content-id/{id}`, `GET /post-by-task-id/{id}`, `GET /post-status/{content_id}`.
 * Each is one `find_posts` round; the shim only ever returns IGNY8-managed posts.
 */
import { AppError } from '../contract/errors.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { findPostsOp, metaInt, metaString, pickPost, postsFrom, routeId, type ManagedPost } from '../mapping/managed-post.ts';
import { activeStatusMap, wpToIgny8 } from '../mapping/status-map.ts';

type Shape = (post: ManagedPost, settings: Record<string, unknown>) => Record<string, unknown>;

function lookupRoute(id: string, param: string, metaKey: string, shape: Shape): RouteHandler {
  return {
    id,
    start({ params }) {
      return execute([findPostsOp(metaKey, routeId(params, param))]);
    },
    resume({ ctx }, _state, [result]) {
      const post = pickPost(postsFrom(result));
      if (post === undefined) {
        throw new AppError('POST_NOT_FOUND', `No IGNY8-managed post has ${param} ${ctx.params[param]}.`, { field: param });
      }
      return respond(200, successEnvelope(ctx.request_id, shape(post, ctx.settings)));
    },
  };
}

const postSummary: Shape = (post, settings) => ({
  post_id: post.id,
  title: post.title,
  status: post.status,
  wordpress_status: post.status,
  igny8_status: wpToIgny8(activeStatusMap(settings), post.status),
  url: post.url,
  post_type: post.post_type,
  content_id: metaInt(post, '_igny8_content_id'),
  task_id: metaInt(post, '_igny8_task_id'),
  last_synced: metaString(post, '_igny8_last_synced'),
});

const postStatus: Shape = (post, settings) => {
  const map = activeStatusMap(settings);
  return {
    post_id: post.id,
    wordpress_status: post.status,
    igny8_status: wpToIgny8(map, post.status),
    status_mapping: map.wpToIgny8,
    content_id: metaInt(post, '_igny8_content_id'),
    url: post.url,
    last_synced: metaString(post, '_igny8_last_synced'),
  };
};

export const createLookupRoutes = (): RouteHandler[] => [
  lookupRoute('post_by_content_id', 'content_id', '_igny8_content_id', postSummary),
  lookupRoute('post_by_task_id', 'task_id', '_igny8_task_id', postSummary),
  lookupRoute('post_status', 'content_id', '_igny8_content_id', postStatus),
];
