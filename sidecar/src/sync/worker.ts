/**
 * The delivery worker. It is woken by events (a recorded change, a finished delivery, the reconciler, new
 * credentials) and never polls: its only timer is set for the next due retry.
 *
 * - Up to `concurrency` deliveries run at once, at most one per post (the store's claim makes that so).
 * - Network errors, 5xx and 429 retry with exponential backoff and jitter (Retry-After honoured, capped); a job
 *   becomes `dead` after `maxAttempts`.
 * - Other 4xx park the job as `failed` with the error, visible in the editor.
 * - An auth failure that survives a re-login pauses the whole target (circuit breaker): every waiting job is
 *   parked with one clear error, and nothing more is sent until new credentials are saved.
 * - Results are written back to WordPress (sync meta + compare-and-clear of the marker) in batches, and so are the task
 *   briefs to cache: one internal call carries both, and under a steady flow of deliveries the calls are spaced by
 *   `writebackIntervalMs`, so the extra WordPress bootstraps per delivered job fall with the rate (issue #15).
 * - A post whose snapshot carries a WordPress edit also sends the content update (issue #13 §4) in the same delivery:
 *   coalesced with its status, retried with it, and cleared in WordPress only with the marker.
 */
import { igny8Meta } from '../contract/contract.ts';
import { Igny8Error, type Igny8Client } from '../adapters/igny8-client.ts';
import { noActivity, type ActivitySink } from '../adapters/activity-log.ts';
import type { QueueStore } from '../adapters/queue-store.ts';
import type { SyncJob, SyncState, Writeback } from '../adapters/sync-store.ts';
import { WordPressUnavailableError, type InternalOp, type WordPressOps } from '../adapters/wp-internal-client.ts';
import { backoffDelay, type BackoffPolicy } from './backoff.ts';
import { planDelivery, PUBLISHED_KEYWORD_STATUS } from './payload.ts';
import { briefJson, briefWriteOp, MAX_BRIEF_CHARS, type BriefJobPayload } from './brief.ts';
import { DELETED_STATUS } from './snapshot.ts';
import type { Logger } from '../logger.ts';
import type { CredentialVault } from './credential-vault.ts';
import type { SiteState } from './site-state.ts';
import type { SiteValues } from './site-values.ts';
import type { StructureSync, SyncParts } from './structure.ts';

export interface WorkerPolicy extends BackoffPolicy {
  maxAttempts: number;
  concurrency: number;
  leaseMs: number;
}

export const DEFAULT_WORKER_POLICY: WorkerPolicy = {
  baseMs: 2_000,
  maxMs: 10 * 60_000,
  retryAfterCapMs: 15 * 60_000,
  maxAttempts: 15,
  concurrency: 4,
  leaseMs: 2 * 60_000,
};

export const PAUSE_KEY = 'target_paused';
const WRITEBACK_BATCH = 200;
/** Queued writes (task briefs, up to MAX_BRIEF_CHARS each) per write-back call: the body stays far under `max_body_bytes`. */
const QUEUED_WRITES_PER_CALL = 16;

/** A write a delivery waits on that goes out with the next write-back call (a task brief to cache). */
interface QueuedWrite {
  op: InternalOp;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

interface Pause {
  reason: string;
  since: number;
}

export interface SyncWorkerOptions extends SyncParts {
  policy?: Partial<WorkerPolicy>;
  random?: () => number;
  /** Structure pushes and term changes (the `structure` and `term` job kinds). */
  structure?: StructureSync;
  /** Delay before a write-back batch goes out (lets deliveries finishing together share one WordPress call). */
  writebackDelayMs?: number;
  /**
   * Least time from one write-back call to the next (default 500 ms). Each call is a WordPress bootstrap (a PHP worker,
   * the database); one per delivery was the largest part of the CPU a publish cost beyond the all-PHP plugin on
   * nginx + PHP-FPM + MariaDB. A first result after a quiet spell still goes out after `writebackDelayMs`.
   */
  writebackIntervalMs?: number;
  /** The activity log: one row per delivery attempt. */
  activity?: ActivitySink;
  /**
   * Whether each drain that leaves a slot free first takes back rows whose lease ran out (default true). Off where a
   * periodic sweep does it for the whole store (replicas on PostgreSQL: sync/replica-link.ts, hosted/hosted-sites.ts),
   * so an idle site's wake-up costs no UPDATE.
   */
  recoverLeasesWhenIdle?: boolean;
  /**
   * Jobs claimed beyond the free slots, held until a slot frees (default 0). On PostgreSQL a claim is three round
   * trips whatever its size and pg-boss's fetch sorts the site's whole backlog, so one claim for several deliveries
   * is what keeps a deep backlog cheap. They are in flight (leased) meanwhile; stop and the breaker release them.
   */
  prefetch?: number;
  /**
   * Whether a finished delivery's drain skips the claim (and the read of the next due time) once a claim came back
   * short and nothing woke the worker since (default false). On PostgreSQL each is a statement (pg-boss's fetch of an
   * empty queue, then MIN(next_attempt_at)), and a site's backlog ended with one of each per delivery: 0.5 fetches and
   * 0.4 reads per job in a 1,000-site drain, measured. Every change that makes work due still wakes it (kick(): a
   * recorded change, a replica's notification, the sweep, the retry timer), and so do its own deliveries that leave
   * their row due again (a newer change arrived meanwhile, a release).
   */
  skipIdleClaims?: boolean;
}

export class SyncWorker {
  readonly policy: WorkerPolicy;
  private readonly store: QueueStore;
  private readonly values: SiteValues;
  private readonly client: Igny8Client;
  private readonly wordpress: WordPressOps;
  private readonly site: SiteState;
  private readonly vault: CredentialVault;
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly writebackDelayMs: number;
  private readonly writebackIntervalMs: number;
  private readonly structure: StructureSync | undefined;
  private readonly activity: ActivitySink;
  private readonly recoverLeasesWhenIdle: boolean;
  private readonly prefetch: number;
  private readonly skipIdleClaims: boolean;
  /** skipIdleClaims: whether a claim may find work (false once one came back short, until something wakes the worker). */
  private claimable = true;
  /** skipIdleClaims: whether the next due time may have moved since it was last read. */
  private dueMoved = true;
  /** Jobs claimed ahead of a free slot (`prefetch`), delivered first. */
  private readonly ready: SyncJob[] = [];
  /** When the attempt in flight for a row key started (its activity row's duration). */
  private readonly attemptStarted = new Map<number, number>();

  private active = 0;
  private scheduled = false;
  private draining = false;
  private drainAgain = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDue: number | undefined;
  private readonly running = new Set<Promise<void>>();
  private pause: Pause | undefined;

  private writebackTimer: NodeJS.Timeout | undefined;
  private writebackRunning: Promise<void> | undefined;
  private writebackAgain = false;
  private writebackFailures = 0;
  /** When the last write-back call went out (Date.now(), like the timers that space them). */
  private lastWritebackAt = Number.NEGATIVE_INFINITY;
  /** Writes waiting for the next write-back call. */
  private readonly queuedWrites: QueuedWrite[] = [];
  /** Deliveries that gave their slot back and wait for their queued write (task briefs). */
  private readonly settling = new Set<Promise<void>>();

  constructor(options: SyncWorkerOptions) {
    this.store = options.store;
    this.values = options.values;
    this.client = options.client;
    this.wordpress = options.wordpress;
    this.site = options.site;
    this.vault = options.vault;
    this.logger = options.logger;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.policy = { ...DEFAULT_WORKER_POLICY, ...options.policy };
    this.writebackDelayMs = options.writebackDelayMs ?? 50;
    this.writebackIntervalMs = Math.max(0, options.writebackIntervalMs ?? 500);
    this.structure = options.structure;
    this.activity = options.activity ?? noActivity;
    this.recoverLeasesWhenIdle = options.recoverLeasesWhenIdle ?? true;
    this.prefetch = Math.max(0, Math.floor(options.prefetch ?? 0));
    this.skipIdleClaims = options.skipIdleClaims ?? false;
    this.pause = this.values.getJson<Pause>(PAUSE_KEY);
  }

  /** The reason the target is paused (circuit breaker open), if it is. */
  paused(): Pause | undefined {
    return this.pause;
  }

  /**
   * Another replica opened or closed the circuit breaker (sync/replica-link.ts): follow it. Closed there, the jobs it
   * parked were requeued there; this one just starts claiming again.
   */
  reloadPause(): void {
    this.pause = this.values.getJson<Pause>(PAUSE_KEY);
    this.kick();
  }

  /** Wakes the worker (coalesced to one drain per tick): something may have become due. */
  kick(): void {
    this.claimable = true;
    this.dueMoved = true;
    this.drainSoon();
  }

  /** A drain for a freed slot: with skipIdleClaims it claims only if the last claim was not short or a kick came since. */
  private drainSoon(): void {
    if (this.stopped) {
      return;
    }
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    if (this.scheduled) {
      return;
    }
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runDrain();
    });
  }

  /** One drain at a time (the store answers asynchronously); a kick during it runs another pass after it. */
  private async runDrain(): Promise<void> {
    this.draining = true;
    try {
      do {
        this.drainAgain = false;
        await this.drain();
      } while (this.drainAgain && !this.stopped);
    } catch (error) {
      // The store is unreachable (PostgreSQL restarting): try again later, nothing is lost (the ledger is the truth).
      this.logger.error({ err: error }, 'sync drain failed; retrying');
      setTimeout(() => this.kick(), this.policy.baseMs).unref();
    } finally {
      this.draining = false;
    }
  }

  /** New credentials (or a passed connection test): close the breaker and deliver what it parked. */
  async resume(): Promise<void> {
    if (this.pause !== undefined) {
      this.logger.info('sync target resumed');
    }
    this.pause = undefined;
    this.values.delete(PAUSE_KEY);
    await this.store.requeueParked('auth');
    this.kick();
  }

  /**
   * The site behind WordPress changed (a reinstall with a new site id): the queue and the paused state belong to
   * the old site, whose posts no longer exist.
   */
  async forgetSite(): Promise<void> {
    this.pause = undefined;
    this.values.delete(PAUSE_KEY);
    const dropped = await this.store.clearJobs();
    this.logger.warn({ dropped }, 'the WordPress site id changed: the previous site\'s sync queue was discarded');
  }

  /** Stops claiming new jobs and waits for the deliveries in flight (bounded by `graceMs`). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.writebackTimer);
    this.writebackTimer = undefined;
    if (!this.draining) {
      await this.releaseReady().catch(() => undefined); // else the drain in progress releases them
    }
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.running]), grace]);
    if (this.queuedWrites.length > 0 && this.writebackRunning === undefined) {
      // Deliveries wait on these writes: send them now rather than leave the jobs leased until a restart.
      this.writebackRunning = this.flushWritebacks()
        .catch(() => undefined)
        .finally(() => {
          this.writebackRunning = undefined;
        });
    }
    await Promise.race([this.writebackRunning ?? Promise.resolve(), grace]);
    await Promise.race([Promise.allSettled([...this.settling]), grace]);
  }

  /** Resolves when nothing is in flight and nothing is due now (tests, benchmarks). */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.running.size === 0 && this.settling.size === 0 && this.ready.length === 0 && !this.scheduled && !this.draining) {
        const due = await this.store.nextDueAt();
        if (due === undefined || due > this.clock()) {
          await (this.writebackRunning ?? Promise.resolve());
          return;
        }
      }
      await Promise.race([...this.running, ...this.settling, new Promise((resolve) => setTimeout(resolve, 5))]);
    }
  }

  private async drain(): Promise<void> {
    if (this.stopped) {
      await this.releaseReady();
      return;
    }
    if (this.pause !== undefined) {
      await this.releaseReady();
      const parked = await this.store.parkAllPending(this.pause.reason, 'auth');
      if (parked.length > 0) {
        this.logger.warn({ parked: parked.length }, 'sync target paused: jobs parked');
        this.kickWriteback();
      }
      return;
    }
    let exhausted = false;
    while (this.active < this.policy.concurrency && this.pause === undefined && !this.stopped) {
      if (this.ready.length === 0) {
        if (exhausted) {
          break;
        }
        // The free slots and `prefetch` more in one claim (PostgreSQL: one fetch, one UPDATE, one complete).
        if (this.skipIdleClaims && !this.claimable) {
          break;
        }
        const want = this.policy.concurrency - this.active + this.prefetch;
        this.dueMoved = true; // a claim may find rows rescheduled later
        const jobs = await this.store.claimMany(this.policy.leaseMs, want);
        exhausted = jobs.length < want;
        if (exhausted) {
          this.claimable = false;
        }
        for (const job of jobs) {
          this.logger.debug({ kind: job.kind, post_id: job.postId, seq: job.seqInflight }, 'sync claimed');
        }
        this.ready.push(...jobs);
        if (jobs.length === 0) {
          break;
        }
        continue;
      }
      const job = this.ready.shift() as SyncJob;
      if (job.leaseUntil !== null && this.clock() > job.leaseUntil - this.policy.leaseMs / 2) {
        // Waited half its lease for a slot (slow deliveries): back to pending rather than risk another replica taking
        // it over mid-delivery.
        await this.store.release(job.postId);
        this.claimable = true;
        continue;
      }
      this.start(job);
    }
    if (this.stopped) {
      await this.releaseReady();
      return;
    }
    await this.armTimer();
  }

  /** Claimed jobs still waiting for a slot go back to pending (stop, circuit breaker). */
  private async releaseReady(): Promise<void> {
    for (const job of this.ready.splice(0)) {
      await this.store.release(job.postId);
    }
  }

  /** A delivery that threw: logged, and its job released to retry after the base backoff. */
  private releaseIfCrashed(job: SyncJob, work: Promise<void>): Promise<void> {
    return work
      .catch(async (error: unknown) => {
        this.logger.error({ post_id: job.postId, err: error }, 'sync delivery crashed');
        this.dueMoved = true;
        await this.store.release(job.postId, this.clock() + this.policy.baseMs);
      })
      .catch((error: unknown) => {
        // The lease runs out and recoverLeases makes the job pending again.
        this.logger.error({ post_id: job.postId, err: error }, 'releasing a crashed delivery failed');
      });
  }

  private start(job: SyncJob): void {
    this.active += 1;
    const delivery: Promise<void> = this.releaseIfCrashed(job, this.deliver(job))
      .finally(() => {
        this.attemptStarted.delete(job.postId);
        this.active -= 1;
        this.running.delete(delivery);
        this.drainSoon();
      });
    this.running.add(delivery);
  }

  /** The one timer: the next due retry (only when a slot is free to take it). */
  private async armTimer(): Promise<void> {
    if (this.active >= this.policy.concurrency || this.stopped) {
      return;
    }
    if (this.skipIdleClaims) {
      if (!this.dueMoved) {
        return; // no claim, retry or release since the last read: the timer armed then still holds
      }
      this.dueMoved = false;
    }
    if (this.recoverLeasesWhenIdle) {
      await this.store.recoverLeases();
    }
    const due = await this.store.nextDueAt();
    if (due === undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = undefined;
      return;
    }
    if (this.timer !== undefined && this.timerDue === due) {
      return;
    }
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = undefined;
      this.kick();
    }, Math.max(0, due - this.clock()));
    this.timer.unref();
  }

  private async deliver(job: SyncJob): Promise<void> {
    const started = this.clock();
    this.attemptStarted.set(job.postId, started);
    if (this.pause !== undefined) {
      // The breaker opened while this job was being claimed (claims are asynchronous): nothing more is sent.
      await this.parkJob(job, this.pause.reason, 'auth');
      return;
    }
    const baseUrl = this.site.baseUrl();
    if (baseUrl === undefined) {
      await this.parkJob(job, 'The IGNY8 API base URL is not set: enter it in Settings → IGNY8.', 'config');
      return;
    }
    if (!this.site.connectionEnabled()) {
      await this.parkJob(job, 'The IGNY8 connection is disabled in Settings → IGNY8.', 'config');
      return;
    }
    if (job.kind === 'brief') {
      await this.deliverBrief(job, baseUrl);
      return;
    }
    if (job.kind !== 'post') {
      await this.deliverSpecial(job, baseUrl, started);
      return;
    }
    const target = this.site.target();
    const plan = planDelivery(job.snapshot, this.site.settings(), this.site.siteClock(), new Date(this.clock()));
    const credentials = this.vault.credentials();
    // A WordPress edit goes with the status (issue #13 §4): the `tasks` target needs the content id for it.
    const contentUpdate = plan.content !== null && (target === 'webhook' || plan.content.contentId !== null) ? plan.content : null;
    if (plan.content !== null && contentUpdate === null) {
      this.logger.warn({ post_id: job.postId }, 'igny8 content update skipped: the post has no IGNY8 content id');
    }
    let contentSent = false;
    try {
      if (target === 'webhook') {
        await this.client.sendWebhook(baseUrl, credentials, plan.webhook);
        if (contentUpdate !== null && (await this.contentStillWanted(job))) {
          await this.client.sendWebhook(baseUrl, credentials, contentUpdate.webhook);
          contentSent = true;
        }
      } else if (plan.taskId === null && contentUpdate !== null && contentUpdate.contentId !== null) {
        // Known to IGNY8 by its content only: the edit is what there is to tell.
        if (await this.contentStillWanted(job)) {
          await this.client.updateContent(baseUrl, credentials, contentUpdate.contentId, contentUpdate.body);
          contentSent = true;
        }
      } else if (plan.taskId === null && contentUpdate === null && job.snapshot.content_superseded === true) {
        // Known by its content only, and IGNY8's republish replaced the queued edit: nothing is left to tell.
      } else {
        if (plan.taskId === null) {
          await this.parkJob(job, 'This post has no IGNY8 task id, which the "tasks" sync target needs.', 'no_task');
          return;
        }
        await this.client.updateTask(baseUrl, credentials, plan.taskId, plan.task);
        if (contentUpdate !== null && contentUpdate.contentId !== null && (await this.contentStillWanted(job))) {
          await this.client.updateContent(baseUrl, credentials, contentUpdate.contentId, contentUpdate.body);
          contentSent = true;
        }
        if (plan.keywords !== null || plan.keywordsFromTask) {
          try {
            const keywordIds = plan.keywords?.keyword_ids ?? (await this.client.taskKeywordIds(baseUrl, credentials, target, plan.taskId));
            if (keywordIds.length > 0) {
              await this.client.updateKeywords(baseUrl, credentials, keywordIds, PUBLISHED_KEYWORD_STATUS);
              this.recordAttempt(job, 'delivered', { kind: 'keywords', target: 'keywords' });
            }
          } catch (error) {
            // The task has the status; a refused keyword update is reported, not a reason to park the post.
            if (!(error instanceof Igny8Error) || error.kind !== 'park') {
              throw error;
            }
            this.logger.warn({ post_id: job.postId, status: error.status }, 'igny8 keyword status update (or the task read before it) refused');
            this.recordAttempt(job, 'parked', { kind: 'keywords', target: 'keywords', code: 'http_4xx', error: error.message });
          }
        }
      }
    } catch (error) {
      await this.fail(job, error);
      return;
    }
    await this.completed(job.postId, plan.syncedAt, job.snapshot.wordpress_status);
    const contentOnly = target === 'tasks' && plan.taskId === null;
    if (!contentOnly) {
      this.recordAttempt(job, 'delivered');
    }
    if (contentUpdate !== null && contentSent) {
      this.recordAttempt(job, 'delivered', { kind: 'content_update', target: target === 'webhook' ? 'webhook' : `content/${contentUpdate.contentId ?? '?'}` });
    }
    this.logger.info(
      { post_id: job.postId, seq: job.seqInflight, target, wordpress_status: job.snapshot.wordpress_status, content: contentSent, ms: this.clock() - started },
      'sync delivered',
    );
    this.kickWriteback();
    await this.structure?.afterConnected();
  }

  /**
   * Whether the WordPress edit this delivery carries is still to be sent: IGNY8 may have republished the post since
   * the job was claimed (SyncService.supersedeContent), and then its fresh content must not be overwritten by the
   * editor's older one.
   */
  private async contentStillWanted(job: SyncJob): Promise<boolean> {
    const current = await this.store.get(job.postId);
    if (current?.snapshot.content_superseded === true) {
      this.logger.info({ post_id: job.postId, seq: job.seqInflight }, 'igny8 content update not sent: IGNY8 republished the post meanwhile');
      return false;
    }
    return true;
  }

  /**
   * A task-brief fetch (issue #13 §5): read the brief from IGNY8, then cache it in the post's meta through the
   * internal route (asynchronous: no PHP worker waits on it). IGNY8 down and WordPress down are both retried.
   * The write goes with the next write-back call (one WordPress bootstrap for both); meanwhile the job stays leased
   * but its delivery slot is free for the next job.
   */
  private async deliverBrief(job: SyncJob, baseUrl: string): Promise<void> {
    const payload = job.payload as Partial<BriefJobPayload> | null;
    if (typeof payload?.post_id !== 'number' || typeof payload.task_id !== 'number') {
      await this.parkJob(job, 'A task brief job without a post and task id.', 'config');
      return;
    }
    let json: string | undefined;
    try {
      json = briefJson(await this.client.taskBrief(baseUrl, this.vault.credentials(), this.site.target(), payload.task_id));
    } catch (error) {
      await this.fail(job, error);
      return;
    }
    if (json === undefined) {
      await this.parkJob(job, `The brief of task ${payload.task_id} is larger than ${MAX_BRIEF_CHARS} characters once bounded; it was not cached.`, 'http_4xx');
      return;
    }
    const cachedAt = new Date(this.clock());
    const written = this.writeLater(briefWriteOp(payload.post_id, json, cachedAt));
    const startedAt = this.attemptStarted.get(job.postId);
    const settled: Promise<void> = this.releaseIfCrashed(job, this.cacheBrief(job, { post_id: payload.post_id, task_id: payload.task_id }, json.length, cachedAt, written, startedAt))
      .finally(() => {
        this.settling.delete(settled);
        this.drainSoon();
      });
    this.settling.add(settled);
  }

  /** The rest of a brief's delivery, once its write went out with a write-back call. */
  private async cacheBrief(job: SyncJob, payload: BriefJobPayload, chars: number, cachedAt: Date, written: Promise<unknown>, startedAt: number | undefined): Promise<void> {
    try {
      const result = await written;
      if ((result as { ok?: unknown } | null)?.ok !== true) {
        await this.parkJob(job, `WordPress refused to cache the brief (${resultCode(result)}).`, 'not_found', startedAt);
        return;
      }
    } catch (error) {
      const delay = backoffDelay(this.policy, job.attempts + 1, this.random);
      const message = error instanceof WordPressUnavailableError ? error.message : `Caching the brief in WordPress failed: ${(error as Error).message}`;
      await this.retry(job.postId, message.slice(0, 300), this.clock() + delay, this.policy.maxAttempts);
      this.logger.info({ kind: 'brief', attempt: job.attempts + 1, retry_in_ms: Math.round(delay) }, 'task brief not cached; will retry');
      return;
    }
    await this.completed(job.postId, cachedAt.toISOString(), 'cached');
    this.recordAttempt(job, 'delivered', { startedAt });
    this.logger.info({ kind: 'brief', post_id: payload.post_id, task_id: payload.task_id, chars }, 'task brief cached');
  }

  /** A `structure` push or a `term` change: same retries, parking and circuit breaker as posts. */
  private async deliverSpecial(job: SyncJob, baseUrl: string, started: number): Promise<void> {
    const structure = this.structure;
    if (structure === undefined) {
      await this.parkJob(job, 'This sidecar does not deliver site structure or taxonomy changes.', 'config');
      return;
    }
    let outcome: string;
    try {
      if (job.kind === 'structure') {
        const result = await structure.deliverStructure(job, baseUrl);
        if (typeof result === 'object') {
          await this.parkJob(job, result.park, 'config');
          return;
        }
        outcome = result;
      } else {
        await structure.deliverTerm(job, baseUrl);
        outcome = 'sent';
      }
    } catch (error) {
      if (!(error instanceof Igny8Error)) {
        // Reading the structure from WordPress failed: retried like an IGNY8 outage.
        const delay = backoffDelay(this.policy, job.attempts + 1, this.random);
        const message = error instanceof WordPressUnavailableError ? error.message : `Reading the site structure failed: ${(error as Error).message}`;
        const state = await this.retry(job.postId, message.slice(0, 300), this.clock() + delay, this.policy.maxAttempts);
        this.recordAttempt(job, state === 'dead' ? 'dead' : 'failed', { code: 'wordpress', error: message, nextRetryAt: state === 'dead' ? null : this.clock() + delay });
        this.logger.info({ kind: job.kind, attempt: job.attempts + 1, retry_in_ms: Math.round(delay) }, 'sync delivery failed; will retry');
        return;
      }
      await this.fail(job, error);
      return;
    }
    await this.completed(job.postId, new Date(this.clock()).toISOString(), outcome);
    this.recordAttempt(job, 'delivered', { code: outcome === 'unchanged' ? 'unchanged' : null });
    this.logger.info({ kind: job.kind, key: job.postId, seq: job.seqInflight, outcome, ms: this.clock() - started }, 'sync delivered');
    if (job.kind === 'structure') {
      await structure.afterStructureDone();
    }
    this.kickWriteback();
  }

  /** store.complete; a row due again (a newer change arrived during the delivery) makes a claim worth its statement. */
  private async completed(postId: number, siteTime: string, sentWordpressStatus: string): Promise<void> {
    const job = await this.store.complete(postId, siteTime, sentWordpressStatus);
    if (job?.state === 'pending') {
      this.claimable = true;
      this.dueMoved = true;
    }
  }

  /** store.retryLater; the next due time moved (the timer is armed for it at the end of the drain). */
  private async retry(postId: number, error: string, nextAttemptAt: number, maxAttempts: number): Promise<SyncState> {
    this.dueMoved = true;
    const state = await this.store.retryLater(postId, error, nextAttemptAt, maxAttempts);
    // Again once written: a drain that read the next due time meanwhile (and took the flag) read it before this row
    // moved, and the drain after this delivery must read it again (skipIdleClaims), or the retry waits for a kick.
    this.dueMoved = true;
    return state;
  }

  private async fail(job: SyncJob, error: unknown): Promise<void> {
    if (error instanceof Igny8Error && error.kind === 'auth') {
      this.openBreaker(error.message);
      await this.parkJob(job, error.message, 'auth');
      this.kick();
      return;
    }
    if (error instanceof Igny8Error && error.kind === 'park') {
      await this.parkJob(job, error.message, error.code === 'not_found' ? 'not_found' : 'http_4xx');
      return;
    }
    const message = error instanceof Igny8Error ? error.message : 'Internal error while sending to IGNY8; retrying.';
    const retryAfterMs = error instanceof Igny8Error ? error.retryAfterMs : undefined;
    const delay = backoffDelay(this.policy, job.attempts + 1, this.random, retryAfterMs);
    const state = await this.retry(job.postId, message, this.clock() + delay, this.policy.maxAttempts);
    this.recordAttempt(job, state === 'dead' ? 'dead' : 'failed', {
      code: error instanceof Igny8Error ? error.code : 'internal',
      error: message,
      nextRetryAt: state === 'dead' ? null : this.clock() + delay,
    });
    if (state === 'dead') {
      this.logger.warn({ post_id: job.postId, attempts: job.attempts + 1 }, 'sync job dead: gave up');
      this.kickWriteback();
    } else {
      this.logger.info({ post_id: job.postId, attempt: job.attempts + 1, retry_in_ms: Math.round(delay) }, 'sync delivery failed; will retry');
    }
  }

  private async parkJob(job: SyncJob, message: string, kind: string, startedAt?: number): Promise<void> {
    await this.store.park(job.postId, message, kind);
    this.recordAttempt(job, 'parked', { code: kind, error: message, startedAt });
    this.logger.warn({ post_id: job.postId, kind }, 'sync job parked');
    this.kickWriteback();
  }

  /** One activity row for the attempt just made on `job` (kind and target from the job and the sync target). */
  private recordAttempt(
    job: SyncJob,
    outcome: 'delivered' | 'failed' | 'parked' | 'dead',
    extra: { kind?: string; target?: string; code?: string | null; error?: string; nextRetryAt?: number | null; startedAt?: number } = {},
  ): void {
    const started = extra.startedAt ?? this.attemptStarted.get(job.postId);
    const post = job.kind === 'post';
    const webhook = this.site.target() === 'webhook';
    const kind = extra.kind ?? (post ? 'status' : job.kind);
    const target =
      extra.target ??
      (post
        ? webhook
          ? 'webhook'
          : `tasks/${job.snapshot.task_id ?? '?'}`
        : job.kind === 'term'
          ? `term/${-job.postId}`
          : job.kind === 'brief'
            ? `tasks/${String(job.payload?.task_id ?? '?')}/brief`
            : 'structure');
    this.activity.record({
      direction: 'out',
      kind,
      target,
      contentId: post && job.snapshot.content_id !== null ? String(job.snapshot.content_id) : null,
      postId: post ? job.postId : null,
      outcome,
      code: extra.code ?? null,
      durationMs: started === undefined ? null : this.clock() - started,
      attempts: job.attempts + 1,
      nextRetryAt: extra.nextRetryAt ?? null,
      error: extra.error ?? null,
    });
  }

  private openBreaker(reason: string): void {
    if (this.pause !== undefined) {
      return;
    }
    this.pause = { reason, since: this.clock() };
    this.values.setJson(PAUSE_KEY, this.pause);
    this.logger.warn('sync target paused after an authentication failure (circuit breaker open)');
  }

  // ------------------------------------------------------------------ write-back to WordPress

  kickWriteback(delayMs = this.writebackDelayMs): void {
    if (this.stopped) {
      return;
    }
    if (this.writebackRunning !== undefined) {
      this.writebackAgain = true;
      return;
    }
    if (this.writebackTimer !== undefined) {
      return;
    }
    const wait = Math.max(delayMs, this.lastWritebackAt + this.writebackIntervalMs - Date.now());
    this.writebackTimer = setTimeout(() => {
      this.writebackTimer = undefined;
      this.writebackRunning = this.flushWritebacks()
        .catch((error: unknown) => {
          this.logger.error({ err: error }, 'sync write-back failed reading the store; retrying');
          setTimeout(() => this.kickWriteback(0), 5_000).unref();
        })
        .finally(() => {
          this.writebackRunning = undefined;
          if (this.writebackAgain || this.queuedWrites.length > 0) {
            this.writebackAgain = false;
            this.kickWriteback();
          }
        });
    }, wait);
    this.writebackTimer.unref();
  }

  /** Sends `op` with the next write-back call; its result, or the call's failure. */
  private writeLater(op: InternalOp): Promise<unknown> {
    if (this.stopped) {
      return Promise.reject(new WordPressUnavailableError('The sidecar is stopping.'));
    }
    return new Promise((resolve, reject) => {
      this.queuedWrites.push({ op, resolve, reject });
      this.kickWriteback();
    });
  }

  /**
   * Sends owed results to WordPress in batches, with the queued writes; a WordPress outage is retried with backoff
   * (a queued write's delivery is told, and retries on its own schedule).
   */
  async flushWritebacks(): Promise<void> {
    for (;;) {
      const writes = this.queuedWrites.splice(0, QUEUED_WRITES_PER_CALL);
      let jobs: SyncJob[];
      try {
        jobs = await this.store.owedWritebacks(WRITEBACK_BATCH);
      } catch (error) {
        writes.forEach((write) => write.reject(error));
        throw error;
      }
      if (jobs.length === 0 && writes.length === 0) {
        this.writebackFailures = 0;
        return;
      }
      const plan = jobs.map((job) => ({ job, ops: writebackOps(job) }));
      const ops = [...writes.map((write) => write.op), ...plan.flatMap((entry) => entry.ops)];
      let results: unknown[] = [];
      if (ops.length > 0) {
        try {
          this.lastWritebackAt = Date.now();
          results = await this.wordpress.run(ops);
        } catch (error) {
          writes.forEach((write) => write.reject(error));
          this.writebackFailures += 1;
          const delay = Math.min(60_000, 1_000 * 2 ** Math.min(this.writebackFailures, 6));
          this.logger.warn({ owed: jobs.length, retry_in_ms: delay, reason: error instanceof WordPressUnavailableError ? error.message : 'error' }, 'sync write-back to WordPress failed');
          this.writebackAgain = false;
          setTimeout(() => this.kickWriteback(0), delay).unref();
          return;
        }
      }
      writes.forEach((write, i) => write.resolve(results[i]));
      let index = writes.length;
      const done: Array<{ postId: number; writeback: Writeback; seq: string }> = [];
      for (const { job, ops: jobOps } of plan) {
        const jobResults = results.slice(index, index + jobOps.length);
        index += jobOps.length;
        const refused = jobResults.find((result) => !writebackAccepted(result));
        if (refused !== undefined) {
          this.logger.warn({ post_id: job.postId, code: resultCode(refused) }, 'sync write-back refused by WordPress');
          // Not retried in a loop: the reconciler asks again when it next finds the marker.
        }
        if (job.writeback !== null && job.writebackSeq !== null) {
          done.push({ postId: job.postId, writeback: job.writeback, seq: job.writebackSeq });
        }
      }
      // One statement for the batch (it was one per job).
      await this.store.writebacksDone(done);
      this.writebackFailures = 0;
      if (jobs.length < WRITEBACK_BATCH && this.queuedWrites.length === 0) {
        return;
      }
    }
  }
}

function resultCode(result: unknown): string {
  const error = (result as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? error.code : 'unknown';
}

/** `{ok:true}`, or a post that is gone / no longer managed (nothing left to write). */
function writebackAccepted(result: unknown): boolean {
  if ((result as { ok?: unknown } | null)?.ok === true) {
    return true;
  }
  return resultCode(result) === 'POST_NOT_FOUND';
}

/** The internal ops that give WordPress a job's result. */
export function writebackOps(job: SyncJob): InternalOp[] {
  if (job.writeback === null || job.writebackSeq === null) {
    return [];
  }
  if (job.kind === 'term') {
    return job.writeback === 'synced' ? [{ op: 'clear_term_change', term_id: -job.postId, seq: job.writebackSeq }] : [];
  }
  if (job.kind === 'structure' || job.kind === 'brief') {
    return [];
  }
  const deleted = job.snapshot.wordpress_status === DELETED_STATUS;
  if (job.writeback === 'synced') {
    const ops: InternalOp[] = [];
    if (!deleted) {
      ops.push({
        op: 'write_sync_meta',
        post_id: job.postId,
        seq: job.writebackSeq,
        meta: {
          [igny8Meta.wordpress_status]: job.sentWordpressStatus ?? job.snapshot.wordpress_status,
          [igny8Meta.last_synced]: job.lastSyncedSiteTime ?? '',
          [igny8Meta.sync_state]: 'synced',
          [igny8Meta.sync_error]: null,
        },
      });
    }
    ops.push({ op: 'clear_pending_marker', post_id: job.postId, seq: job.writebackSeq });
    return ops;
  }
  if (deleted) {
    return [];
  }
  return [
    {
      op: 'write_sync_meta',
      post_id: job.postId,
      seq: job.writebackSeq,
      meta: { [igny8Meta.sync_state]: 'failed', [igny8Meta.sync_error]: (job.lastError ?? 'Sync failed.').slice(0, 1000) },
    },
  ];
}
