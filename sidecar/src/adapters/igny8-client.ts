/**
 * The IGNY8 API client for the sync (SPEC §6, §10): JWT auth for the `tasks` target and `ApiKey` auth for the
 * `webhook` target.
 *
 * Auth rules:
 * - Log in with `POST /api/v1/auth/login/ {email,password}` → `data.access`, `data.refresh`.
 * - Refresh before the access token expires (its `exp`, read with jose `decodeJwt`) and after any 401, with
 *   `POST /api/v1/auth/token/refresh/ {refresh}`, falling back to `/api/v1/auth/refresh/` on 404. The rotated
 *   refresh token is persisted before the new access token is used. Refreshes run one at a time (single flight).
 * - A refused refresh token → a fresh login when the password is kept, else `reauth_required`.
 * - After a 401, the request is retried once; a 401 on that retry (after a refresh or login succeeded) is an
 *   `auth` failure, which pauses the whole target (the worker's circuit breaker) instead of failing job by job.
 * - One global limiter for auth calls (IGNY8 allows 20 a minute).
 *
 * Every path is configurable and may list fallbacks, tried in order on 404; the one that answered is remembered.
 * Nothing here logs a credential, token or body.
 */
import { decodeJwt } from 'jose';
import { httpRequest } from './http-request.ts';

import type { Logger } from '../logger.ts';

export type Igny8Endpoint = 'login' | 'refresh' | 'task' | 'task_read' | 'task_brief' | 'content' | 'keywords' | 'webhook' | 'sites' | 'site_import' | 'metadata';

/** Each candidate is `"METHOD /path/"`; `{task_id}` is filled in. */
export type Igny8Paths = Record<Igny8Endpoint, readonly string[]>;

export const DEFAULT_IGNY8_PATHS: Igny8Paths = {
  login: ['POST /api/v1/auth/login/'],
  refresh: ['POST /api/v1/auth/token/refresh/', 'POST /api/v1/auth/refresh/'],
  task: ['PUT /api/v1/writer/tasks/{task_id}/'],
  content: ['PUT /api/v1/writer/content/{content_id}/'],
  task_read: ['GET /api/v1/writer/tasks/{task_id}/'],
  task_brief: ['GET /api/v1/writer/tasks/{task_id}/brief/'],
  keywords: ['PUT /api/v1/planner/keywords/bulk-update/', 'POST /api/v1/planner/keywords/bulk_status/'],
  webhook: ['POST /api/v1/integration/webhook/wordpress/', 'POST /api/v1/integration/webhooks/wordpress/status/'],
  sites: ['GET /api/v1/auth/sites/'],
  site_import: ['POST /api/v1/system/sites/{site_id}/import/'],
  metadata: ['POST /api/v1/integration/webhooks/wordpress/metadata/'],
};

export type Igny8FailureKind = 'retry' | 'park' | 'auth';

/** A failed IGNY8 call, classified for the queue. Its message is shown to editors: no secrets in it. */
export class Igny8Error extends Error {
  readonly kind: Igny8FailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** `reauth_required` when only new credentials can help. */
  readonly code: string;

  constructor(kind: Igny8FailureKind, code: string, message: string, options: { status?: number; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'Igny8Error';
    this.kind = kind;
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface StoredTokens {
  access?: string | undefined;
  refresh?: string | undefined;
}

/** Where tokens live (sealed in the store). `save` must be durable when it returns. */
export interface TokenStore {
  load(): StoredTokens;
  save(tokens: StoredTokens): void;
}

export interface Igny8Credentials {
  email?: string | undefined;
  password?: string | undefined;
  apiKey?: string | undefined;
  /** Set when the stored credentials were entered for another base URL (credential-vault.ts): nothing is sent. */
  boundTo?: string | undefined;
}

export type ConnectionStateName = 'connected' | 'disconnected' | 'error' | 'reauth_required';

export interface ConnectionReport {
  state: ConnectionStateName;
  last_error: string | null;
  checked_at: string | null;
}

/** Sliding window: at most `limit` auth calls per `windowMs`, for the whole process. */
export class AuthRateLimiter {
  private readonly calls: number[] = [];
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly clock: () => number;

  constructor(limit = 20, windowMs = 60_000, clock: () => number = Date.now) {
    this.limit = limit;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** Takes a slot, or returns how long to wait for one. */
  take(): { ok: true } | { ok: false; waitMs: number } {
    const now = this.clock();
    while (this.calls.length > 0 && (this.calls[0] ?? 0) <= now - this.windowMs) {
      this.calls.shift();
    }
    if (this.calls.length >= this.limit) {
      return { ok: false, waitMs: (this.calls[0] ?? now) + this.windowMs - now };
    }
    this.calls.push(now);
    return { ok: true };
  }
}

export interface Igny8ClientOptions {
  tokens: TokenStore;
  logger: Logger;
  fetch?: typeof fetch;
  clock?: () => number;
  paths?: Partial<Igny8Paths>;
  timeoutMs?: number;
  authLimiter?: AuthRateLimiter;
  /** Cap for Retry-After values (ms). */
  retryAfterCapMs?: number;
  onConnection?: (report: ConnectionReport) => void;
  /**
   * Replicas sharing the site's tokens (sync/replica-link.ts): runs a token renewal while no other process renews,
   * after reading the stored tokens again. IGNY8 rotates refresh tokens, so two replicas refreshing with the same one
   * would have the second refused (and, with no password kept, the site paused).
   */
  renewExclusively?: <T>(work: () => Promise<T>) => Promise<T>;
}

interface RawResponse {
  status: number;
  retryAfterMs: number | undefined;
  json: unknown;
}

const NETWORK = 'NETWORK_ERROR';

function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return Number(value.trim()) * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function errorText(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) {
    return undefined;
  }
  const record = json as Record<string, unknown>;
  for (const key of ['error', 'detail', 'message']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') {
      return value.trim().slice(0, 300);
    }
  }
  return undefined;
}

function dataOf(json: unknown): Record<string, unknown> {
  if (typeof json !== 'object' || json === null) {
    return {};
  }
  const record = json as Record<string, unknown>;
  const data = record.data;
  return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : record;
}

function tokensFrom(json: unknown): { access: string; refresh: string | undefined } | undefined {
  const data = dataOf(json);
  const nested = typeof data.tokens === 'object' && data.tokens !== null ? (data.tokens as Record<string, unknown>) : data;
  const access = nested.access ?? nested.access_token;
  const refresh = nested.refresh ?? nested.refresh_token;
  if (typeof access !== 'string' || access === '') {
    return undefined;
  }
  return { access, refresh: typeof refresh === 'string' && refresh !== '' ? refresh : undefined };
}

/** ms until this access token should be replaced, or undefined when its expiry cannot be read. */
function refreshDueIn(access: string, now: number): number | undefined {
  try {
    const claims = decodeJwt(access);
    if (typeof claims.exp !== 'number') {
      return undefined;
    }
    const ttlMs = typeof claims.iat === 'number' ? (claims.exp - claims.iat) * 1000 : 120_000;
    const margin = Math.min(30_000, Math.max(250, ttlMs / 4));
    return claims.exp * 1000 - margin - now;
  } catch {
    return undefined;
  }
}

export class Igny8Client {
  private readonly tokens: TokenStore;
  private readonly logger: Logger;
  private readonly fetchImpl: typeof fetch;
  private readonly clock: () => number;
  private readonly paths: Igny8Paths;
  private readonly timeoutMs: number;
  private readonly authLimiter: AuthRateLimiter;
  private readonly retryAfterCapMs: number;
  private readonly onConnection: (report: ConnectionReport) => void;
  /** Index of the path candidate that last answered with something other than 404, per endpoint. */
  private readonly working = new Map<Igny8Endpoint, number>();
  private renewal: Promise<string> | undefined;
  private readonly renewExclusively: (<T>(work: () => Promise<T>) => Promise<T>) | undefined;

  constructor(options: Igny8ClientOptions) {
    this.renewExclusively = options.renewExclusively;
    this.tokens = options.tokens;
    this.logger = options.logger;
    this.fetchImpl = options.fetch ?? httpRequest;
    this.clock = options.clock ?? Date.now;
    this.paths = { ...DEFAULT_IGNY8_PATHS, ...options.paths };
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.authLimiter = options.authLimiter ?? new AuthRateLimiter(20, 60_000, this.clock);
    this.retryAfterCapMs = options.retryAfterCapMs ?? 15 * 60_000;
    this.onConnection = options.onConnection ?? (() => undefined);
  }

  // ------------------------------------------------------------------ deliveries

  /** `tasks` target: `PUT /api/v1/writer/tasks/{task_id}/` with a Bearer access token. */
  async updateTask(baseUrl: string, credentials: Igny8Credentials, taskId: number, payload: Record<string, unknown>): Promise<void> {
    const res = await this.withAccess(baseUrl, credentials, (token) => this.call(baseUrl, 'task', { task_id: String(taskId) }, payload, `Bearer ${token}`));
    this.expectSuccess(res, `IGNY8 task ${taskId}`);
  }

  /** A WordPress edit (issue #13 §4), `tasks` target: `PUT /api/v1/writer/content/{content_id}/` with a Bearer access token. */
  async updateContent(baseUrl: string, credentials: Igny8Credentials, contentId: number, payload: Record<string, unknown>): Promise<void> {
    const res = await this.withAccess(baseUrl, credentials, (token) => this.call(baseUrl, 'content', { content_id: String(contentId) }, payload, `Bearer ${token}`));
    this.expectSuccess(res, `IGNY8 content ${contentId}`);
  }

  /**
   * `GET /api/v1/writer/tasks/{task_id}/`: the task's keyword ids (the original's "keyword status update on publish"
   * read them here; IGNY8's publish payload may carry none). Accepts `keyword_ids: [id]` or `keywords: [{id}|id]`.
   */
  async taskKeywordIds(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook', taskId: number): Promise<number[]> {
    const res = await this.authorized(baseUrl, credentials, target, 'task_read', { task_id: String(taskId) }, undefined);
    this.expectSuccess(res, `IGNY8 task ${taskId}`);
    const data = dataOf(res.json);
    const raw: unknown[] = Array.isArray(data.keyword_ids) ? data.keyword_ids : Array.isArray(data.keywords) ? data.keywords : [];
    const ids = raw
      .map((entry) => (typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : entry))
      .map((id) => (typeof id === 'string' && /^\d{1,15}$/.test(id) ? Number(id) : id))
      .filter((id): id is number => typeof id === 'number' && Number.isInteger(id) && id > 0);
    return [...new Set(ids)].slice(0, 2000);
  }

  /** `GET /api/v1/writer/tasks/{task_id}/brief/`: the task brief as IGNY8 sends it (`data`, or the whole body). */
  async taskBrief(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook', taskId: number): Promise<unknown> {
    const res = await this.authorized(baseUrl, credentials, target, 'task_brief', { task_id: String(taskId) }, undefined);
    this.expectSuccess(res, `IGNY8 brief of task ${taskId}`);
    const json = res.json;
    if (typeof json === 'object' && json !== null && !Array.isArray(json) && 'data' in json) {
      return (json as { data: unknown }).data;
    }
    return json;
  }

  /** On publish: `PUT /api/v1/planner/keywords/bulk-update/ {keyword_ids, status}`. */
  async updateKeywords(baseUrl: string, credentials: Igny8Credentials, keywordIds: readonly number[], status: string): Promise<void> {
    const res = await this.withAccess(baseUrl, credentials, (token) =>
      this.call(baseUrl, 'keywords', {}, { keyword_ids: keywordIds, status }, `Bearer ${token}`),
    );
    this.expectSuccess(res, 'IGNY8 keyword status update');
  }

  /** `webhook` target: `POST /api/v1/integration/webhook/wordpress/` with `Authorization: ApiKey <key>`. */
  async sendWebhook(baseUrl: string, credentials: Igny8Credentials, payload: Record<string, unknown>): Promise<void> {
    const apiKey = this.requireApiKey(credentials);
    const res = await this.call(baseUrl, 'webhook', {}, payload, `ApiKey ${apiKey}`);
    if (res.status === 401 || res.status === 403) {
      this.report('reauth_required', 'IGNY8 refused the API key.');
      throw new Igny8Error('auth', 'reauth_required', 'IGNY8 refused the API key (HTTP ' + res.status + '): enter the current key in Settings → IGNY8.', { status: res.status });
    }
    this.expectSuccess(res, 'IGNY8 webhook');
    this.report('connected', null);
  }

  /** Site structure push (SPEC §6): `POST /api/v1/system/sites/{site_id}/import/` with the site-metadata payload. */
  async importSite(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook', siteId: string, payload: unknown): Promise<void> {
    const res = await this.authorized(baseUrl, credentials, target, 'site_import', { site_id: siteId }, payload);
    this.expectSuccess(res, 'IGNY8 site structure import');
  }

  /** A taxonomy change (SPEC §6): `POST /api/v1/integration/webhooks/wordpress/metadata/`. */
  async sendMetadata(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook', payload: Record<string, unknown>): Promise<void> {
    const res = await this.authorized(baseUrl, credentials, target, 'metadata', {}, payload);
    this.expectSuccess(res, 'IGNY8 taxonomy change');
  }

  /** The first IGNY8 site id of the account (`GET /api/v1/auth/sites/`), for the structure push. */
  async firstSiteId(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook'): Promise<string | undefined> {
    const res = await this.authorized(baseUrl, credentials, target, 'sites', {}, undefined);
    this.expectSuccess(res, 'IGNY8 site list');
    const data = dataOf(res.json);
    const results: unknown[] = Array.isArray(data.results) ? data.results : Array.isArray(res.json) ? res.json : Array.isArray(data.sites) ? data.sites : [];
    const id = (results[0] as { id?: unknown } | undefined)?.id;
    return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : undefined;
  }

  /** A call with the target's auth: `ApiKey` for `webhook`, a Bearer access token (refresh/login, 401 retry) for `tasks`. */
  private async authorized(
    baseUrl: string,
    credentials: Igny8Credentials,
    target: 'tasks' | 'webhook',
    endpoint: Igny8Endpoint,
    vars: Record<string, string>,
    body: unknown,
  ): Promise<RawResponse> {
    if (target === 'webhook') {
      const res = await this.call(baseUrl, endpoint, vars, body, `ApiKey ${this.requireApiKey(credentials)}`);
      if (res.status === 401 || res.status === 403) {
        this.report('reauth_required', 'IGNY8 refused the API key.');
        throw new Igny8Error('auth', 'reauth_required', 'IGNY8 refused the API key (HTTP ' + res.status + '): enter the current key in Settings → IGNY8.', { status: res.status });
      }
      return res;
    }
    return this.withAccess(baseUrl, credentials, (token) => this.call(baseUrl, endpoint, vars, body, `Bearer ${token}`));
  }

  /** Test connection: `GET /api/v1/auth/sites/` (after login for `tasks`, with the API key for `webhook`). */
  async listSites(baseUrl: string, credentials: Igny8Credentials, target: 'tasks' | 'webhook'): Promise<unknown[]> {
    let res: RawResponse;
    if (target === 'webhook') {
      res = await this.call(baseUrl, 'sites', {}, undefined, `ApiKey ${this.requireApiKey(credentials)}`);
      if (res.status === 401 || res.status === 403) {
        this.report('reauth_required', 'IGNY8 refused the API key.');
        throw new Igny8Error('auth', 'reauth_required', 'IGNY8 refused the API key.', { status: res.status });
      }
    } else {
      // A test must prove the credentials, not a cached token: log in afresh.
      await this.login(baseUrl, credentials);
      res = await this.withAccess(baseUrl, credentials, (token) => this.call(baseUrl, 'sites', {}, undefined, `Bearer ${token}`));
    }
    this.expectSuccess(res, 'IGNY8 site list');
    this.report('connected', null);
    const data = dataOf(res.json);
    const results = Array.isArray(data.results) ? data.results : Array.isArray(res.json) ? res.json : Array.isArray(data.sites) ? data.sites : [];
    return results;
  }

  /** Forget tokens (new credentials, a changed base URL). */
  forgetTokens(): void {
    this.tokens.save({});
  }

  hasTokens(): boolean {
    const stored = this.tokens.load();
    return stored.access !== undefined || stored.refresh !== undefined;
  }

  // ------------------------------------------------------------------ auth

  /** Runs `request` with a fresh access token; on 401 renews once and retries once. */
  private async withAccess(baseUrl: string, credentials: Igny8Credentials, request: (token: string) => Promise<RawResponse>): Promise<RawResponse> {
    this.checkBinding(credentials);
    const token = await this.accessToken(baseUrl, credentials);
    const first = await request(token);
    if (first.status !== 401) {
      if (first.status < 500) {
        this.report('connected', null);
      }
      return first;
    }
    const renewed = await this.renew(baseUrl, credentials, token);
    const second = await request(renewed);
    if (second.status === 401) {
      this.report('error', 'IGNY8 answered 401 even with a new access token.');
      throw new Igny8Error('auth', 'unauthorized', 'IGNY8 refused a freshly issued access token (401 after re-login); the sync is paused until the credentials are saved again.', {
        status: 401,
      });
    }
    this.report('connected', null);
    return second;
  }

  private async accessToken(baseUrl: string, credentials: Igny8Credentials): Promise<string> {
    const stored = this.tokens.load();
    if (stored.access !== undefined) {
      const dueIn = refreshDueIn(stored.access, this.clock());
      if (dueIn === undefined || dueIn > 0) {
        return stored.access;
      }
    }
    return this.renew(baseUrl, credentials, stored.access);
  }

  /**
   * Replaces the access token `stale` (single flight: concurrent callers share one renewal, and a caller whose
   * stale token was already replaced just takes the new one).
   */
  private renew(baseUrl: string, credentials: Igny8Credentials, stale: string | undefined): Promise<string> {
    const fresh = this.renewedSince(stale);
    if (fresh !== undefined) {
      return Promise.resolve(fresh);
    }
    if (this.renewal === undefined) {
      const exclusively = this.renewExclusively;
      const renewal =
        exclusively === undefined
          ? this.refreshOrLogin(baseUrl, credentials)
          : // Another replica may have renewed while this one waited for the lock: then its token is the one to use.
            exclusively(() => {
              const renewed = this.renewedSince(stale);
              return renewed !== undefined ? Promise.resolve(renewed) : this.refreshOrLogin(baseUrl, credentials);
            });
      this.renewal = renewal.finally(() => {
        this.renewal = undefined;
      });
    }
    return this.renewal;
  }

  /** The stored access token when it replaced `stale` and is not due for renewal yet. */
  private renewedSince(stale: string | undefined): string | undefined {
    const current = this.tokens.load().access;
    if (current === undefined || current === stale) {
      return undefined;
    }
    const dueIn = refreshDueIn(current, this.clock());
    return dueIn === undefined || dueIn > 0 ? current : undefined;
  }

  private async refreshOrLogin(baseUrl: string, credentials: Igny8Credentials): Promise<string> {
    const refresh = this.tokens.load().refresh;
    if (refresh !== undefined) {
      this.takeAuthSlot();
      const res = await this.call(baseUrl, 'refresh', {}, { refresh }, undefined);
      const tokens = res.status >= 200 && res.status < 300 ? tokensFrom(res.json) : undefined;
      if (tokens !== undefined) {
        // Persist the rotated refresh token before anything uses the new access token.
        this.tokens.save({ access: tokens.access, refresh: tokens.refresh ?? refresh });
        this.logger.info({ endpoint: 'refresh' }, 'igny8 access token refreshed');
        return tokens.access;
      }
      this.throwIfRetryable(res, 'IGNY8 token refresh');
      // The refresh token is revoked or expired.
      this.tokens.save({});
      if (credentials.password === undefined || credentials.email === undefined) {
        this.report('reauth_required', 'IGNY8 no longer accepts the saved session.');
        throw new Igny8Error('auth', 'reauth_required', 'IGNY8 no longer accepts the saved session (refresh token refused) and no password is kept: enter the credentials again in Settings → IGNY8.', {
          status: res.status,
        });
      }
      this.logger.info({ endpoint: 'refresh', status: res.status }, 'igny8 refresh token refused; logging in again');
    }
    return this.login(baseUrl, credentials);
  }

  private async login(baseUrl: string, credentials: Igny8Credentials): Promise<string> {
    this.checkBinding(credentials);
    if (credentials.email === undefined || credentials.password === undefined) {
      this.report('reauth_required', 'No IGNY8 email and password are saved.');
      throw new Igny8Error('auth', 'reauth_required', 'No IGNY8 email and password are saved: enter them in Settings → IGNY8.');
    }
    this.takeAuthSlot();
    const res = await this.call(baseUrl, 'login', {}, { email: credentials.email, password: credentials.password }, undefined);
    const tokens = res.status >= 200 && res.status < 300 ? tokensFrom(res.json) : undefined;
    if (tokens !== undefined) {
      this.tokens.save({ access: tokens.access, refresh: tokens.refresh });
      this.logger.info({ endpoint: 'login' }, 'igny8 login succeeded');
      return tokens.access;
    }
    this.throwIfRetryable(res, 'IGNY8 login');
    const detail = errorText(res.json);
    const message = `IGNY8 login failed (HTTP ${res.status}${detail ? `: ${detail}` : ''}): check the email and password in Settings → IGNY8.`;
    this.report('error', message);
    throw new Igny8Error('auth', 'invalid_credentials', message, { status: res.status });
  }

  private takeAuthSlot(): void {
    const slot = this.authLimiter.take();
    if (!slot.ok) {
      throw new Igny8Error('retry', 'auth_rate_limited', 'Waiting for the IGNY8 auth rate limit (20 calls a minute).', { retryAfterMs: slot.waitMs });
    }
  }

  /**
   * Credentials entered for another IGNY8 base URL are never sent to this one (issue #12 item 4): the site's base URL
   * was changed outside the settings screen (`wp option update`, another plugin), so an admin must confirm it.
   */
  private checkBinding(credentials: Igny8Credentials): void {
    if (credentials.boundTo === undefined) {
      return;
    }
    const message = `The IGNY8 credentials were entered for ${credentials.boundTo}, but the site's IGNY8 API base URL is now another one; nothing was sent. Enter the credentials again in Settings → IGNY8 to use the new URL, or restore the old one.`;
    this.report('reauth_required', message);
    throw new Igny8Error('auth', 'reauth_required', message);
  }

  private requireApiKey(credentials: Igny8Credentials): string {
    this.checkBinding(credentials);
    if (credentials.apiKey === undefined || credentials.apiKey === '') {
      this.report('reauth_required', 'No IGNY8 API key is saved for the webhook target.');
      throw new Igny8Error('auth', 'reauth_required', 'No IGNY8 API key is saved for the webhook target: enter it in Settings → IGNY8.');
    }
    return credentials.apiKey;
  }

  // ------------------------------------------------------------------ HTTP

  private throwIfRetryable(res: RawResponse, what: string): void {
    if (res.status === 0 || res.status === 408 || res.status === 429 || res.status >= 500) {
      const retryAfterMs = res.retryAfterMs === undefined ? undefined : Math.min(res.retryAfterMs, this.retryAfterCapMs);
      const detail = res.status === 0 ? 'IGNY8 is not reachable' : `HTTP ${res.status}`;
      if (res.status === 0) {
        this.report('error', `${what}: IGNY8 is not reachable.`);
      }
      throw new Igny8Error('retry', res.status === 0 ? NETWORK : `HTTP_${res.status}`, `${what} failed (${detail}); retrying.`, {
        status: res.status,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
  }

  private expectSuccess(res: RawResponse, what: string): void {
    if (res.status >= 200 && res.status < 300) {
      return;
    }
    this.throwIfRetryable(res, what);
    const detail = errorText(res.json);
    throw new Igny8Error('park', res.status === 404 ? 'not_found' : `HTTP_${res.status}`, `${what} was refused (HTTP ${res.status}${detail ? `: ${detail}` : ''}).`, {
      status: res.status,
    });
  }

  /** One call, trying the endpoint's path candidates in order on 404. Network failures come back as status 0. */
  private async call(
    baseUrl: string,
    endpoint: Igny8Endpoint,
    vars: Record<string, string>,
    body: unknown,
    authorization: string | undefined,
  ): Promise<RawResponse> {
    const candidates = this.paths[endpoint];
    const start = this.working.get(endpoint) ?? 0;
    const order = [...candidates.keys()].map((offset) => (start + offset) % candidates.length);
    let last: RawResponse = { status: 0, retryAfterMs: undefined, json: undefined };
    for (const [position, index] of order.entries()) {
      const [method = 'GET', template = '/'] = (candidates[index] ?? '').split(' ', 2);
      const path = template.replace(/\{(\w+)\}/g, (_match, name: string) => encodeURIComponent(vars[name] ?? ''));
      last = await this.send(baseUrl, endpoint, method, path, body, authorization);
      if (last.status === 404 && position < order.length - 1) {
        this.logger.warn({ endpoint, path: template }, 'igny8 path answered 404; trying the fallback path');
        continue;
      }
      if (last.status !== 404 && last.status !== 0) {
        this.working.set(endpoint, index);
      }
      return last;
    }
    return last;
  }

  private async send(baseUrl: string, endpoint: Igny8Endpoint, method: string, path: string, body: unknown, authorization: string | undefined): Promise<RawResponse> {
    if (!isSafeBaseUrl(baseUrl)) {
      // A rewritten option (wp option update, a plugin's arbitrary-option bug) must not carry the password, token
      // or API key anywhere in plain text: nothing is sent, and the connection asks for attention.
      throw new Igny8Error('auth', 'reauth_required', 'The IGNY8 base URL must use https (plain http only to a loopback address); nothing was sent. Check Settings → IGNY8.');
    }
    const started = this.clock();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (authorization !== undefined) {
      headers.Authorization = authorization;
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    try {
      const res = await this.fetchImpl(baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      this.logger.debug({ endpoint, method, status: res.status, ms: this.clock() - started }, 'igny8 call');
      return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.clock()), json };
    } catch (error) {
      this.logger.warn({ endpoint, method, ms: this.clock() - started, reason: (error as Error).name }, 'igny8 call failed (network)');
      return { status: 0, retryAfterMs: undefined, json: undefined };
    }
  }

  private report(state: ConnectionStateName, lastError: string | null): void {
    this.onConnection({ state, last_error: lastError, checked_at: new Date(this.clock()).toISOString() });
  }
}

/** https anywhere; plain http only to a loopback host (a local IGNY8 or simulator). */
export function isSafeBaseUrl(baseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') {
    return true;
  }
  if (url.protocol !== 'http:') {
    return false;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
