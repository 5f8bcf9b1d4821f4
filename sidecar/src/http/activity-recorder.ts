/**
 * Logs every IGNY8 call in (contract `activity.inbound_routes`) when its final reply is written: route, content id,
 * post, outcome and code, duration since the conversation started (carried across rounds in the signed state) and
 * the request id. Only ids and codes are read from the reply; never a body, header or token.
 */
import { contract } from '../contract/contract.ts';
import type { ActivitySink } from '../adapters/activity-log.ts';
import type { ReplyWriter } from './signed-reply.ts';

const inbound: Readonly<Record<string, string>> = contract.activity.inbound_routes;

const idText = (value: unknown): string | null =>
  (typeof value === 'string' && value !== '' && value.length <= 64) || typeof value === 'number' ? String(value) : null;

export function recordingReplies(writeReply: ReplyWriter, activity: ActivitySink, clock: () => number): ReplyWriter {
  return async (res, reply, auth) => {
    await writeReply(res, reply, auth);
    const ctx = res.locals.shimContext;
    const kind = ctx === undefined ? undefined : inbound[ctx.route_id];
    if (reply.kind !== 'respond' || ctx === undefined || kind === undefined) {
      return;
    }
    const body = reply.body as Record<string, unknown>;
    const data = (typeof body.data === 'object' && body.data !== null ? body.data : {}) as Record<string, unknown>;
    const postId = typeof data.post_id === 'number' && Number.isInteger(data.post_id) ? data.post_id : null;
    const started = res.locals.conversationStartedAt ?? res.locals.receivedAt ?? clock();
    activity.record({
      direction: 'in',
      kind,
      route: ctx.route_id,
      contentId: idText(ctx.params.content_id) ?? idText(data.content_id) ?? res.locals.activityContentId ?? null,
      postId,
      outcome: body.success === true ? 'ok' : 'error',
      code: typeof body.code === 'string' ? body.code : null,
      httpStatus: reply.status,
      durationMs: Math.max(0, clock() - started),
      requestId: ctx.request_id,
    });
  };
}

/** The content id a publish body names (first exchange only), for rows of calls refused before a post exists. */
export function contentIdOfBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  return idText((body as Record<string, unknown>).content_id) ?? undefined;
}
