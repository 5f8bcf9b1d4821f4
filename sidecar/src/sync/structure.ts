/**
 * Site structure and taxonomy sync (SPEC §6, last bullet), carried by the same durable queue as status changes:
 *
 * - `structure` job (one row, key 0): the site-metadata payload of §4 pushed to
 *   `POST /api/v1/system/sites/{site_id}/import/` (`site_id` from `igny8_site_id`, else the first of
 *   `/auth/sites/`). Triggers: a successful connection (test connection, or the first delivery to a target that
 *   never had the structure), "Sync site structure" in settings (the route gathers the payload with a `site_info`
 *   round and enqueues it), and a new structure revision (the shim bumps it on post/term/plugin changes; every shim
 *   message and `list_pending` carries it), at most once per `minIntervalMs` (a day) after the last push, and not
 *   at all when the payload hashes the same as the last one pushed to that target. Automatic pushes read the
 *   structure through the internal `site_info` op (asynchronous: no PHP worker waits on it).
 * - `term` jobs (key −term id): a reported taxonomy change (WordPress recorded it in its term outbox first), sent to
 *   `POST /api/v1/integration/webhooks/wordpress/metadata/`; latest state per term; the outbox entry is cleared
 *   with `clear_term_change` (compare-and-clear) once IGNY8 has it.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { Igny8Client } from '../adapters/igny8-client.ts';
import type { QueueStore } from '../adapters/queue-store.ts';
import { STRUCTURE_KEY, termKey, type SyncJob } from '../adapters/sync-store.ts';
import type { WordPressOps } from '../adapters/wp-internal-client.ts';
import { toSiteMetadata, type SiteMetadata } from '../handlers/site-metadata.ts';
import { compareSeq, nextSeq, Seq } from './snapshot.ts';
import type { Logger } from '../logger.ts';
import { opFailure, phpInt, SiteInfoResult } from '../protocol/messages.ts';
import type { CredentialVault } from './credential-vault.ts';
import type { SiteState } from './site-state.ts';
import type { SiteValues } from './site-values.ts';

export const DEFAULT_STRUCTURE_INTERVAL_MS = 24 * 3_600_000;

const STATE_KEY = 'structure_push';

export type StructureReason = 'connect' | 'manual' | 'auto';

/** What the sidecar remembers about structure pushes (kv `structure_push`). */
export interface StructurePushState {
  /** sha256 of the last payload IGNY8 accepted, and the target (base URL + site id) it went to. */
  hash?: string;
  target?: string;
  /** When the last push was accepted (ms). */
  pushedAt?: number;
  /** The structure revision last seen. */
  seenRev?: number;
  /** The site id `/auth/sites/` gave, per base URL. */
  siteIds?: Record<string, string>;
}

/** A term change as the shim records it (events body and `list_pending.term_changes`). */
export const TermChange = z.object({
  kind: z.literal('term').optional(),
  term_id: phpInt.pipe(z.int().positive()),
  seq: Seq,
  event: z.enum(['term_created', 'term_renamed', 'term_deleted']),
  taxonomy: z.string().min(1).max(64),
  name: z.string().max(400),
  slug: z.string().max(400),
  igny8_id: z.union([z.int(), z.string().max(100), z.null()]).optional().transform((v) => v ?? null),
});
export type TermChange = z.infer<typeof TermChange>;

/** What the background sync services share: the queue, both outside worlds, the site, the credentials. */
export interface SyncParts {
  store: QueueStore;
  /** The site's key/value state, read from memory (site-values.ts). */
  values: SiteValues;
  client: Igny8Client;
  wordpress: WordPressOps;
  site: SiteState;
  vault: CredentialVault;
  logger: Logger;
  clock?: () => number;
}

export interface StructureSyncOptions extends SyncParts {
  minIntervalMs?: number;
}

/** Outcome of a structure delivery. */
export type StructureOutcome = 'pushed' | 'unchanged';

/** Canonical JSON (sorted keys), so equal structures hash equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonical).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function structureHash(metadata: SiteMetadata): string {
  return createHash('sha256').update(canonical(metadata)).digest('hex');
}

/** How often afterConnected reads the store while the first push of a target is on its way. */
const CONNECT_CHECK_MS = 1_000;

export class StructureSync {
  readonly minIntervalMs: number;
  private readonly options: StructureSyncOptions;
  private readonly clock: () => number;
  /** Wakes the worker (wired by the composition root). */
  kick: () => void = () => undefined;
  /** When afterConnected last looked for the first push of a target. */
  private connectChecked: { target: string; at: number } | undefined;

  constructor(options: StructureSyncOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_STRUCTURE_INTERVAL_MS;
  }

  state(): StructurePushState {
    return this.options.values.getJson<StructurePushState>(STATE_KEY) ?? {};
  }

  private save(patch: Partial<StructurePushState>): void {
    this.options.values.setJson(STATE_KEY, { ...this.state(), ...patch });
  }

  /** Where a push goes: base URL + configured site id (a new target has not had the structure yet). */
  targetKey(): string {
    return `${this.options.site.baseUrl() ?? ''}|${this.configuredSiteId() ?? ''}`;
  }

  private configuredSiteId(): string | undefined {
    const raw = this.options.site.settings().igny8_site_id;
    const id = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    return id === '' ? undefined : id;
  }

  /** When the next automatic push may go out. */
  nextAutoAt(): number {
    const pushedAt = this.state().pushedAt;
    return pushedAt === undefined ? this.clock() : Math.max(this.clock(), pushedAt + this.minIntervalMs);
  }

  /**
   * The shim reported a structure revision. A new one schedules the automatic push for the daily slot (nothing
   * before the first successful connection pushed the structure: that push carries it).
   */
  async observeRev(rev: number): Promise<void> {
    const state = this.state();
    if (state.seenRev === rev) {
      return;
    }
    if (state.pushedAt === undefined) {
      this.save({ seenRev: rev });
      return;
    }
    const { store } = this.options;
    const existing = await store.get(STRUCTURE_KEY);
    const waiting = existing !== undefined && (existing.state === 'pending' || existing.state === 'in_flight' || existing.state === 'pending_manual');
    if (waiting && existing.payload?.reason !== 'auto') {
      // A connect or manual push is on its way and reads the structure when it goes; look again afterwards.
      return;
    }
    const dueAt = this.nextAutoAt();
    await store.recordJob(STRUCTURE_KEY, 'structure', nextSeq(existing?.seqWanted ?? '0'), { reason: 'auto', rev }, { dueAt });
    this.save({ seenRev: rev });
    this.options.logger.info({ rev, due_in_ms: dueAt - this.clock() }, 'site structure changed: push scheduled');
    this.kick();
  }

  /** A push now (connection made, "Sync site structure"); `metadata` when the caller gathered it already. */
  async request(reason: Exclude<StructureReason, 'auto'>, metadata?: SiteMetadata): Promise<SyncJob | undefined> {
    const { store } = this.options;
    const existing = await store.get(STRUCTURE_KEY);
    await store.recordJob(STRUCTURE_KEY, 'structure', nextSeq(existing?.seqWanted ?? '0'), { reason, ...(metadata === undefined ? {} : { metadata }) }, { force: true });
    this.kick();
    return store.get(STRUCTURE_KEY);
  }

  /** After a delivery to IGNY8 succeeded: a target that never had the structure gets it (first login). */
  async afterConnected(): Promise<void> {
    const state = this.state();
    const target = this.targetKey();
    if (state.target === target) {
      return;
    }
    // Every delivery ends here until the first push went out: the store is read at most once a second per target
    // for it, not once per delivery (a site's first backlog would pay one read per job).
    const now = this.clock();
    if (this.connectChecked?.target === target && now - this.connectChecked.at < CONNECT_CHECK_MS) {
      return;
    }
    this.connectChecked = { target, at: now };
    const existing = await this.options.store.get(STRUCTURE_KEY);
    if (existing !== undefined && (existing.state === 'pending' || existing.state === 'in_flight')) {
      return;
    }
    await this.request('connect');
  }

  /** Records a term change from the shim (coalesced: the latest state per term wins). */
  async recordTerm(change: TermChange): Promise<boolean> {
    const outcome = await this.options.store.recordJob(termKey(change.term_id), 'term', change.seq, { ...change, kind: 'term' }, {
      manual: this.options.site.syncMode() === 'manual',
    });
    return outcome === 'new' || outcome === 'updated';
  }

  /** Reconciler: a term outbox entry WordPress still holds. */
  async reconcileTerm(change: TermChange): Promise<'enqueued' | 'writeback' | 'known'> {
    const { store } = this.options;
    const key = termKey(change.term_id);
    const job = await store.get(key);
    if (job === undefined || compareSeq(change.seq, job.seqWanted) > 0) {
      await this.recordTerm(change);
      return 'enqueued';
    }
    if (job.state === 'synced' && job.seqSent !== null && compareSeq(change.seq, job.seqSent) <= 0 && job.writeback === null) {
      await store.oweWriteback(key, change.seq);
      return 'writeback';
    }
    return 'known';
  }

  // ------------------------------------------------------------------ deliveries (called by the worker)

  private async readStructure(payload: Record<string, unknown> | null): Promise<SiteMetadata> {
    const given = payload?.metadata;
    if (given !== undefined && given !== null && typeof given === 'object') {
      return given as SiteMetadata;
    }
    const [result] = await this.options.wordpress.run([{ op: 'site_info' }]);
    const failure = opFailure(result);
    if (failure !== undefined) {
      throw new Error(`Reading the site structure failed: ${failure.error.message}`);
    }
    const parsed = SiteInfoResult.safeParse(result);
    if (!parsed.success) {
      throw new Error('site_info returned an unexpected shape.');
    }
    return toSiteMetadata(parsed.data);
  }

  /** The IGNY8 site id pushes go to without asking IGNY8: the configured one, else the one `/auth/sites/` gave. */
  knownSiteId(baseUrl: string | undefined): string | undefined {
    return this.configuredSiteId() ?? (baseUrl === undefined ? undefined : this.state().siteIds?.[baseUrl]);
  }

  private async siteId(baseUrl: string): Promise<string | undefined> {
    const known = this.knownSiteId(baseUrl);
    if (known !== undefined) {
      return known;
    }
    const found = await this.options.client.firstSiteId(baseUrl, this.options.vault.credentials(), this.options.site.target());
    if (found !== undefined) {
      this.save({ siteIds: { ...this.state().siteIds, [baseUrl]: found } });
    }
    return found;
  }

  /** Pushes the structure (skipped when IGNY8 already has exactly this one, unless asked by hand). */
  async deliverStructure(job: SyncJob, baseUrl: string): Promise<StructureOutcome | { park: string }> {
    const reason = (job.payload?.reason as StructureReason | undefined) ?? 'auto';
    const metadata = await this.readStructure(job.payload);
    const hash = structureHash(metadata);
    const target = this.targetKey();
    const state = this.state();
    if (reason !== 'manual' && state.hash === hash && state.target === target) {
      this.options.logger.info({ reason }, 'site structure unchanged: nothing pushed');
      return 'unchanged';
    }
    const siteId = await this.siteId(baseUrl);
    if (siteId === undefined) {
      return { park: 'IGNY8 lists no site for this account: set the IGNY8 site id in Settings → IGNY8.' };
    }
    await this.options.client.importSite(baseUrl, this.options.vault.credentials(), this.options.site.target(), siteId, metadata);
    this.save({ hash, target, pushedAt: this.clock() });
    this.options.logger.info({ reason, site_id: siteId }, 'site structure pushed to IGNY8');
    return 'pushed';
  }

  /** Sends a term change to IGNY8's metadata webhook. */
  async deliverTerm(job: SyncJob, baseUrl: string): Promise<void> {
    const change = TermChange.parse(job.payload);
    await this.options.client.sendMetadata(baseUrl, this.options.vault.credentials(), this.options.site.target(), {
      event: change.event,
      taxonomy: change.taxonomy,
      term_id: change.term_id,
      name: change.name,
      slug: change.slug,
      igny8_id: change.igny8_id,
      site_url: this.options.site.current()?.site.home_url ?? null,
    });
  }

  /** After a structure job completed: a newer automatic change waits for its daily slot. */
  async afterStructureDone(): Promise<void> {
    const job = await this.options.store.get(STRUCTURE_KEY);
    if (job !== undefined && job.state === 'pending' && job.payload?.reason === 'auto') {
      await this.options.store.reschedule(STRUCTURE_KEY, this.nextAutoAt());
    }
  }
}
