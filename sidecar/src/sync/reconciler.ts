/**
 * The reconciler (SPEC §3 rule 5, §10): at start and every ~60 s it asks WordPress for every post that still
 * carries a pending marker (`list_pending`, through the internal route: allowed because no PHP worker waits on
 * it), and enqueues what the queue is missing — changes saved while the sidecar was down, notifies that were
 * lost — or re-sends the write-back of a delivery whose marker WordPress still holds.
 */
import { z } from 'zod';

import type { QueueStore } from '../adapters/queue-store.ts';
import type { WordPressOps } from '../adapters/wp-internal-client.ts';
import { compareSeq, parseSnapshots, type SyncSnapshot } from './snapshot.ts';
import type { Logger } from '../logger.ts';
import { JsonObject, phpInt, phpNumber } from '../protocol/messages.ts';
import type { SiteState } from './site-state.ts';
import { TermChange, type StructureSync } from './structure.ts';
import type { SyncWorker } from './worker.ts';

const PAGE = 200;
const MAX_PAGES = 500;

const ListPendingResult = z.object({
  ok: z.literal(true),
  pending: z.array(z.unknown()),
  deleted: z.array(z.unknown()).optional().default([]),
  term_changes: z.array(z.unknown()).optional().default([]),
  next_after_id: phpInt.nullable().optional(),
  site_uuid: z.string().min(1).max(100).optional(),
  site: z
    .looseObject({ home_url: z.string().optional(), timezone: z.string().optional(), gmt_offset: phpNumber.optional(), structure_rev: phpInt.optional() })
    .optional(),
  settings: JsonObject.optional(),
});

export interface ReconcileReport {
  listed: number;
  enqueued: number;
  writebacks: number;
}

/** What Site Health and `wp igny8 doctor` show of the reconciler. */
export interface ReconcilerHealth {
  interval_ms: number;
  last_run_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  last_report: ReconcileReport | null;
}

export interface ReconcilerOptions {
  store: QueueStore;
  wordpress: WordPressOps;
  site: SiteState;
  worker: SyncWorker;
  logger: Logger;
  intervalMs?: number;
  /** Term outbox entries and the structure revision (SPEC §6 "Site structure and taxonomies"). */
  structure?: StructureSync;
  /**
   * Replicas on one store (sync/replica-link.ts): runs a pass once across them. `minIntervalMs` is 0 for a pass asked
   * for now (settings saved, a tool), else the scheduled pass is skipped when another replica succeeded that recently.
   */
  exclusive?: (work: () => Promise<ReconcileReport | undefined>, minIntervalMs: number) => Promise<{ ran: true; value: ReconcileReport | undefined } | { ran: false }>;
}

export class Reconciler {
  private readonly options: ReconcilerOptions;
  private interval: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private running: Promise<ReconcileReport | undefined> | undefined;
  private succeededOnce = false;
  private startupFailures = 0;
  private lastRunAt: number | null = null;
  private lastSuccessAt: number | null = null;
  private lastError: string | null = null;
  private lastReport: ReconcileReport | null = null;

  constructor(options: ReconcilerOptions) {
    this.options = options;
  }

  /** Runs now and then every `intervalMs`; until the first run succeeds, retries sooner (WordPress starting). */
  start(): void {
    // Scheduled, the start-up pass too: with replicas, a replica (re)starting while another one ran a pass moments
    // ago has nothing to catch up on (the sidecar was not down).
    void this.runGuarded(true);
    this.interval = setInterval(() => void this.runGuarded(true), this.options.intervalMs ?? 60_000);
    this.interval.unref();
  }

  health(): ReconcilerHealth {
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
    return {
      interval_ms: this.options.intervalMs ?? 60_000,
      last_run_at: iso(this.lastRunAt),
      last_success_at: iso(this.lastSuccessAt),
      last_error: this.lastError,
      last_report: this.lastReport,
    };
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.retry);
  }

  private async runGuarded(scheduled = false): Promise<void> {
    const report = await this.run(scheduled);
    if (report === undefined && !this.succeededOnce) {
      this.startupFailures += 1;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.runGuarded(), Math.min(30_000, 1_000 * 2 ** Math.min(this.startupFailures, 5)));
      this.retry.unref();
    }
  }

  /**
   * One full pass; concurrent callers share it. Undefined when WordPress could not be asked. With replicas, a pass
   * another replica is running (or, `scheduled`, ran successfully within 90 % of the interval) is not run again here:
   * that resolves to the last report seen here (empty before the first), as the work is done.
   */
  run(scheduled = false): Promise<ReconcileReport | undefined> {
    if (this.running === undefined) {
      this.running = this.exclusivePass(scheduled)
        .then((outcome) => {
          if (!outcome.ran) {
            this.succeededOnce = true;
            return this.lastReport ?? { listed: 0, enqueued: 0, writebacks: 0 };
          }
          const report = outcome.value;
          this.lastRunAt = Date.now();
          if (report !== undefined) {
            this.lastSuccessAt = this.lastRunAt;
            this.lastReport = report;
            this.lastError = null;
          }
          return report;
        })
        .finally(() => {
          this.running = undefined;
        });
    }
    return this.running;
  }

  private async exclusivePass(scheduled: boolean): Promise<{ ran: true; value: ReconcileReport | undefined } | { ran: false }> {
    const exclusive = this.options.exclusive;
    if (exclusive === undefined) {
      return { ran: true, value: await this.pass() };
    }
    const outcome = await exclusive(() => this.pass(), scheduled ? Math.floor((this.options.intervalMs ?? 60_000) * 0.9) : 0).catch((error: unknown) => {
      // The store is unreachable: this pass did not run anywhere that we know of; the next one tries again.
      this.options.logger.error({ err: error }, 'reconcile: taking the replicas\' lock failed');
      this.lastError = 'The store could not be reached to take the reconcile lock.';
      return { ran: true as const, value: undefined };
    });
    if (!outcome.ran) {
      this.options.logger.debug('reconcile: another replica ran this pass');
    }
    return outcome;
  }

  private async pass(): Promise<ReconcileReport | undefined> {
    const { store, wordpress, site, worker, logger } = this.options;
    const report: ReconcileReport = { listed: 0, enqueued: 0, writebacks: 0 };
    let afterId = 0;
    try {
      for (let page = 0; page < MAX_PAGES; page++) {
        const [raw] = await wordpress.run([{ op: 'list_pending', limit: PAGE, after_id: afterId }]);
        const parsed = ListPendingResult.safeParse(raw);
        if (!parsed.success) {
          logger.warn('list_pending returned an unexpected shape');
          this.lastError = 'WordPress answered list_pending with an unexpected shape.';
          return undefined;
        }
        const result = parsed.data;
        if (result.site_uuid !== undefined) {
          const { modeChanged, siteChanged } = site.update(result.site_uuid, result.settings ?? site.settings(), {
            home_url: result.site?.home_url,
            timezone: result.site?.timezone,
            gmt_offset: result.site?.gmt_offset,
          });
          if (siteChanged) {
            await worker.forgetSite();
          }
          if (modeChanged === 'auto') {
            await store.releaseManual();
          }
        }
        const structure = this.options.structure;
        if (structure !== undefined) {
          for (const entry of result.term_changes) {
            const change = TermChange.safeParse(entry);
            if (!change.success) {
              continue;
            }
            report.listed += 1;
            const outcome = await structure.reconcileTerm(change.data);
            report.enqueued += outcome === 'enqueued' ? 1 : 0;
            report.writebacks += outcome === 'writeback' ? 1 : 0;
          }
          if (result.site?.structure_rev !== undefined) {
            await structure.observeRev(result.site.structure_rev);
          }
        }
        const { snapshots } = parseSnapshots([...result.pending, ...result.deleted]);
        for (const snapshot of snapshots) {
          report.listed += 1;
          const outcome = await this.reconcileOne(snapshot);
          if (outcome === 'enqueued') {
            report.enqueued += 1;
          } else if (outcome === 'writeback') {
            report.writebacks += 1;
          }
        }
        if (result.next_after_id === null || result.next_after_id === undefined || result.next_after_id <= afterId) {
          break;
        }
        afterId = result.next_after_id;
      }
    } catch (error) {
      logger.info({ reason: (error as Error).message }, 'reconcile: WordPress not reachable; will try again');
      this.lastError = `WordPress could not be reached: ${(error as Error).message}`;
      return undefined;
    }
    this.succeededOnce = true;
    if (report.enqueued > 0 || report.writebacks > 0) {
      logger.info(report, 'reconciled pending markers');
    }
    worker.kick();
    if (report.writebacks > 0) {
      worker.kickWriteback();
    }
    return report;
  }

  private async reconcileOne(snapshot: SyncSnapshot): Promise<'enqueued' | 'writeback' | 'known'> {
    const { store, site } = this.options;
    const job = await store.get(snapshot.post_id);
    if (job === undefined || compareSeq(snapshot.seq, job.seqWanted) > 0) {
      await store.record(snapshot, { manual: site.syncMode() === 'manual' });
      return 'enqueued';
    }
    if (job.state === 'synced' && job.seqSent !== null && compareSeq(snapshot.seq, job.seqSent) <= 0 && job.writeback === null) {
      await store.oweWriteback(snapshot.post_id, snapshot.seq);
      return 'writeback';
    }
    return 'known';
  }
}
