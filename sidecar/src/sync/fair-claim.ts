/**
 * Fair delivery across sites (issue #16 §1): one claim turn per site in round-robin order, so a site with thousands
 * of pending jobs takes one slot per round and a quiet site's job waits at most one round, whatever the backlog.
 * Each site's store applies its own limits through `exclude` (its rate limit and circuit breaker).
 */
import type { QueueStore } from '../adapters/queue-store.ts';
import type { SyncJob } from '../adapters/sync-store.ts';

export interface SiteQueue {
  siteId: string;
  store: QueueStore;
  exclude?: (job: SyncJob) => boolean;
}

export class FairClaimer {
  private next = 0;

  /** Claims the next job, trying each site at most once, starting after the site served last. */
  async claim(sites: readonly SiteQueue[], leaseMs: number): Promise<{ siteId: string; job: SyncJob } | undefined> {
    for (let tried = 0; tried < sites.length; tried++) {
      const index = (this.next + tried) % sites.length;
      const site = sites[index] as SiteQueue;
      const job = await site.store.claimNext(leaseMs, site.exclude);
      if (job !== undefined) {
        this.next = index + 1;
        return { siteId: site.siteId, job };
      }
    }
    return undefined;
  }
}
