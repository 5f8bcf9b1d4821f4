/**
 * The task brief (issue #13 §5): `GET /api/v1/writer/tasks/{task_id}/brief/` after IGNY8's publish of a post with a
 * task and on "Refresh brief" in the sidebar. The sidecar reads it from IGNY8 (never from WordPress while PHP waits)
 * and caches it in the post's `_igny8_task_brief` / `_igny8_brief_cached_at` through the internal `write_sync_meta`
 * op. IGNY8 owns the brief's shape (outline, target keywords, notes…): it is kept as JSON, bounded here, and the
 * sidebar shows whatever fields it holds as text.
 */
import { igny8Meta } from '../contract/contract.ts';
import type { InternalOp } from '../adapters/wp-internal-client.ts';

/** The cap of the stored JSON (the contract's write_sync_meta value maxLength is 32768). */
export const MAX_BRIEF_CHARS = 30_000;
const MAX_STRING = 8_000;
const MAX_ITEMS = 200;
const MAX_DEPTH = 6;

/** A JSON value cut to bounded strings, lists and depth (what the sidebar can show); undefined for nothing. */
export function boundBrief(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  if (typeof value === 'string') {
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING - 1)}…` : value;
  }
  if (depth >= MAX_DEPTH) {
    return undefined;
  }
  if (Array.isArray(value)) {
    return value.slice(0, MAX_ITEMS).map((item) => boundBrief(item, depth + 1) ?? null);
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>).slice(0, MAX_ITEMS)) {
      const bounded = boundBrief(item, depth + 1);
      if (bounded !== undefined) {
        out[key.slice(0, 200)] = bounded;
      }
    }
    return out;
  }
  return undefined;
}

/** The stored JSON of a brief, or undefined when even the bounded brief is over the cap. */
export function briefJson(brief: unknown): string | undefined {
  const json = JSON.stringify(boundBrief(brief) ?? null);
  return json.length <= MAX_BRIEF_CHARS ? json : undefined;
}

/** The write of a brief read at `cachedAt` to the post's meta. */
export function briefWriteOp(postId: number, json: string, cachedAt: Date): InternalOp {
  return { op: 'write_sync_meta', post_id: postId, meta: { [igny8Meta.task_brief]: json, [igny8Meta.brief_cached_at]: cachedAt.toISOString() } };
}

/** The job payload of a brief fetch. */
export interface BriefJobPayload {
  post_id: number;
  task_id: number;
}
