/**
 * Resync everything (issue #14 §3 `wp igny8 resync --all`, §5 the settings button: the same job). A pass walks every
 * managed post once, in ascending id order, and records each post's current state in the durable queue, which
 * delivers it (coalesced with whatever change was waiting, retried, parked like any other status delivery).
 *
 * It runs on requests, never on its own: each `POST /settings/resync` asks WordPress for the next page after the
 * cursor (`list_managed`, an `execute` round of that same request: one bootstrap, nothing called back) and answers
 * the progress. Its state (pass number, cursor, counts, start and end, seq floor) is one kv value, so an
 * interrupted run continues from the cursor, and a finished pass stays finished until a new one is asked for.
 *
 * Once per pass: a post is recorded only when its id is past the cursor and its queue row was not touched since the
 * pass began (a row recorded by this pass, a change that came in since, a delivery made since: IGNY8 has, or is
 * about to get, the current state). A page handled twice (an interrupted request, two callers at once) therefore
 * records nothing twice. The recorded seq is at least the pass's floor (a time seq on the shim's scale taken when
 * the pass began) and above the row's own, so it is always newer than what the queue holds.
 */
import { z } from 'zod';

import type { QueueStore } from '../adapters/queue-store.ts';
import { ManagedPost } from '../mapping/managed-post.ts';
import { phpInt } from '../protocol/messages.ts';
import { compareSeq, maxSeq, nextSeq, snapshotFromPost, timeSeq } from './snapshot.ts';
import type { SiteValues } from './site-values.ts';
import type { ResyncProgress } from '../contract/wire-types.ts';

const STATE_KEY = 'resync';

export const RESYNC_BATCH_DEFAULT = 50;
/** The contract's `list_managed` limit maximum. */
export const RESYNC_BATCH_MAX = 200;

const PassState = z.object({
  pass: z.int().positive(),
  state: z.enum(['running', 'done']),
  seq_floor: z.string(),
  cursor: z.int().nonnegative(),
  total: z.int().nonnegative().nullable(),
  processed: z.int().nonnegative(),
  enqueued: z.int().nonnegative(),
  skipped: z.int().nonnegative(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
});
export type ResyncPass = z.infer<typeof PassState>;

/** What `list_managed` answers (PHP: Operations/List_Managed.php). */
export const ListManagedResult = z.object({
  ok: z.literal(true),
  posts: z.array(z.unknown()),
  next_after_id: phpInt.nullable().optional(),
  total: phpInt.optional(),
});
export type ListManagedResult = z.infer<typeof ListManagedResult>;

export type { ResyncProgress };

export interface ResyncJobOptions {
  store: QueueStore;
  values: SiteValues;
  /** Wakes the delivery worker. */
  kick: () => void;
  clock?: () => number;
}

export class ResyncJob {
  private readonly options: ResyncJobOptions;
  private readonly clock: () => number;

  constructor(options: ResyncJobOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  current(): ResyncPass | undefined {
    const parsed = PassState.safeParse(this.options.values.getJson(STATE_KEY));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * The pass to continue: the running one, or a new one when there is none yet or `restart` is asked for.
   * A finished pass without `restart` is answered as it is (`started: false`, state `done`).
   */
  begin(restart: boolean): { pass: ResyncPass; started: boolean } {
    const current = this.current();
    if (current !== undefined && !restart) {
      return { pass: current, started: false };
    }
    const now = this.clock();
    const pass: ResyncPass = {
      pass: (current?.pass ?? 0) + 1,
      state: 'running',
      seq_floor: timeSeq(now),
      cursor: 0,
      total: null,
      processed: 0,
      enqueued: 0,
      skipped: 0,
      started_at: new Date(now).toISOString(),
      finished_at: null,
    };
    this.save(pass);
    return { pass, started: true };
  }

  /**
   * One page of `list_managed` read after `afterId` for pass `passNumber`: records what the pass has not yet
   * recorded, moves the cursor, finishes the pass after the last page. A page of another pass (a restart came in
   * between) or of a finished one changes nothing.
   */
  async apply(passNumber: number, afterId: number, page: ListManagedResult): Promise<ResyncPass | undefined> {
    let pass = this.current();
    if (pass === undefined || pass.pass !== passNumber || pass.state === 'done') {
      return pass;
    }
    const startedMs = Date.parse(pass.started_at);
    const { store } = this.options;
    let processed = 0;
    let enqueued = 0;
    let skipped = 0;
    let last = afterId;
    for (const raw of page.posts) {
      const post = ManagedPost.safeParse(raw);
      if (!post.success) {
        continue;
      }
      last = Math.max(last, post.data.id);
      if (post.data.id <= pass.cursor) {
        continue; // Counted by an earlier request of this pass.
      }
      processed += 1;
      const { snapshot, marker } = snapshotFromPost(post.data);
      const job = await store.get(snapshot.post_id);
      const unseenChange = marker !== undefined && (job === undefined || compareSeq(marker, job.seqWanted) > 0);
      if (job !== undefined && job.updatedAt >= startedMs && !unseenChange) {
        skipped += 1;
        continue;
      }
      const seq = maxSeq(maxSeq(pass.seq_floor, marker ?? '0'), job === undefined ? '0' : nextSeq(job.seqWanted));
      const outcome = await store.record({ ...snapshot, seq });
      if (outcome === 'new' || outcome === 'updated') {
        enqueued += 1;
      } else {
        skipped += 1;
      }
    }
    // Re-read: another request may have moved this pass while the records were awaited.
    const now = this.current();
    if (now === undefined || now.pass !== passNumber || now.state === 'done') {
      return now;
    }
    const end = page.next_after_id === null || page.next_after_id === undefined || page.next_after_id <= afterId;
    pass = {
      ...now,
      cursor: Math.max(now.cursor, last),
      total: afterId === 0 && page.total !== undefined ? page.total : now.total,
      processed: now.processed + processed,
      enqueued: now.enqueued + enqueued,
      skipped: now.skipped + skipped,
    };
    if (end) {
      pass = { ...pass, state: 'done', finished_at: new Date(this.clock()).toISOString(), total: Math.max(pass.total ?? 0, pass.processed) };
    }
    this.save(pass);
    if (enqueued > 0) {
      this.options.kick();
    }
    return pass;
  }

  async progress(): Promise<ResyncProgress> {
    const pass = this.current();
    const counts = await this.options.store.counts();
    const queue = { waiting: counts.pending + counts.pending_manual + counts.in_flight, failed: counts.failed + counts.dead };
    if (pass === undefined) {
      return { state: 'idle', pass: null, total: null, processed: 0, enqueued: 0, skipped: 0, percent: 0, cursor: 0, seq_floor: null, started_at: null, finished_at: null, queue };
    }
    const percent =
      pass.state === 'done' ? 100 : pass.total === null || pass.total === 0 ? 0 : Math.min(99, Math.floor((pass.processed / pass.total) * 100));
    return {
      state: pass.state,
      pass: pass.pass,
      total: pass.total,
      processed: pass.processed,
      enqueued: pass.enqueued,
      skipped: pass.skipped,
      percent,
      cursor: pass.cursor,
      seq_floor: pass.seq_floor,
      started_at: pass.started_at,
      finished_at: pass.finished_at,
      queue,
    };
  }

  private save(pass: ResyncPass): void {
    this.options.values.setJson(STATE_KEY, pass);
  }
}
