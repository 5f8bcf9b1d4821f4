/**
 * The lookup routes IGNY8 uses to find what it published (SPEC §4):
 * `GET /post-by-content-id/{id}`, `GET /post-by-task-id/{id}`, `GET /post-status/{content_id}`.
 * Each takes one exchange: PHP runs the route's `find_posts` read (contract `reads`) before calling us, and only
 * ever returns IGNY8-managed posts. The post of an id is the one publish writes to (`pickPost`); when several posts
 * share the id, the answer names the others in a DUPLICATE_CONTENT_ID warning.
 */
import { igny8Meta } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { duplicateWarnings, metaInt, metaString, pickPost, postsFrom, routeId, type ManagedPost } from '../mapping/managed-post.ts';
import { activeStatusMap, wpToIgny8 } from '../mapping/status-map.ts';

type Shape = (post: ManagedPost, settings: Record<string, unknown>) => Record<string, unknown>;

function lookupRoute(id: string, param: string, shape: Shape): RouteHandler {
  return {
    id,
    start({ ctx, params, reads: [read] }) {
      const value = routeId(params, param);
      const posts = postsFrom(read);
      const post = pickPost(posts);
      if (post === undefined) {
        throw new AppError('POST_NOT_FOUND', `No IGNY8-managed post has ${param} ${value}.`, { field: param });
      }
      return respond(200, successEnvelope(ctx.request_id, { ...shape(post, ctx.settings), warnings: duplicateWarnings(posts, post, param) }));
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
  content_id: metaInt(post, igny8Meta.content_id),
  task_id: metaInt(post, igny8Meta.task_id),
  last_synced: metaString(post, igny8Meta.last_synced),
});

const postStatus: Shape = (post, settings) => {
  const map = activeStatusMap(settings);
  return {
    post_id: post.id,
    wordpress_status: post.status,
    igny8_status: wpToIgny8(map, post.status),
    status_mapping: map.wpToIgny8,
    content_id: metaInt(post, igny8Meta.content_id),
    url: post.url,
    last_synced: metaString(post, igny8Meta.last_synced),
  };
};

export const createLookupRoutes = (): RouteHandler[] => [
  lookupRoute('post_by_content_id', 'content_id', postSummary),
  lookupRoute('post_by_task_id', 'task_id', postSummary),
  lookupRoute('post_status', 'content_id', postStatus),
];
