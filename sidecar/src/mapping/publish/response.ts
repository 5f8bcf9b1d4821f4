/**
 * The publish response IGNY8 reads (SPEC §5, as the status-sync document defines it), from the result of the
 * `upsert_post` operation.
 */
import { z } from 'zod';

import { siteTime, type SiteClock } from '../site-time.ts';
import { wpToIgny8, type StatusMap } from '../status-map.ts';
import type { PublishWarning } from './payload.ts';
import { OverwrittenEdits, overwrittenWarning } from '../local-edits.ts';

const Ids = z.array(z.int().positive());

export const UpsertPostResult = z.object({
  ok: z.literal(true),
  post_id: z.int().positive(),
  created: z.boolean(),
  post_type: z.string(),
  post_status: z.string(),
  permalink: z.string(),
  term_ids: z.object({
    category: Ids.default([]),
    post_tag: Ids.default([]),
    igny8_clusters: Ids.default([]),
    igny8_sectors: Ids.default([]),
  }),
  featured_image_id: z.int().positive().nullable().default(null),
  gallery_ids: Ids.default([]),
  warnings: z.array(z.looseObject({ code: z.string(), message: z.string(), field: z.string().optional() })).default([]),
  local_edits: OverwrittenEdits.optional(),
});
export type UpsertPostResult = z.infer<typeof UpsertPostResult>;

/** What the response needs from the request, carried from the first round to the second. */
export const PublishSummary = z.object({
  contentId: z.int().positive(),
  taskId: z.int().positive().nullable(),
  contentType: z.string(),
  /** The payload's keyword ids (the task update after publish sends them to the keyword bulk update). */
  keywordIds: z.array(z.int().positive()).optional(),
  warnings: z.array(z.object({ code: z.string(), message: z.string(), field: z.string().optional() })),
});
export type PublishSummary = z.infer<typeof PublishSummary>;

export interface PublishResponse {
  httpStatus: 200 | 201;
  data: {
    assigned_post_id: number;
    post_id: number;
    post_url: string;
    wordpress_status: string;
    post_status: string;
    status: string;
    synced_at: string;
    post_type: string;
    content_type: string;
    content_id: number;
    task_id: number | null;
    term_ids: UpsertPostResult['term_ids'];
    featured_image_id: number | null;
    gallery_image_ids: number[];
    warnings: PublishWarning[];
  };
}

/** PHP names op arguments (`gallery.2`); IGNY8 should see the field it sent (`gallery_images.2`). */
function inPayloadTerms(warning: PublishWarning): PublishWarning {
  const field = warning.field?.replace(/^gallery(?=\.|$)/, 'gallery_images');
  return field === undefined ? warning : { ...warning, field };
}

export function shapePublishResponse(
  result: UpsertPostResult,
  summary: PublishSummary,
  statusMap: StatusMap,
  clock: SiteClock,
  now: Date,
): PublishResponse {
  return {
    httpStatus: result.created ? 201 : 200,
    data: {
      assigned_post_id: result.post_id,
      post_id: result.post_id,
      post_url: result.permalink,
      wordpress_status: result.post_status,
      // The backend reads data.post_status: it repeats wordpress_status on purpose.
      post_status: result.post_status,
      status: wpToIgny8(statusMap, result.post_status),
      synced_at: siteTime(clock, now),
      post_type: result.post_type,
      content_type: summary.contentType,
      content_id: summary.contentId,
      task_id: summary.taskId,
      term_ids: result.term_ids,
      featured_image_id: result.featured_image_id,
      gallery_image_ids: result.gallery_ids,
      warnings: [
        ...summary.warnings,
        ...result.warnings.map(inPayloadTerms),
        ...(result.local_edits === undefined ? [] : [overwrittenWarning(result.local_edits)]),
      ],
    },
  };
}
