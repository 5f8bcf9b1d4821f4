/**
 * `POST /publish-content/` (alias `/publish`): validate → plan → one `upsert_post` round in PHP → response.
 */
import { AppError } from '../contract/errors.ts';
import { opFailure } from '../protocol/messages.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { activeStatusMap } from '../mapping/status-map.ts';
import { parsePublishPayload } from '../mapping/publish/payload.ts';
import { planPublish, type PublishContext } from '../mapping/publish/plan.ts';
import { PublishSummary, shapePublishResponse, UpsertPostResult } from '../mapping/publish/response.ts';
import type { ShimContext } from '../protocol/messages.ts';

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
    clock: { timezone: ctx.site.timezone, gmtOffsetHours: ctx.site.gmt_offset },
    now,
  };
}

export function createPublishRoute(clock: () => Date = () => new Date()): RouteHandler {
  return {
    id: 'publish_content',
    start({ ctx, body }) {
      if (body === undefined) {
        throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object with content_id, title and content_html.');
      }
      const req = parsePublishPayload(body);
      const plan = planPublish(req, publishContext(ctx, clock()));
      // What the response needs travels in the state (signed both ways), not the whole payload.
      const summary: PublishSummary = {
        contentId: req.contentId,
        taskId: req.taskId ?? null,
        contentType: req.contentType,
        warnings: plan.warnings,
      };
      return execute([plan.op], { summary });
    },
    resume({ ctx }, state, [result]) {
      const failure = opFailure(result);
      if (failure !== undefined) {
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
      const message = parsed.data.created ? 'Post created.' : 'Post updated.';
      return respond(response.httpStatus, successEnvelope(ctx.request_id, response.data, message));
    },
  };
}
