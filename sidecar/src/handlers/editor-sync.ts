/**
 * The editor's sync routes (SPEC §7 sidebar) and "Sync all pending" (settings):
 * - `GET  /editor/posts/{post_id}/sync` → the post's sync state (from the queue; when the queue does not know the
 *   post, from its marker and last sync as the route's contract read found them);
 * - `POST /editor/posts/{post_id}/sync` → Sync now: the contract read is a fresh snapshot; enqueue it (delivered
 *   even when nothing changed) and answer the same shape;
 * Both routes take one exchange: PHP runs their `find_posts` read (contract `reads`) before calling us.
 * - `POST /settings/sync-all-pending` → release every change held by manual sync mode;
 * - `POST /settings/sync-failed` → deliver every failed or dead post again (`wp igny8 sync --failed`);
 * - `POST /settings/sync-structure` → "Sync site structure": one `site_info` round (no re-entry), then the push is
 *   enqueued on the durable queue (retried while IGNY8 is down) and the answer says so.
 * The shim authorised the caller already (`edit_post` on that post / `manage_options`).
 */
import { igny8Meta } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { opFailure, SiteInfoResult } from '../protocol/messages.ts';
import { toSiteMetadata } from './site-metadata.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { metaString, pickPost, postsFrom, routeId, type ManagedPost } from '../mapping/managed-post.ts';
import type { SyncPort, SyncStateView } from '../sync/ports.ts';
import { snapshotFromPost } from '../sync/snapshot.ts';

/** WordPress stores `_igny8_last_synced` in site time; the API answers ISO 8601 (UTC). */
function siteTimeToIso(value: string | null, gmtOffsetHours: number): string | null {
  const match = value === null ? null : /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (match === null) {
    return null;
  }
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s) - gmtOffsetHours * 3_600_000).toISOString();
}

function stateFromPost(post: ManagedPost, syncMode: 'auto' | 'manual', gmtOffsetHours: number): SyncStateView {
  const lastSynced = siteTimeToIso(metaString(post, igny8Meta.last_synced), gmtOffsetHours);
  const mirrored = metaString(post, igny8Meta.sync_state);
  return {
    post_id: post.id,
    state: mirrored === 'failed' ? 'failed' : lastSynced !== null ? 'synced' : 'never',
    attempts: 0,
    last_error: mirrored === 'failed' ? metaString(post, igny8Meta.sync_error) : null,
    next_retry_at: null,
    last_synced_at: lastSynced,
    updated_at: null,
    sync_mode: syncMode,
  };
}

function postFrom(result: unknown, postId: number): ManagedPost | undefined {
  return pickPost(postsFrom(result).filter((post) => post.id === postId));
}

export function createSyncRoutes(sync: SyncPort): RouteHandler[] {
  const state: RouteHandler = {
    id: 'editor_sync_state',
    async start({ ctx, params, reads: [read] }) {
      const postId = Number(routeId(params, 'post_id'));
      const known = await sync.state(postId);
      if (known !== undefined) {
        return respond(200, successEnvelope(ctx.request_id, known));
      }
      const post = postFrom(read, postId);
      if (post === undefined) {
        throw new AppError('POST_NOT_FOUND', 'This post is not managed by IGNY8.', { field: 'post_id' });
      }
      const { snapshot, marker } = snapshotFromPost(post);
      if (marker !== undefined) {
        // A change WordPress recorded that the queue does not know yet (the sidecar was down): enqueue it now.
        await sync.notice({ ...snapshot, seq: marker });
        const view = await sync.state(postId);
        if (view !== undefined) {
          return respond(200, successEnvelope(ctx.request_id, view));
        }
      }
      return respond(200, successEnvelope(ctx.request_id, stateFromPost(post, sync.syncMode(), ctx.site.gmt_offset)));
    },
  };

  const now: RouteHandler = {
    id: 'editor_sync_now',
    async start({ ctx, params, reads: [read] }) {
      const postId = Number(routeId(params, 'post_id'));
      const post = postFrom(read, postId);
      if (post === undefined) {
        // WordPress cannot read it for us (e.g. a post IGNY8 knows by task id only): resend what the queue has.
        const view = await sync.retryStored(postId);
        if (view === undefined) {
          throw new AppError('POST_NOT_FOUND', 'This post is not managed by IGNY8.', { field: 'post_id' });
        }
        return respond(200, successEnvelope(ctx.request_id, view, 'Sync queued.'));
      }
      const { snapshot, marker } = snapshotFromPost(post);
      return respond(200, successEnvelope(ctx.request_id, await sync.syncNow(snapshot, marker), 'Sync queued.'));
    },
  };

  const syncAll: RouteHandler = {
    id: 'settings_sync_all',
    async start({ ctx }) {
      const released = await sync.releaseAllPending();
      return respond(200, successEnvelope(ctx.request_id, { released }, `${released} pending change${released === 1 ? '' : 's'} released.`));
    },
  };

  const syncFailed: RouteHandler = {
    id: 'settings_sync_failed',
    async start({ ctx }) {
      const postIds = await sync.retryFailed();
      const n = postIds.length;
      return respond(200, successEnvelope(ctx.request_id, { retried: n, post_ids: postIds }, `${n} failed post${n === 1 ? '' : 's'} queued again.`));
    },
  };

  const syncStructure: RouteHandler = {
    id: 'settings_sync_structure',
    start() {
      if (sync.syncStructure === undefined) {
        throw new AppError('ROUTE_NOT_FOUND', 'This sidecar has no sync queue.');
      }
      return execute([{ op: 'site_info' }]);
    },
    async resume({ ctx }, _state, [result]) {
      const failure = opFailure(result);
      if (failure !== undefined) {
        throw new AppError('OPERATION_FAILED', `Reading site information failed: ${failure.error.message}`);
      }
      const parsed = SiteInfoResult.safeParse(result);
      if (!parsed.success || sync.syncStructure === undefined) {
        throw new AppError('OPERATION_FAILED', 'site_info returned an unexpected shape.');
      }
      const queued = await sync.syncStructure(toSiteMetadata(parsed.data));
      const status = await sync.structureStatus?.();
      return respond(200, successEnvelope(ctx.request_id, { queued: true, ...queued, ...(status ?? {}) }, 'Site structure sync queued.'));
    },
  };

  return [state, now, syncAll, syncFailed, syncStructure];
}
