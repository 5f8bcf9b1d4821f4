/**
 * The sync service: one object that owns the queue, the worker, the reconciler, the credentials and the IGNY8
 * client, and offers what the HTTP layer and the route handlers need (record events, state per post, Sync now,
 * settings secrets, connection test, /status counters).
 */
import { Igny8Error, type ConnectionReport, type Igny8Client } from '../adapters/igny8-client.ts';
import type { QueueStore } from '../adapters/queue-store.ts';
import { briefKey, type SyncJob } from '../adapters/sync-store.ts';
import { activeStatusMap, wpToIgny8 } from '../mapping/status-map.ts';
import { DELETED_IGNY8_STATUS } from './payload.ts';
import { DELETED_STATUS, maxSeq, nextSeq, parseSnapshots, timeSeq, type SyncSnapshot } from './snapshot.ts';
import type {
  BriefFetchView,
  ConnectionTestResult,
  ConnectionView,
  SettingsPort,
  SettingsSecrets,
  StoredCredentialFacts,
  SyncPort,
  OperationsHealth,
  SyncStateView,
} from './ports.ts';
import type { ConnectionState, SyncQueueStats } from '../handlers/status.ts';
import type { Logger } from '../logger.ts';
import type { JsonObject, ShimContext } from '../protocol/messages.ts';
import type { CredentialVault } from './credential-vault.ts';
import type { Reconciler } from './reconciler.ts';
import { ResyncJob } from './resync.ts';
import type { SiteState } from './site-state.ts';
import type { SiteValues } from './site-values.ts';
import { TermChange, type StructureSync } from './structure.ts';
import type { SyncWorker } from './worker.ts';
import type { SiteMetadata } from '../handlers/site-metadata.ts';

const CONNECTION_KEY = 'connection';
const STAGE_TTL_MS = 120_000;

export interface SyncServiceOptions {
  store: QueueStore;
  values: SiteValues;
  site: SiteState;
  vault: CredentialVault;
  worker: SyncWorker;
  reconciler: Reconciler;
  client: Igny8Client;
  /** Site structure pushes and taxonomy changes (SPEC §6). */
  structure?: StructureSync;
  logger: Logger;
  sidecarKid: string;
  clock?: () => number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export class SyncService implements SyncPort, SettingsPort, SyncQueueStats, ConnectionState {
  private readonly options: SyncServiceOptions;
  private readonly clock: () => number;
  readonly resync: ResyncJob;

  constructor(options: SyncServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.resync = new ResyncJob({ store: options.store, values: options.values, kick: () => options.worker.kick(), clock: this.clock });
  }

  /** Connection reports from the IGNY8 client land here (wired by the composition root). */
  static connectionSink(values: SiteValues): (report: ConnectionReport) => void {
    return (report) => {
      const previous = values.getJson<ConnectionReport>(CONNECTION_KEY);
      // Success reports come with every delivery: persist only when something changes (or hourly).
      if (previous?.state !== report.state || previous.last_error !== report.last_error || Date.parse(report.checked_at ?? '') - Date.parse(previous.checked_at ?? '') > 3_600_000) {
        values.setJson(CONNECTION_KEY, report);
      }
    };
  }

  start(): void {
    this.options.reconciler.start();
    this.options.worker.kick();
    this.options.worker.kickWriteback();
  }

  async stop(): Promise<void> {
    this.options.reconciler.stop();
    await this.options.worker.stop();
  }

  // ------------------------------------------------------------------ shim traffic

  /** Every verified shim message carries the site's settings: keep them for the worker. */
  async observe(sid: string, ctx: ShimContext): Promise<void> {
    const baseUrlBefore = this.options.site.baseUrl();
    const { modeChanged, siteChanged, settingsChanged } = this.options.site.update(sid, ctx.settings, {
      home_url: ctx.site.home_url,
      timezone: ctx.site.timezone,
      gmt_offset: ctx.site.gmt_offset,
    });
    if (siteChanged) {
      await this.options.worker.forgetSite();
    }
    if (settingsChanged && this.options.site.baseUrl() !== baseUrlBefore && this.options.worker.paused() !== undefined) {
      // Another base URL (or the old one restored): credentials bound to it may apply again. If they do not, the
      // first delivery pauses the sync again without sending anything (igny8-client.ts checkBinding).
      await this.options.worker.resume();
    }
    if (settingsChanged && (await this.options.store.requeueParked('config')) + (await this.options.store.requeueParked('no_task')) > 0) {
      // Jobs parked for the configuration (no base URL, connection disabled, a target that needs a task id) get
      // another chance with the new one.
      this.options.worker.kick();
    }
    if (typeof ctx.site.structure_rev === 'number') {
      await this.options.structure?.observeRev(ctx.site.structure_rev);
    }
    if (modeChanged === 'auto') {
      const released = await this.options.store.releaseManual();
      if (released > 0) {
        this.options.worker.kick();
      }
    } else if (modeChanged === 'manual') {
      await this.options.store.holdPending();
    }
  }

  /** `POST /_shim/events`: record each snapshot (coalesced) and wake the worker. */
  async recordEvents(events: readonly unknown[]): Promise<{ accepted: number; rejected: number }> {
    const posts: unknown[] = [];
    let accepted = 0;
    let rejectedOther = 0;
    for (const event of events) {
      const kind = (event as { kind?: unknown } | null)?.kind;
      if (kind === 'term') {
        const change = TermChange.safeParse(event);
        if (change.success && this.options.structure !== undefined) {
          accepted += (await this.options.structure.recordTerm(change.data)) ? 1 : 0;
        } else {
          rejectedOther += 1;
        }
      } else if (kind === 'structure') {
        const rev = (event as { structure_rev?: unknown }).structure_rev;
        if (typeof rev === 'number') {
          await this.options.structure?.observeRev(rev);
        }
      } else {
        posts.push(event);
      }
    }
    const parsed = parseSnapshots(posts);
    const { snapshots } = parsed;
    const rejected = parsed.rejected + rejectedOther;
    const manual = this.options.site.syncMode() === 'manual';
    // One batch for the whole notify (PostgreSQL: one statement and one wake-up insert, not one of each per event).
    for (const outcome of snapshots.length === 0 ? [] : await this.options.store.recordMany(snapshots, { manual })) {
      if (outcome === 'new' || outcome === 'updated') {
        accepted += 1;
      }
    }
    if (accepted > 0) {
      this.options.worker.kick();
    }
    if (rejected > 0) {
      this.options.logger.warn({ rejected }, 'sync events with an unexpected shape were ignored');
    }
    return { accepted, rejected };
  }

  // ------------------------------------------------------------------ SyncPort

  syncMode(): 'auto' | 'manual' {
    return this.options.site.syncMode();
  }

  private view(job: SyncJob): SyncStateView {
    return {
      post_id: job.postId,
      state: job.state,
      attempts: job.attempts,
      last_error: job.lastError,
      next_retry_at: job.state === 'pending' && job.attempts > 0 ? iso(job.nextAttemptAt) : null,
      last_synced_at: iso(job.lastSyncedAt),
      updated_at: iso(job.updatedAt),
      sync_mode: this.syncMode(),
      wordpress_status: job.snapshot.wordpress_status,
      igny8_status:
        job.snapshot.wordpress_status === DELETED_STATUS
          ? DELETED_IGNY8_STATUS
          : wpToIgny8(activeStatusMap(this.options.site.settings()), job.snapshot.wordpress_status),
    };
  }

  async state(postId: number): Promise<SyncStateView | undefined> {
    const job = await this.options.store.get(postId);
    return job === undefined ? undefined : this.view(job);
  }

  async notice(snapshot: SyncSnapshot): Promise<void> {
    const outcome = await this.options.store.record(snapshot, { manual: this.syncMode() === 'manual' });
    if (outcome === 'new' || outcome === 'updated') {
      this.options.worker.kick();
    }
  }

  async recordPublished(snapshot: Omit<SyncSnapshot, 'seq'>): Promise<void> {
    const job = await this.options.store.get(snapshot.post_id);
    const seq = maxSeq(nextSeq(job?.seqWanted ?? '0'), timeSeq(this.clock()));
    const outcome = await this.options.store.record({ ...snapshot, seq }, { manual: this.syncMode() === 'manual' });
    if (outcome === 'new' || outcome === 'updated') {
      this.options.worker.kick();
    }
    if (snapshot.task_id !== null) {
      await this.requestBrief(snapshot.post_id, snapshot.task_id);
    }
  }

  async supersedeContent(postId: number): Promise<void> {
    const job = await this.options.store.get(postId);
    // Nothing queued: no job, not a post job, no edit in it, or the edit was delivered before the republish.
    if (job === undefined || job.kind !== 'post' || job.snapshot.content === null || job.snapshot.content === undefined || job.state === 'synced') {
      return;
    }
    const seq = maxSeq(nextSeq(job.seqWanted), timeSeq(this.clock()));
    const snapshot: SyncSnapshot = { ...job.snapshot, seq, content: null, content_superseded: true };
    const manual = job.state === 'pending_manual' || this.syncMode() === 'manual';
    const outcome = await this.options.store.record(snapshot, { manual });
    this.options.logger.info({ post_id: postId, seq, outcome }, 'IGNY8 republished the post: the queued WordPress edit is superseded and will not be sent');
    if (outcome === 'new' || outcome === 'updated') {
      this.options.worker.kick();
    }
  }

  async requestBrief(postId: number, taskId: number): Promise<BriefFetchView> {
    const key = briefKey(postId);
    const existing = await this.options.store.get(key);
    await this.options.store.recordJob(key, 'brief', nextSeq(existing?.seqWanted ?? '0'), { post_id: postId, task_id: taskId }, { force: true });
    this.options.worker.kick();
    return (await this.briefFetch(postId)) as BriefFetchView;
  }

  async briefFetch(postId: number): Promise<BriefFetchView | undefined> {
    const job = await this.options.store.get(briefKey(postId));
    return job === undefined ? undefined : { state: job.state, last_error: job.lastError, updated_at: iso(job.updatedAt) };
  }

  async syncNow(snapshot: Omit<SyncSnapshot, 'seq'>, marker: string | undefined): Promise<SyncStateView> {
    const job = await this.options.store.get(snapshot.post_id);
    // Under WordPress's pending marker when it is the newest seq (forced even when already known, e.g. failed), so
    // the write-back clears that marker; otherwise above everything known, so it is delivered even when WordPress
    // recorded nothing new (an in-flight delivery of the marker clears it itself).
    const underMarker =
      marker !== undefined &&
      (job === undefined || BigInt(marker) > BigInt(job.seqWanted) || (marker === job.seqWanted && job.state !== 'in_flight'));
    const seq = underMarker ? marker : nextSeq(job === undefined ? (marker ?? '0') : maxSeq(job.seqWanted, marker ?? '0'));
    await this.options.store.record({ ...snapshot, seq }, { force: true });
    this.options.worker.kick();
    return (await this.state(snapshot.post_id)) as SyncStateView;
  }

  async retryStored(postId: number): Promise<SyncStateView | undefined> {
    const job = await this.options.store.get(postId);
    if (job === undefined) {
      return undefined;
    }
    return this.syncNow(job.snapshot, undefined);
  }

  /** "Sync site structure": push the structure the route just read (always sent, even when unchanged). */
  async syncStructure(metadata: SiteMetadata): Promise<{ state: string; scheduled_at: string | null }> {
    const job = await this.options.structure?.request('manual', metadata);
    return { state: job?.state ?? 'unavailable', scheduled_at: iso(job?.nextAttemptAt ?? null) };
  }

  /** Structure push facts for settings and tests: the last push, and the next scheduled one. */
  async structureStatus(): Promise<{ last_pushed_at: string | null; next_push_at: string | null; state: string | null; last_error: string | null }> {
    const structure = this.options.structure;
    const job = await this.options.store.get(0);
    return {
      last_pushed_at: iso(structure?.state().pushedAt ?? null),
      next_push_at: job !== undefined && (job.state === 'pending' || job.state === 'pending_manual') ? iso(job.nextAttemptAt) : null,
      state: job?.state ?? null,
      last_error: job?.lastError ?? null,
    };
  }

  /** `wp igny8 sync --failed`: every failed or dead post delivered again (its latest recorded state). */
  async retryFailed(): Promise<number[]> {
    const ids = await this.options.store.requeueFailed();
    this.options.worker.kick();
    return ids;
  }

  async releaseAllPending(): Promise<number> {
    const released = await this.options.store.releaseManual();
    this.options.worker.kick();
    return released;
  }

  // ------------------------------------------------------------------ /status

  async counts(): Promise<{ pending: number; failed: number }> {
    const c = await this.options.store.counts();
    return { pending: c.pending + c.pending_manual + c.in_flight, failed: c.failed + c.dead };
  }

  current(): { connected: boolean; tokenPresent: boolean } {
    const connection = this.connection(this.options.site.baseUrl() !== undefined);
    return { connected: connection.state === 'connected', tokenPresent: this.options.client.hasTokens() };
  }

  reconcile(): void {
    void this.options.reconciler.run();
  }

  /** `GET /admin/health`: what Site Health and `wp igny8 doctor` judge (never a secret). */
  async health(): Promise<OperationsHealth> {
    const counts = await this.options.store.counts();
    const paused = this.options.worker.paused();
    const oldest = await this.options.store.oldestWaitingAt();
    const now = this.clock();
    return {
      connection: { ...this.connection(this.options.site.baseUrl() !== undefined), circuit_open: paused !== undefined, paused_since: iso(paused?.since ?? null) },
      queue: {
        ...counts,
        oldest_waiting_at: iso(oldest ?? null),
        oldest_waiting_seconds: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 1000)),
      },
      reconciler: this.options.reconciler.health(),
      sync_mode: this.syncMode(),
    };
  }

  // ------------------------------------------------------------------ SettingsPort

  credentials(): StoredCredentialFacts {
    const { vault } = this.options;
    return {
      email: vault.get('email') ?? null,
      password_present: vault.present('password'),
      token_present: this.options.client.hasTokens(),
      webhook_key_present: vault.present('api_key'),
      relogin: vault.relogin(),
      credentials_storable: vault.canStore,
    };
  }

  igny8SiteId(): string | undefined {
    return this.options.structure?.knownSiteId(this.options.site.baseUrl());
  }

  connection(hasBaseUrl: boolean): ConnectionView {
    const paused = this.options.worker.paused();
    const stored = this.options.values.getJson<ConnectionReport>(CONNECTION_KEY);
    if (!hasBaseUrl) {
      return { state: 'disconnected', last_error: null, checked_at: stored?.checked_at ?? null };
    }
    if (paused !== undefined) {
      return {
        state: stored?.state === 'reauth_required' ? 'reauth_required' : 'error',
        last_error: paused.reason,
        checked_at: stored?.checked_at ?? iso(paused.since),
      };
    }
    if (stored === undefined) {
      return { state: 'disconnected', last_error: null, checked_at: null };
    }
    return { state: stored.state, last_error: stored.last_error, checked_at: stored.checked_at };
  }

  sidecarKid(): string {
    return this.options.sidecarKid;
  }

  stage(requestId: string, sid: string, secrets: SettingsSecrets): JsonObject {
    const json = JSON.stringify({ ...secrets, at: this.clock() });
    // Without a credentials key nothing secret gets here (settings refuses to store credentials then): only the flags.
    const sealed = this.options.vault.sealStaged(sid, requestId, json);
    return sealed === undefined ? { flags: json } : { sealed };
  }

  async commit(requestId: string, sid: string, ctx: ShimContext, settings: Record<string, unknown>, staged: unknown): Promise<void> {
    await this.observe(sid, { ...ctx, settings });
    const secrets = this.unstage(requestId, sid, staged);
    if (secrets === undefined) {
      return;
    }
    const { vault, client, worker, values } = this.options;
    let credentialsChanged = false;
    if (secrets.clear === true || secrets.baseUrlChanged === true) {
      for (const field of ['password', 'api_key', 'access_token', 'refresh_token'] as const) {
        vault.set(field, undefined);
      }
      if (secrets.clear === true) {
        vault.set('email', undefined);
      } else {
        vault.rebind('email');
      }
      credentialsChanged = true;
    }
    if (secrets.relogin !== undefined) {
      vault.setRelogin(secrets.relogin);
    }
    if (secrets.email !== undefined) {
      credentialsChanged ||= secrets.email !== vault.get('email');
      vault.set('email', secrets.email);
    }
    if (secrets.password !== undefined) {
      vault.set('password', secrets.password);
      credentialsChanged = true;
    }
    if (secrets.api_key !== undefined) {
      vault.set('api_key', secrets.api_key);
      credentialsChanged = true;
    }
    if (credentialsChanged) {
      client.forgetTokens();
      values.delete(CONNECTION_KEY);
      this.options.logger.info('IGNY8 credentials saved; resuming the sync target');
      await worker.resume();
    }
  }

  /** The secrets `stage` put in this request's conversation state; undefined when absent, expired or not authentic. */
  private unstage(requestId: string, sid: string, staged: unknown): SettingsSecrets | undefined {
    if (typeof staged !== 'object' || staged === null) {
      return undefined;
    }
    const { sealed, flags } = staged as { sealed?: unknown; flags?: unknown };
    let json: string | undefined;
    if (sealed !== undefined) {
      json = this.options.vault.openStaged(sid, requestId, sealed);
    } else if (typeof flags === 'string') {
      json = flags;
    }
    let parsed: (SettingsSecrets & { at?: unknown }) | undefined;
    try {
      parsed = json === undefined ? undefined : (JSON.parse(json) as SettingsSecrets & { at?: unknown });
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || typeof parsed.at !== 'number' || this.clock() - parsed.at > STAGE_TTL_MS) {
      this.options.logger.warn({ request_id: requestId }, 'a settings save came back without usable staged secrets; nothing secret was stored');
      return undefined;
    }
    if (sealed === undefined && (parsed.email !== undefined || parsed.password !== undefined || parsed.api_key !== undefined)) {
      return undefined; // secrets only ever travel sealed
    }
    const { at: _at, ...secrets } = parsed;
    return secrets;
  }

  async testConnection(sid: string, ctx: ShimContext): Promise<ConnectionTestResult> {
    await this.observe(sid, ctx);
    const { site, client, vault, worker } = this.options;
    const baseUrl = site.baseUrl();
    if (baseUrl === undefined) {
      return { ok: false, message: 'Enter the IGNY8 API base URL first.', sites: [], code: 'not_configured' };
    }
    try {
      const sites = await client.listSites(baseUrl, vault.credentials(), site.target());
      await worker.resume();
      // A successful connection pushes the site structure (skipped by the worker when IGNY8 has it already).
      await this.options.structure?.request('connect');
      return { ok: true, message: `Connected to IGNY8 (${sites.length} site${sites.length === 1 ? '' : 's'}).`, sites };
    } catch (error) {
      if (error instanceof Igny8Error) {
        return { ok: false, message: error.message, sites: [], code: error.code };
      }
      this.options.logger.error({ err: error }, 'connection test failed unexpectedly');
      return { ok: false, message: 'The connection test failed unexpectedly; see the sidecar log.', sites: [], code: 'internal' };
    }
  }
}
