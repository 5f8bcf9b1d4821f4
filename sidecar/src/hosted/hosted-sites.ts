/**
 * The sites of a multi-site sidecar (issue #16 §1): for each enrolled, active site its own sync runtime (queue rows
 * and key/value state scoped by its site id in PostgreSQL, its circuit breaker, its IGNY8 credentials sealed under
 * its id, its worker) and its own request pipeline (its key ring; its replay ledger and rate limits, in PostgreSQL so
 * that every replica shares them). Opened on the site's first request or when it has work due, kept in a bounded
 * least-recently-used set.
 *
 * Every request asks the registry for the site's record (one indexed query), so a disabled or removed site is
 * refused at once and a rotated secret is picked up on its next request. Each site's worker has its own delivery
 * slots, so a site with thousands of pending jobs takes nothing from a quiet one.
 */
import { join } from 'node:path';

import type { RequestHandler } from 'express';

import type { PgDatabase } from '../adapters/pg-store.ts';
import type { SiteRecord, SiteRegistry } from '../adapters/site-registry.ts';
import type { WordPressOps } from '../adapters/wp-internal-client.ts';
import type { MultiSiteConfig } from '../config.ts';
import type { AppError } from '../contract/errors.ts';
import { shimPipeline, type AppDeps } from '../http/app.ts';
import type { SiteDirectory } from '../http/multi-site-app.ts';
import type { Logger } from '../logger.ts';
import { decodeSecret, KeyRing } from '../protocol/keys.ts';
import { SITE_ID_PATTERN, SitePin } from '../protocol/site-pin.ts';
import { isSharedStore } from '../adapters/queue-store.ts';
import { createSync, type SyncRuntime } from '../sync/create-sync.ts';
import { DEFAULT_WORKER_POLICY } from '../sync/worker.ts';

export interface HostedSitesOptions {
  config: Pick<MultiSiteConfig, 'dataDir' | 'sync' | 'rateLimitPerMin' | 'maxOpenSites'>;
  db: PgDatabase;
  registry: Pick<SiteRegistry, 'activeSite' | 'rotateSecret'>;
  logger: Logger;
  clock?: () => number;
  fetch?: typeof fetch;
  /** WordPress internal ops of one site (tests); default: the signed HTTP client for the site's URL. */
  wordpress?: (site: SiteRecord) => WordPressOps;
  /** Replacement parts of each site's pipeline (tests: route handlers). */
  appDeps?: Partial<Pick<AppDeps, 'routeHandlers' | 'version' | 'replayCache'>>;
  /** How often sites with due work are looked for (default 5 s). */
  sweepIntervalMs?: number;
  onCatastrophic?: (error: AppError) => void;
}

export interface OpenSite {
  siteId: string;
  keyId: string;
  wpUrl: string;
  keyRing: KeyRing;
  sync: SyncRuntime;
  pipeline: RequestHandler;
}

export class HostedSites implements SiteDirectory {
  private readonly options: HostedSitesOptions;
  /** Insertion order is recency: a used site is moved to the end, the first one is closed when over the bound. */
  private readonly open = new Map<string, Promise<OpenSite>>();
  private sweepTimer: NodeJS.Timeout | undefined;
  /** When each site's pending rows were last checked for a lost wake-up. */
  private readonly orphanChecks = new Map<string, number>();
  private sweeping: Promise<void> | undefined;
  private closed = false;

  constructor(options: HostedSitesOptions) {
    this.options = options;
  }

  async pipeline(sid: string): Promise<RequestHandler | undefined> {
    const site = await this.site(sid);
    return site?.pipeline;
  }

  /** The open runtime of an active site (opening it if needed); undefined, and closed, for any other id. */
  async site(sid: string): Promise<OpenSite | undefined> {
    if (this.closed || !SITE_ID_PATTERN.test(sid)) {
      return undefined;
    }
    const found = await this.options.registry.activeSite(sid);
    if (found === undefined) {
      await this.closeSite(sid);
      return undefined;
    }
    return this.ensure(found.site, found.secret);
  }

  /** The sites open now (tests, metrics). */
  openSiteIds(): string[] {
    return [...this.open.keys()];
  }

  /** Looks for sites with due work every `sweepIntervalMs` (and now), so a site's queue drains with no request from it. */
  start(): void {
    const interval = this.options.sweepIntervalMs ?? 5_000;
    const tick = () => {
      this.sweeping ??= this.sweep().finally(() => {
        this.sweeping = undefined;
      });
    };
    this.sweepTimer = setInterval(tick, interval);
    this.sweepTimer.unref();
    tick();
  }

  /**
   * The replica sweep of every site in one pass (sync/replica-link.ts does it per site for a single-site process):
   * in-flight rows of any site whose lease ran out (a replica died) are pending again, then every active site with a
   * job due now is opened (up to the open bound) or kicked, and its pending rows that lost their wake-up with a dead
   * process are woken again (at most once per lease).
   */
  async sweep(): Promise<void> {
    try {
      const clock = this.options.clock ?? Date.now;
      const leaseMs = this.options.config.sync.leaseMs ?? DEFAULT_WORKER_POLICY.leaseMs;
      const recovered = await this.options.db.recoverExpiredLeases(clock());
      if (recovered > 0) {
        this.options.logger.warn({ recovered }, 'sync: jobs whose lease ran out (a replica stopped mid-delivery) are pending again');
      }
      const due = await this.options.db.sitesWithDueWork(clock(), this.options.config.maxOpenSites);
      for (const sid of due) {
        const site = await (this.open.get(sid) ?? this.site(sid)).catch(() => undefined);
        if (site === undefined) {
          continue;
        }
        if (clock() - (this.orphanChecks.get(sid) ?? 0) >= leaseMs && isSharedStore(site.sync.store)) {
          this.orphanChecks.set(sid, clock());
          const woken = await site.sync.store.recoverOrphans(leaseMs);
          if (woken > 0) {
            this.options.logger.warn({ site_id: sid, woken }, 'sync: pending jobs without a wake-up (a replica stopped while claiming) woken again');
          }
        }
        site.sync.worker.kick();
      }
    } catch (error) {
      this.options.logger.error({ err: error }, 'looking for sites with due sync work failed; retrying at the next sweep');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    await this.sweeping;
    await Promise.all([...this.open.keys()].map((sid) => this.closeSite(sid)));
  }

  private async ensure(record: SiteRecord, secret: string): Promise<OpenSite> {
    const pending = this.open.get(record.siteId);
    if (pending !== undefined) {
      const site = await pending.catch(() => undefined);
      if (site !== undefined && site.keyId === record.keyId && site.wpUrl === record.wpUrl) {
        this.open.delete(record.siteId);
        this.open.set(record.siteId, pending);
        return site;
      }
      // A rotated secret or a moved site: the old keys must stop verifying at once.
      if (this.open.get(record.siteId) === pending) {
        await this.closeSite(record.siteId);
      }
      const reopened = this.open.get(record.siteId);
      if (reopened !== undefined) {
        return this.ensure(record, secret);
      }
    }
    const opening = this.openSite(record, secret);
    this.open.set(record.siteId, opening);
    opening.catch(() => {
      if (this.open.get(record.siteId) === opening) {
        this.open.delete(record.siteId);
      }
    });
    const site = await opening;
    await this.evict();
    return site;
  }

  private async evict(): Promise<void> {
    while (this.open.size > this.options.config.maxOpenSites) {
      const oldest = this.open.keys().next().value as string;
      this.options.logger.debug({ site_id: oldest }, 'closing the least recently used site');
      await this.closeSite(oldest);
    }
  }

  /** Closes a site's runtime (it reopens on its next request or due job). */
  async closeSite(sid: string): Promise<void> {
    const pending = this.open.get(sid);
    if (pending === undefined) {
      return;
    }
    this.open.delete(sid);
    const site = await pending.catch(() => undefined);
    await site?.sync.close();
  }

  private async openSite(record: SiteRecord, secret: string): Promise<OpenSite> {
    const { config, db } = this.options;
    const clock = this.options.clock ?? Date.now;
    const logger = this.options.logger.child({ site_id: record.siteId });
    // The keys are bound to the site id (pinned) and derived from this site's own secret.
    const keyRing = new KeyRing({ current: decodeSecret(secret), site: new SitePin({ configured: record.siteId }) });
    const store = db.site(record.siteId, clock);
    const sync = await createSync({
      config: { dataDir: join(config.dataDir, 'sites', record.siteId), wpUrl: record.wpUrl, sync: config.sync },
      store,
      keepStore: true,
      ownSweep: false, // sweep() below, for every open site at once
      keyRing,
      logger,
      clock,
      ...(this.options.fetch === undefined ? {} : { fetch: this.options.fetch }),
      ...(this.options.wordpress === undefined ? {} : { wordpress: this.options.wordpress(record) }),
    });
    const pipeline = shimPipeline({
      logger,
      keyRing,
      sync: sync.service,
      activity: sync.activity,
      // Seen jtis and rate limits in PostgreSQL: a token served by one replica is a replay on every other, and the
      // site's limit holds across them (adapters/pg-guards.ts).
      ...store.requestGuards(config.rateLimitPerMin),
      clock,
      rotateSecret: (newKeyId, newSecret) => this.options.registry.rotateSecret(record.siteId, newKeyId, newSecret),
      // A token under an unknown kid may be another site's naming this one: its refusal names no key id of this site.
      revealKeyId: false,
      ...(this.options.onCatastrophic === undefined ? {} : { onCatastrophic: this.options.onCatastrophic }),
      ...this.options.appDeps,
    });
    sync.service.start();
    logger.info('site opened');
    return { siteId: record.siteId, keyId: record.keyId, wpUrl: record.wpUrl, keyRing, sync, pipeline };
  }
}
