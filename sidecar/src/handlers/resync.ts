/**
 * Resync everything (issue #14 §3, §5), both `manage_options`:
 * - `POST /settings/resync` `{restart?, batch?}` → continues the pass by one batch: asks WordPress for the managed
 *   posts after the cursor (`list_managed`, an execute round of this request: the sidecar never calls WordPress while
 *   PHP waits) and records them in the queue (sync/resync.ts), then answers the progress. A finished pass answers
 *   its progress unchanged unless `restart` is true. `wp igny8 resync --all` and the settings button loop on it.
 * - `GET /settings/resync` → the progress.
 */
import { z } from 'zod';

import { AppError } from '../contract/errors.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { opFailure } from '../protocol/messages.ts';
import { ListManagedResult, RESYNC_BATCH_DEFAULT, RESYNC_BATCH_MAX, type ResyncProgress } from '../sync/resync.ts';
import type { SyncPort } from '../sync/ports.ts';

const ResyncInput = z.object({
  restart: z.boolean().optional(),
  batch: z.int().min(1).max(RESYNC_BATCH_MAX).optional(),
});

const ResyncRound = z.object({ pass: z.int().positive(), after_id: z.int().nonnegative() });

function message(progress: ResyncProgress): string {
  if (progress.state === 'done') {
    return `Resync pass ${progress.pass} done: ${progress.processed} managed post${progress.processed === 1 ? '' : 's'}, ${progress.enqueued} queued for delivery.`;
  }
  if (progress.state === 'idle') {
    return 'No resync has run yet.';
  }
  return `Resync pass ${progress.pass}: ${progress.processed} of ${progress.total ?? '?'} managed posts.`;
}

export function createResyncRoutes(sync: Pick<SyncPort, 'resync'>): RouteHandler[] {
  const job = () => {
    if (sync.resync === undefined) {
      throw new AppError('ROUTE_NOT_FOUND', 'This sidecar has no sync queue.');
    }
    return sync.resync;
  };

  const run: RouteHandler = {
    id: 'settings_resync',
    async start({ ctx, body }) {
      const input = ResyncInput.safeParse(body ?? {});
      if (!input.success) {
        const issue = input.error.issues[0];
        throw new AppError('VALIDATION_FAILED', `Invalid value: ${issue?.message ?? 'invalid'}.`, { field: String(issue?.path[0] ?? 'body') });
      }
      const resync = job();
      const { pass, started } = resync.begin(input.data.restart === true);
      if (pass.state === 'done') {
        const progress = await resync.progress();
        return respond(200, successEnvelope(ctx.request_id, { ...progress, started, already_done: true }, `${message(progress)} Nothing more to do; restart for a new pass.`));
      }
      return execute([{ op: 'list_managed', limit: input.data.batch ?? RESYNC_BATCH_DEFAULT, after_id: pass.cursor }], {
        pass: pass.pass,
        after_id: pass.cursor,
        started,
      });
    },
    async resume({ ctx }, state, [result]) {
      const round = ResyncRound.safeParse(state);
      if (!round.success) {
        throw new AppError('INTERNAL_ERROR', 'The resync round lost its state.');
      }
      const failure = opFailure(result);
      if (failure !== undefined) {
        throw new AppError('OPERATION_FAILED', `Listing the managed posts failed: ${failure.error.message}`);
      }
      const page = ListManagedResult.safeParse(result);
      if (!page.success) {
        throw new AppError('OPERATION_FAILED', 'list_managed returned an unexpected shape.');
      }
      const resync = job();
      await resync.apply(round.data.pass, round.data.after_id, page.data);
      const progress = await resync.progress();
      return respond(200, successEnvelope(ctx.request_id, { ...progress, started: state.started === true }, message(progress)));
    },
  };

  const status: RouteHandler = {
    id: 'settings_resync_status',
    async start({ ctx }) {
      const progress = await job().progress();
      return respond(200, successEnvelope(ctx.request_id, progress, message(progress)));
    },
  };

  return [run, status];
}
