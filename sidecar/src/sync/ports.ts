/**
 * What the sync and settings routes need from the sync service (implemented in src/sync/service.ts), so the route
 * handlers stay pure conversation logic.
 */
import type { JsonObject, ShimContext } from '../protocol/messages.ts';
import type { SiteMetadata } from '../handlers/site-metadata.ts';
import type { SyncSnapshot } from './snapshot.ts';

import type { SyncState } from '../contract/contract.ts';
import type { QueueCounts } from '../adapters/sync-store.ts';
import type { ReconcilerHealth } from './reconciler.ts';
import type { ResyncJob } from './resync.ts';

export type SyncStateName = SyncState;

/** `GET /editor/posts/{id}/sync` (and the answer of Sync now). */
export interface SyncStateView {
  post_id: number;
  state: SyncStateName;
  attempts: number;
  last_error: string | null;
  next_retry_at: string | null;
  last_synced_at: string | null;
  updated_at: string | null;
  sync_mode: 'auto' | 'manual';
  /** The latest WordPress status the queue knows for the post, and what IGNY8 gets for it (null when unknown). */
  wordpress_status?: string | null;
  igny8_status?: string | null;
}

export interface SyncPort {
  state(postId: number): Promise<SyncStateView | undefined>;
  /** A post's marker WordPress reported that the queue may not know (editor read): enqueue if new. */
  notice(snapshot: SyncSnapshot): Promise<void>;
  /** Sync now: deliver the fresh snapshot even when nothing changed, resetting a parked or dead job. */
  syncNow(snapshot: Omit<SyncSnapshot, 'seq'>, marker: string | undefined): Promise<SyncStateView>;
  /** Sync now for a post WordPress cannot read for us: re-deliver the stored snapshot. */
  retryStored(postId: number): Promise<SyncStateView | undefined>;
  /**
   * IGNY8's own publish of a post with a task (the shim records nothing inside it): queue one task update with the
   * post id, URL and status. The seq is time-based like the shim's, so a later WordPress change is newer.
   */
  recordPublished?(snapshot: Omit<SyncSnapshot, 'seq'>): Promise<void>;
  /**
   * IGNY8 just rewrote an existing post (a republish): a WordPress edit of it still waiting in the queue is older than
   * IGNY8's fresh content and must never be sent after it. Drops the edit from the queued job (under a newer seq, so a
   * late event carrying the same edit is stale); the status part of the job is still delivered.
   */
  supersedeContent?(postId: number): Promise<void>;
  /** Queue a fetch of the task's brief (after publish, "Refresh brief"); answers the fetch's state. */
  requestBrief?(postId: number, taskId: number): Promise<BriefFetchView>;
  /** The state of the post's latest brief fetch, if one was queued. */
  briefFetch?(postId: number): Promise<BriefFetchView | undefined>;
  /** Every failed or dead post delivered again (its job reset); answers their ids. */
  retryFailed(): Promise<number[]>;
  /** "Sync all pending" (manual mode). */
  releaseAllPending(): Promise<number>;
  /** "Sync site structure": enqueue a push of the metadata just read (sent even when unchanged). */
  syncStructure?(metadata: SiteMetadata): Promise<{ state: string; scheduled_at: string | null }>;
  /** The last structure push and the next scheduled one. */
  structureStatus?(): Promise<{ last_pushed_at: string | null; next_push_at: string | null; state: string | null; last_error: string | null }>;
  syncMode(): 'auto' | 'manual';
  /** Resync everything (`wp igny8 resync --all`, the settings button): the pass, its cursor and progress. */
  readonly resync?: Pick<ResyncJob, 'begin' | 'apply' | 'progress'>;
}

/** A task-brief fetch as the editor's brief route reports it. */
export interface BriefFetchView {
  state: SyncStateName;
  last_error: string | null;
  updated_at: string | null;
}

export interface ConnectionView {
  state: 'connected' | 'disconnected' | 'error' | 'reauth_required';
  last_error: string | null;
  checked_at: string | null;
}

export interface StoredCredentialFacts {
  email: string | null;
  password_present: boolean;
  token_present: boolean;
  webhook_key_present: boolean;
  relogin: boolean;
  credentials_storable: boolean;
}

export interface SettingsSecrets {
  email?: string;
  password?: string;
  api_key?: string;
  relogin?: boolean;
  /** Forget every stored credential and token. */
  clear?: boolean;
  /** The base URL changed: the old session is worthless. */
  baseUrlChanged?: boolean;
}

export interface ConnectionTestResult {
  ok: boolean;
  message: string;
  sites: unknown[];
  code?: string;
}

export interface SettingsPort {
  credentials(): StoredCredentialFacts;
  connection(hasBaseUrl: boolean): ConnectionView;
  sidecarKid(): string;
  /** The IGNY8 site id: configured, or learned from IGNY8's site list on the first structure push. */
  igny8SiteId(): string | undefined;
  /**
   * The secrets of a settings save, for the conversation state: they wait in it until WordPress saved the options of
   * the same request, so whichever replica answers the continue can store them. Sealed with the credentials key
   * (bound to the token's site id and the request id): WordPress only ever holds the ciphertext.
   */
  stage(requestId: string, sid: string, secrets: SettingsSecrets): JsonObject;
  /** WordPress saved the options: store the staged secrets, adopt the new settings, resume a paused target. */
  commit(requestId: string, sid: string, ctx: ShimContext, settings: Record<string, unknown>, staged: unknown): Promise<void>;
  testConnection(sid: string, ctx: ShimContext): Promise<ConnectionTestResult>;
}

/** `GET /admin/health` (Site Health, `wp igny8 doctor`). */
export interface OperationsHealth {
  connection: ConnectionView & { circuit_open: boolean; paused_since: string | null };
  queue: QueueCounts & { oldest_waiting_at: string | null; oldest_waiting_seconds: number | null };
  reconciler: ReconcilerHealth;
  sync_mode: 'auto' | 'manual';
}

/** Everything the HTTP layer needs from the sync service. */
export interface SyncFacade extends SyncPort, SettingsPort {
  /** Every verified shim message: keep the site's settings for the worker. */
  observe(sid: string, ctx: ShimContext): Promise<void>;
  /** `POST /_shim/events`. */
  recordEvents(events: readonly unknown[]): Promise<{ accepted: number; rejected: number }>;
  counts(): Promise<{ pending: number; failed: number }>;
  health(): Promise<OperationsHealth>;
  /** Starts a reconciler pass now (not awaited). */
  reconcile(): void;
  current(): { connected: boolean; tokenPresent: boolean };
}
