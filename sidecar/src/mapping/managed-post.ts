/**
 * A managed post as the shim's `find_posts` operation reads it (architecture.md §4), and the lookups over it.
 */
import { z } from 'zod';

import { AppError } from '../contract/errors.ts';
import { opFailure, phpInt, phpObject } from '../protocol/messages.ts';

const Term = z.looseObject({ id: phpInt, name: z.string(), slug: z.string().optional() });

export const ManagedPost = z.object({
  id: phpInt,
  post_type: z.string(),
  status: z.string(),
  title: z.string(),
  url: z.string(),
  date_gmt: z.string().nullable().optional(),
  modified_gmt: z.string().nullable().optional(),
  meta: phpObject(z.record(z.string(), z.unknown())),
  terms: phpObject(z.record(z.string(), z.array(Term))),
});
export type ManagedPost = z.infer<typeof ManagedPost>;

const FindPostsResult = z.object({ ok: z.literal(true), posts: z.array(ManagedPost) });

export const findPostsOp = (metaKey: string, metaValue: string, limit = 10) =>
  ({ op: 'find_posts', meta_key: metaKey, meta_value: metaValue, limit }) as const;

/** The posts of a `find_posts` result; a failed or malformed result is the shim's fault (502). */
export function postsFrom(result: unknown): ManagedPost[] {
  const failure = opFailure(result);
  if (failure !== undefined) {
    throw new AppError('OPERATION_FAILED', `Looking up the post failed: ${failure.error.message}`);
  }
  const parsed = FindPostsResult.safeParse(result);
  if (!parsed.success) {
    throw new AppError('OPERATION_FAILED', 'find_posts returned an unexpected shape.');
  }
  return parsed.data.posts;
}

/** Several posts can carry one id (a trashed copy, a task re-used): prefer a live one, then the newest. */
export function pickPost(posts: ManagedPost[]): ManagedPost | undefined {
  return [...posts].sort((a, b) => Number(a.status === 'trash') - Number(b.status === 'trash') || b.id - a.id)[0];
}

export function metaString(post: ManagedPost, key: string): string | null {
  const value = post.meta[key];
  if (Array.isArray(value)) {
    return value.length ? String(value[0]) : null;
  }
  return value === undefined || value === null || value === '' ? null : String(value);
}

export function metaInt(post: ManagedPost, key: string): number | null {
  const value = metaString(post, key);
  return value !== null && /^\d{1,15}$/.test(value) ? Number(value) : null;
}

/** Route ids arrive as raw path segments: only a positive integer is an id (no traversal, no SQL-ish text). */
export function routeId(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name] ?? '';
  if (!/^[1-9]\d{0,15}$/.test(value)) {
    throw new AppError('INVALID_ID', `${name} must be a positive integer.`, { field: name });
  }
  return value;
}
