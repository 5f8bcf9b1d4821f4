/**
 * Prometheus metrics of the sync (issue #16 docs: "which metrics to watch"), with prom-client.
 *
 * - Delivery outcomes and attempt durations are counted in this process as the worker records each attempt (the
 *   activity sink is teed: `countDeliveries`). Each replica counts its own; Prometheus sums them.
 * - Queue depth and circuit states are read at scrape time from the store (`QueueSnapshotSource`). On PostgreSQL
 *   the source reads the shared tables, so every replica reports the same, whole-deployment numbers (aggregate
 *   with max(), not sum()); on SQLite it is the one site's file.
 *
 * Site ids appear as a label only where a site needs attention (circuit open, jobs waiting), so a deployment of many
 * quiet sites exports few series.
 */
import { createRequire } from 'node:module';

import type * as PromClient from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';

import type { ActivityEntry, ActivitySink } from '../adapters/activity-log.ts';
import type { QueueCounts } from '../adapters/sync-store.ts';

/**
 * prom-client, loaded on first use (a synchronous require of its CommonJS build): a sidecar that serves no
 * /metrics and has delivered nothing yet never loads it (issue #15: RSS at idle ≤ 70 MiB; prom-client cost ~5 MiB).
 */
let promClient: typeof PromClient | undefined;
function prom(): typeof PromClient {
  promClient ??= createRequire(import.meta.url)('prom-client') as typeof PromClient;
  return promClient;
}

export const DELIVERY_OUTCOMES = ['delivered', 'failed', 'parked', 'dead'] as const;

/** What the queue looks like now, across the sites this source sees. */
export interface QueueSnapshot {
  /** Post jobs per state, summed over the sites. */
  byState: QueueCounts;
  /** Sites with post jobs waiting (pending + in flight): how many, and the oldest wait. */
  waiting: Array<{ siteId: string; jobs: number; oldestWaitingSeconds: number | null }>;
  /** Sites whose circuit breaker is open (the IGNY8 login refused: nothing is sent until new credentials). */
  circuitOpen: string[];
  /** Sites known to this source. */
  sites: number;
}

export interface QueueSnapshotSource {
  snapshot(): Promise<QueueSnapshot>;
}

/** The process's delivery counters: one set per process, teed in by every site's sync (sync/create-sync.ts). */
export class DeliveryMetrics {
  readonly registry: Registry;
  readonly outcomes: Counter<'outcome' | 'kind'>;
  readonly duration: Histogram<'outcome' | 'kind'>;

  constructor() {
    const { Counter, Histogram, Registry } = prom();
    this.registry = new Registry();
    this.outcomes = new Counter({
      name: 'igny8_sync_deliveries_total',
      help: 'Delivery attempts to IGNY8 by outcome (delivered, failed = will retry, parked = needs a person, dead = gave up) and job kind.',
      labelNames: ['outcome', 'kind'],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: 'igny8_sync_delivery_duration_seconds',
      help: 'Time of one delivery attempt, from its claim to its result (IGNY8 calls included).',
      labelNames: ['outcome', 'kind'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    for (const outcome of DELIVERY_OUTCOMES) {
      this.outcomes.inc({ outcome, kind: 'status' }, 0);
    }
  }

  observe(entry: ActivityEntry): void {
    if (entry.direction !== 'out') {
      return;
    }
    const labels = { outcome: entry.outcome, kind: entry.kind };
    this.outcomes.inc(labels);
    if (typeof entry.durationMs === 'number' && entry.durationMs >= 0) {
      this.duration.observe(labels, entry.durationMs / 1000);
    }
  }
}

let processMetrics: DeliveryMetrics | undefined;

/** The one set of this process (every site's worker counts into it), made on first use. */
export function processDeliveryMetrics(): DeliveryMetrics {
  processMetrics ??= new DeliveryMetrics();
  return processMetrics;
}

/** The worker's activity sink, also counting each delivery attempt. */
export function countDeliveries(inner: ActivitySink, metrics?: DeliveryMetrics): ActivitySink {
  return {
    record(entry) {
      // A delivery attempt is an outgoing entry: only those make the process's counters (and load prom-client).
      if (entry.direction === 'out') {
        (metrics ?? processDeliveryMetrics()).observe(entry);
      }
      inner.record(entry);
    },
  };
}

/** Queue depth and circuit gauges, read from `source` at every scrape. */
export function queueGauges(source: QueueSnapshotSource): Registry {
  const { Gauge, Registry } = prom();
  const registry = new Registry();
  let pending: Promise<QueueSnapshot> | undefined;
  // One read of the store per scrape, shared by the gauges below (their collect() run together).
  const read = (): Promise<QueueSnapshot> => {
    pending ??= source.snapshot().finally(() => {
      setImmediate(() => {
        pending = undefined;
      });
    });
    return pending;
  };
  new Gauge({
    name: 'igny8_sync_queue_jobs',
    help: 'Post sync jobs by state (pending = due or scheduled, in_flight = being delivered, failed/dead = need a person).',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { byState } = await read();
      for (const [state, n] of Object.entries(byState)) {
        this.set({ state }, n);
      }
    },
  });
  new Gauge({
    name: 'igny8_sync_site_waiting_jobs',
    help: 'Post jobs waiting (pending + in flight) per site that has any.',
    labelNames: ['site'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const site of (await read()).waiting) {
        this.set({ site: site.siteId }, site.jobs);
      }
    },
  });
  new Gauge({
    name: 'igny8_sync_site_oldest_waiting_seconds',
    help: 'Age of the oldest change still waiting for delivery, per site that has one.',
    labelNames: ['site'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const site of (await read()).waiting) {
        if (site.oldestWaitingSeconds !== null) {
          this.set({ site: site.siteId }, site.oldestWaitingSeconds);
        }
      }
    },
  });
  new Gauge({
    name: 'igny8_sync_circuit_open',
    help: 'Circuit breaker per site: 1 = open (IGNY8 refused the login; nothing is sent until new credentials are saved). Only open ones are listed.',
    labelNames: ['site'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const site of (await read()).circuitOpen) {
        this.set({ site }, 1);
      }
    },
  });
  new Gauge({
    name: 'igny8_sync_sites',
    help: 'Sites known to the store, and how many have the circuit breaker open.',
    labelNames: ['circuit'],
    registers: [registry],
    async collect() {
      const snapshot = await read();
      this.set({ circuit: 'any' }, snapshot.sites);
      this.set({ circuit: 'open' }, snapshot.circuitOpen.length);
    },
  });
  return registry;
}

/** Everything `/metrics` serves: the queue gauges, this process's delivery counters, Node's process metrics. */
export function metricsRegistry(source: QueueSnapshotSource, delivery: DeliveryMetrics = processDeliveryMetrics()): Registry {
  const { collectDefaultMetrics, Registry } = prom();
  const processRegistry = new Registry();
  collectDefaultMetrics({ register: processRegistry, prefix: 'igny8_sidecar_' });
  return Registry.merge([queueGauges(source), delivery.registry, processRegistry]) as Registry;
}
