/**
 * `GET /activity` (manage_options): a page of the activity log, newest first, for Tools → IGNY8 Activity and
 * `wp igny8 log`. Filters: post_id, outcome, kind, direction; `search` = a content id or a request id; `since` =
 * an ISO time or epoch seconds. Paging: `page`, or `before_id` = the previous page's `next_before_id` (keyset). `format=csv` answers `data.csv` (the filtered rows, newest first, at most
 * `activity.export_max_rows`) instead of `data.rows`.
 */
import { z } from 'zod';

import { activityCsv, type ActivityPage, type ActivityQuery } from '../adapters/activity-log.ts';
import { contract } from '../contract/contract.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';
import { respond, type RouteHandler } from '../protocol/conversation.ts';

/** Port: what the route reads (the ActivityLog implements it). */
export interface ActivityReader {
  query(query: ActivityQuery): ActivityPage | Promise<ActivityPage>;
}

const { activity } = contract;
const positive = z.coerce.number().int().positive();
const filter = z.string().trim().max(64).optional().transform((v) => (v === '' ? undefined : v));

const ActivityParams = z.object({
  page: positive.max(1_000_000).optional(),
  /** Keyset paging: the previous page's `next_before_id` (then `page` is not used). */
  before_id: positive.optional(),
  per_page: positive.max(activity.page_size_max).optional(),
  post_id: positive.optional(),
  outcome: filter.pipe(z.enum(Object.keys(activity.outcomes) as [string, ...string[]]).optional()),
  kind: filter.pipe(z.enum([...new Set([...Object.values(activity.inbound_routes), ...activity.outbound_kinds])] as [string, ...string[]]).optional()),
  direction: filter.pipe(z.enum(['in', 'out']).optional()),
  search: filter,
  since: filter,
  format: filter.pipe(z.enum(['json', 'csv']).optional()),
});

/** `since`: an ISO 8601 time, or epoch seconds. */
function sinceMs(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new AppError('VALIDATION_FAILED', 'since must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch seconds.', { field: 'since' });
  }
  return ms;
}

export function createActivityRoute(reader: ActivityReader | undefined): RouteHandler {
  return {
    id: 'activity_list',
    async start({ ctx, query }) {
      const parsed = ActivityParams.safeParse(query);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || 'query';
        throw new AppError('VALIDATION_FAILED', `Invalid ${field}: ${issue?.message ?? 'invalid'}.`, { field });
      }
      const params = parsed.data;
      const filters: ActivityQuery = {
        ...(params.post_id === undefined ? {} : { postId: params.post_id }),
        ...(params.outcome === undefined ? {} : { outcome: params.outcome }),
        ...(params.kind === undefined ? {} : { kind: params.kind }),
        ...(params.direction === undefined ? {} : { direction: params.direction as 'in' | 'out' }),
        ...(params.search === undefined ? {} : { search: params.search }),
        ...(sinceMs(params.since) === undefined ? {} : { since: sinceMs(params.since) as number }),
      };
      const empty: ActivityPage = { rows: [], total: 0, page: 1, per_page: params.per_page ?? 50, pages: 1, next_before_id: null };
      if (params.format === 'csv') {
        const page = (await reader?.query({ ...filters, perPage: activity.export_max_rows })) ?? empty;
        return respond(200, successEnvelope(ctx.request_id, { csv: activityCsv(page.rows), rows: page.rows.length, total: page.total }));
      }
      const paging = params.before_id === undefined ? { page: params.page ?? 1 } : { beforeId: params.before_id };
      const page = (await reader?.query({ ...filters, ...paging, perPage: params.per_page ?? 50 })) ?? empty;
      return respond(200, successEnvelope(ctx.request_id, { ...page, outcomes: activity.outcomes }));
    },
  };
}
