/**
 * `POST /publish-content/` (alias `/publish`): validate → plan → [one `import_images` round when content_html has
 * images] → one `upsert_post` round in PHP → response. Both rounds run in the same WordPress request: the images
 * are fetched before the write transaction, and the plan that writes the post points at the local attachments.
 */
import { z } from 'zod';

import { AppError } from '../contract/errors.ts';
import { opFailure } from '../protocol/messages.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { activeStatusMap } from '../mapping/status-map.ts';
import { bodyImageWarnings, collectBodyImages, type ImportedImage } from '../mapping/publish/body-images.ts';
import { stripDangerousElements } from '../mapping/html.ts';
import { localEditsRefusal, republishPolicy } from '../mapping/local-edits.ts';
import { parsePublishPayload, type ImageRef, type PublishWarning } from '../mapping/publish/payload.ts';
import { planPublish, type PublishContext } from '../mapping/publish/plan.ts';
import { PublishSummary, shapePublishResponse, UpsertPostResult } from '../mapping/publish/response.ts';
import { JsonObject, type ShimContext } from '../protocol/messages.ts';
import type { SyncPort } from '../sync/ports.ts';

const ImportImagesResult = z.object({
  ok: z.literal(true),
  images: z.array(
    z.union([
      z.object({ url: z.string(), attachment_id: z.int().positive(), src: z.string(), reused: z.boolean() }),
      z.object({ url: z.string(), warning: z.object({ code: z.string(), message: z.string() }) }),
    ]),
  ),
});

/** State of the images round: the IGNY8 body, planned again with the imported images. */
const ImagesState = z.object({ phase: z.literal('images'), body: JsonObject });

function publishContext(ctx: ShimContext, now: Date): PublishContext {
  const allowed = ctx.settings.igny8_allowed_post_types;
  const defaultStatus = ctx.settings.igny8_default_post_status;
  return {
    contentFormat: ctx.settings.igny8_content_format === 'html' ? 'html' : 'blocks',
    wpVersion: ctx.site.wp_version,
    allowedPostTypes: Array.isArray(allowed) ? allowed.filter((t): t is string => typeof t === 'string') : ['post', 'page'],
    defaultStatus: typeof defaultStatus === 'string' ? defaultStatus : 'draft',
    statusMap: activeStatusMap(ctx.settings),
    woocommerceActive: ctx.facts.woocommerce,
    republishPolicy: republishPolicy(ctx.settings),
    clock: { timezone: ctx.site.timezone, gmtOffsetHours: ctx.site.gmt_offset },
    now,
  };
}

/**
 * `sync` gets IGNY8's own publish: a republish supersedes a WordPress edit still queued for IGNY8 (it is older than
 * what IGNY8 just wrote). Of a post with a task: the shim records nothing inside the publish (Sync_Guard),
 * so the task update of the original's step 6 (`PUT /writer/tasks/{id}/` with the post id, URL and status) is queued
 * here, once, on the durable queue. It is a status report: nothing in it publishes again.
 */
export function createPublishRoute(clock: () => Date = () => new Date(), sync?: Pick<SyncPort, 'recordPublished' | 'supersedeContent'>): RouteHandler {
  return {
    id: 'publish_content',
    start({ ctx, body }) {
      if (body === undefined) {
        throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object with content_id, title and content_html.');
      }
      const req = parsePublishPayload(body);
      // Planned once without images: a request that cannot be written is refused before anything is fetched.
      const plan = planPublish(req, publishContext(ctx, clock()));
      const { images } = collectBodyImages(stripDangerousElements(req.html));
      if (images.length > 0) {
        return execute([{ op: 'import_images', images }], { phase: 'images', body: JsonObject.parse(body) });
      }
      return write(req, plan.op, plan.warnings);
    },
    async resume({ ctx }, state, [result]) {
      const images = ImagesState.safeParse(state);
      if (images.success) {
        const req = parsePublishPayload(images.data.body);
        const body = collectBodyImages(stripDangerousElements(req.html));
        const imported = importedImages(result, body.images);
        const plan = planPublish(req, publishContext(ctx, clock()), imported);
        return write(req, plan.op, [...plan.warnings, ...body.warnings, ...bodyImageWarnings(imported)]);
      }
      const failure = opFailure(result);
      if (failure !== undefined) {
        const refusal = localEditsRefusal(failure);
        if (refusal !== undefined) {
          throw refusal;
        }
        const code = failure.error.code === 'CONFLICT' ? 'CONFLICT' : 'OPERATION_FAILED';
        throw new AppError(code, `WordPress could not save the post: ${failure.error.message}`);
      }
      const parsed = UpsertPostResult.safeParse(result);
      if (!parsed.success) {
        throw new AppError('OPERATION_FAILED', 'upsert_post returned an unexpected shape.');
      }
      const summary = PublishSummary.parse(state.summary);
      const now = clock();
      const context = publishContext(ctx, now);
      const response = shapePublishResponse(parsed.data, summary, context.statusMap, context.clock, now);
      if (!parsed.data.created) {
        // IGNY8's content is now the post's: a WordPress edit still queued for IGNY8 is older and is never sent.
        await sync?.supersedeContent?.(parsed.data.post_id);
      }
      if (summary.taskId !== null) {
        await sync?.recordPublished?.({
          post_id: parsed.data.post_id,
          wordpress_status: parsed.data.post_status,
          post_url: parsed.data.permalink,
          post_type: parsed.data.post_type,
          title: '',
          content_id: summary.contentId,
          task_id: summary.taskId,
          keyword_ids: summary.keywordIds ?? [],
        });
      }
      const message = parsed.data.created ? 'Post created.' : 'Post updated.';
      return respond(response.httpStatus, successEnvelope(ctx.request_id, response.data, message));
    },
  };
}

/** The `upsert_post` round; what the response needs travels in the state (signed both ways), not the whole payload. */
function write(req: ReturnType<typeof parsePublishPayload>, op: ReturnType<typeof planPublish>['op'], warnings: PublishWarning[]) {
  const summary: PublishSummary = {
    contentId: req.contentId,
    taskId: req.taskId ?? null,
    contentType: req.contentType,
    keywordIds: req.keywordIds ?? [],
    warnings,
  };
  return execute([op], { summary });
}

/** What `import_images` answered; a failed or malformed op leaves every image remote, with a warning each. */
function importedImages(result: unknown, sent: readonly ImageRef[]): ImportedImage[] {
  const parsed = ImportImagesResult.safeParse(result);
  if (parsed.success) {
    return parsed.data.images;
  }
  return sent.map(({ url }) => ({ url, warning: { code: 'IMAGE_FAILED', message: 'WordPress could not import the images of this request.' } }));
}
