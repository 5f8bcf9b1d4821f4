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
  /** Only while a WordPress edit waits for IGNY8 (contract meta.local_edits): the stored content and excerpt. */
  content: z.string().optional(),
  excerpt: z.string().optional(),
  meta: phpObject(z.record(z.string(), z.unknown())),
  terms: phpObject(z.record(z.string(), z.array(Term))),
});
export type ManagedPost = z.infer<typeof ManagedPost>;

const FindPostsResult = z.object({ ok: z.literal(true), posts: z.array(ManagedPost) });

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

/**
 * The post of an id when several carry it (a copy, a re-used task): the contract's `meta.content_id_rule`, the same
 * rule publish uses to choose the post it writes to: a non-trashed one before a trashed one, then the oldest
 * (lowest post id).
 */
export function pickPost(posts: readonly ManagedPost[]): ManagedPost | undefined {
  return [...posts].sort((a, b) => Number(a.status === 'trash') - Number(b.status === 'trash') || a.id - b.id)[0];
}

export interface LookupWarning {
  code: 'DUPLICATE_CONTENT_ID';
  message: string;
  field: string;
}

/** The warning publish gives too, when other non-trashed posts carry the id of the chosen one. */
export function duplicateWarnings(posts: readonly ManagedPost[], chosen: ManagedPost, field: string): LookupWarning[] {
  const others = posts.filter((post) => post.id !== chosen.id && post.status !== 'trash').map((post) => post.id);
  if (others.length === 0) {
    return [];
  }
  return [
    {
      code: 'DUPLICATE_CONTENT_ID',
      message: `Several posts carry this ${field} (${[chosen.id, ...others].join(', ')}); post ${chosen.id} is the one IGNY8 publishes to.`,
      field,
    },
  ];
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
