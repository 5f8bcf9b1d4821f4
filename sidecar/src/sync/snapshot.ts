/**
 * The sync snapshot: what the sidecar keeps of a changed post, mapped here from what WordPress reports (a sync event
 * of the shutdown notify or `list_pending`, or a `find_posts` read for "Sync now": both are the raw post), and what
 * it turns into IGNY8's payloads. `seq` is the pending marker:
 * a decimal string that only grows per post, compared as a big integer.
 */
import { z } from 'zod';

import { contract, igny8Meta } from '../contract/contract.ts';
import { phpInt } from '../protocol/messages.ts';
import { ManagedPost, metaInt, metaString } from '../mapping/managed-post.ts';

const SEQ = /^\d{1,19}$/;

export const Seq = z.union([z.string().regex(SEQ), z.int().nonnegative().transform(String)]);

const optionalId = z
  .union([phpInt, z.null(), z.literal('')])
  .optional()
  .transform((value) => (typeof value === 'number' && value > 0 ? value : null));

const LocalContent = z.object({
  title: z.string(),
  /** The stored post content (block delimiters included). */
  html: z.string(),
  excerpt: z.string(),
  /** The post's `post_modified_gmt` (`Y-m-d H:i:s`). */
  modified_gmt: z.string().nullable(),
});

export const SyncSnapshot = z.object({
  post_id: phpInt.pipe(z.int().positive()),
  seq: Seq,
  wordpress_status: z.string().min(1).max(40),
  post_url: z.string().max(4096).nullable().optional().transform((v) => v ?? null),
  post_type: z.string().min(1).max(40),
  title: z.string().max(2000).optional().catch('').transform((v) => v ?? ''),
  content_id: optionalId,
  task_id: optionalId,
  keyword_ids: z
    .array(phpInt)
    .max(2000)
    .optional()
    .catch([])
    .transform((ids) => (ids ?? []).filter((id) => id > 0)),
  /** A WordPress edit waiting for IGNY8 (issue #13 §4): the post's fields as stored when the event was read. */
  content: LocalContent.nullish().catch(null),
  /**
   * Set by the sidecar only: IGNY8 republished the post while a WordPress edit was queued, so the edit was dropped
   * from this snapshot (SyncService.supersedeContent). PHP's events never carry it.
   */
  content_superseded: z.literal(true).optional().catch(undefined),
});
export type SyncSnapshot = z.infer<typeof SyncSnapshot>;

export const EventsBody = z.object({ events: z.array(z.unknown()).max(1000) });

export const DELETED_STATUS: string = contract.sync.deleted_status;

/** Orders two seq values (decimal strings of up to 19 digits). */
export function compareSeq(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxSeq(a: string, b: string): string {
  return compareSeq(a, b) >= 0 ? a : b;
}

/** A seq on the shim's scale (microseconds since the epoch × 1000 + a random tail), for changes the sidecar records. */
export function timeSeq(nowMs: number, random: () => number = Math.random): string {
  return (BigInt(Math.floor(nowMs)) * 1_000_000n + BigInt(Math.floor(random() * 1_000_000))).toString();
}

/** A seq one above `seq` (Sync now without a new WordPress change). */
export function nextSeq(seq: string): string {
  return (BigInt(seq) + 1n).toString();
}

/**
 * A post's sync event as PHP sends it (the shutdown notify, `list_pending`): the post exactly as `find_posts` reads
 * it (raw meta of the contract keys) plus `seq`. PHP knows no IGNY8 field; this is where the sidecar maps it.
 */
const PostEvent = ManagedPost.extend({ seq: Seq });

/** One event → the snapshot the queue keeps. An entry in the older snapshot shape (recorded before) still parses. */
function snapshotFromEvent(event: unknown): SyncSnapshot | undefined {
  const post = PostEvent.safeParse(event);
  if (post.success) {
    const parsed = SyncSnapshot.safeParse({ ...snapshotFromPost(post.data).snapshot, seq: post.data.seq });
    return parsed.success ? parsed.data : undefined;
  }
  const legacy = SyncSnapshot.safeParse(event);
  return legacy.success ? legacy.data : undefined;
}

/** Parses each event on its own: one malformed entry never drops the others. */
export function parseSnapshots(events: readonly unknown[]): { snapshots: SyncSnapshot[]; rejected: number } {
  const snapshots: SyncSnapshot[] = [];
  let rejected = 0;
  for (const event of events) {
    const snapshot = snapshotFromEvent(event);
    if (snapshot === undefined) {
      rejected += 1;
    } else {
      snapshots.push(snapshot);
    }
  }
  return { snapshots, rejected };
}

function keywordIds(post: ManagedPost): number[] {
  const raw = metaString(post, igny8Meta.keyword_ids);
  if (raw === null) {
    return [];
  }
  try {
    const decoded: unknown = JSON.parse(raw);
    return Array.isArray(decoded)
      ? decoded.map((id) => (typeof id === 'string' && /^\d{1,15}$/.test(id) ? Number(id) : id)).filter((id): id is number => Number.isInteger(id) && id > 0)
      : [];
  } catch {
    return [];
  }
}

/** A snapshot from a `find_posts` POST; `seq` is the post's marker, or undefined when nothing is pending. */
export function snapshotFromPost(post: ManagedPost): { snapshot: Omit<SyncSnapshot, 'seq'>; marker: string | undefined } {
  const marker = metaString(post, contract.meta.pending_marker_key);
  return {
    snapshot: {
      post_id: post.id,
      wordpress_status: post.status,
      post_url: post.url,
      post_type: post.post_type,
      title: post.title,
      content_id: metaInt(post, igny8Meta.content_id),
      task_id: metaInt(post, igny8Meta.task_id),
      keyword_ids: keywordIds(post),
      ...(post.content === undefined
        ? {}
        : { content: { title: post.title, html: post.content, excerpt: post.excerpt ?? '', modified_gmt: post.modified_gmt ?? null } }),
    },
    marker: marker !== null && SEQ.test(marker) ? marker : undefined,
  };
}
