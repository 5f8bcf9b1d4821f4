/**
 * An in-memory IGNY8 behind a `fetch` function, for unit tests of the IGNY8 client and the sync worker: real
 * (unsigned-but-decodable) JWTs with `exp`, rotating refresh tokens, scripted faults, and a log of every call.
 */
import { randomUUID } from 'node:crypto';

export interface FakeCall {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> } | 'network';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export class FakeIgny8 {
  readonly calls: FakeCall[] = [];
  email = 'ops@example.com';
  password = 'correct-horse';
  apiKey = 'k'.repeat(40);
  accessTtlSeconds = 900;
  /** Paths that answer 404 (to exercise fallbacks). */
  readonly missing = new Set<string>();
  /** Scripted replies, consumed first-come for a matching `METHOD /path` prefix. */
  readonly script: Array<{ match: string; reply: FakeReply }> = [];
  readonly liveAccess = new Set<string>();
  readonly liveRefresh = new Set<string>();
  readonly tasks = new Map<string, Record<string, unknown>>();
  /** The latest WordPress edit per content id (`PUT /writer/content/{id}/`). */
  readonly contents = new Map<string, Record<string, unknown>>();
  /** Task briefs by task id (`GET /writer/tasks/{id}/brief/`). */
  readonly briefs = new Map<string, unknown>();
  /** Site structure imports and taxonomy reports received. */
  readonly imports: Array<{ siteId: string; body: Record<string, unknown> }> = [];
  readonly metadata: Array<Record<string, unknown>> = [];
  nowSec: () => number = () => Math.floor(Date.now() / 1000);

  issue(): { access: string; refresh: string } {
    const now = this.nowSec();
    const access = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ typ: 'access', iat: now, exp: now + this.accessTtlSeconds, jti: randomUUID() })}.sig`;
    const refresh = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ typ: 'refresh', iat: now, exp: now + 86400, jti: randomUUID() })}.sig`;
    this.liveAccess.add(access);
    this.liveRefresh.add(refresh);
    return { access, refresh };
  }

  private accessValid(header: string | undefined): boolean {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    if (token === undefined || !this.liveAccess.has(token)) {
      return false;
    }
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { exp: number };
    return claims.exp > this.nowSec();
  }

  count(prefix: string): number {
    return this.calls.filter((call) => `${call.method} ${call.path}`.startsWith(prefix)).length;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
    this.calls.push({ method, path: url.pathname, authorization: headers.get('authorization') ?? undefined, body });
    const key = `${method} ${url.pathname}`;
    const scripted = this.script.findIndex((entry) => key.startsWith(entry.match));
    let reply: FakeReply;
    if (scripted >= 0) {
      reply = (this.script.splice(scripted, 1)[0] as { reply: FakeReply }).reply;
    } else {
      reply = this.route(method, url.pathname, headers.get('authorization') ?? undefined, body);
    }
    if (reply === 'network') {
      throw new TypeError('fetch failed');
    }
    return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), { status: reply.status, headers: reply.headers ?? {} });
  };

  private route(method: string, path: string, authorization: string | undefined, body: unknown): Exclude<FakeReply, 'network'> {
    if (this.missing.has(path)) {
      return { status: 404, body: { success: false, error: 'Not found' } };
    }
    const data = (body ?? {}) as Record<string, unknown>;
    if (method === 'POST' && path === '/api/v1/auth/login/') {
      return data.email === this.email && data.password === this.password
        ? { status: 200, body: { success: true, data: this.issue() } }
        : { status: 401, body: { success: false, error: 'Invalid email or password.' } };
    }
    if (method === 'POST' && (path === '/api/v1/auth/token/refresh/' || path === '/api/v1/auth/refresh/')) {
      const refresh = data.refresh;
      if (typeof refresh !== 'string' || !this.liveRefresh.has(refresh)) {
        return { status: 401, body: { success: false, error: 'Token is invalid or expired' } };
      }
      this.liveRefresh.delete(refresh);
      return { status: 200, body: { success: true, data: this.issue() } };
    }
    const apiKeyOk = authorization === `ApiKey ${this.apiKey}`;
    if (path === '/api/v1/integration/webhooks/wordpress/metadata/' && (apiKeyOk || this.accessValid(authorization))) {
      this.metadata.push(data);
      return { status: 200, body: { success: true, data: { received: true } } };
    }
    const site = /^\/api\/v1\/system\/sites\/(\w+)\/import\/$/.exec(path);
    if (site !== null && method === 'POST') {
      if (!apiKeyOk && !this.accessValid(authorization)) {
        return { status: 401, body: { success: false } };
      }
      this.imports.push({ siteId: site[1] as string, body: data });
      return { status: 200, body: { success: true, data: { imported: true } } };
    }
    if (path.startsWith('/api/v1/integration/')) {
      return apiKeyOk ? { status: 200, body: { success: true, data: { received: true } } } : { status: 401, body: { success: false, error: 'Bad key' } };
    }
    if (path === '/api/v1/auth/sites/') {
      return apiKeyOk || this.accessValid(authorization)
        ? { status: 200, body: { success: true, data: { results: [{ id: 7 }] } } }
        : { status: 401, body: { success: false } };
    }
    if (!this.accessValid(authorization)) {
      return { status: 401, body: { success: false, error: 'Authentication credentials were not provided or are invalid.' } };
    }
    const task = /^\/api\/v1\/writer\/tasks\/(\d+)\/$/.exec(path);
    if (task !== null && method === 'GET') {
      const stored = this.tasks.get(task[1] as string);
      return stored === undefined ? { status: 404, body: { success: false, error: 'Task not found' } } : { status: 200, body: { success: true, data: stored } };
    }
    const brief = /^\/api\/v1\/writer\/tasks\/(\d+)\/brief\/$/.exec(path);
    if (brief !== null && method === 'GET') {
      const stored = this.briefs.get(brief[1] as string);
      return stored === undefined ? { status: 404, body: { success: false, error: 'No brief' } } : { status: 200, body: { success: true, data: stored } };
    }
    if (task !== null && method === 'PUT') {
      this.tasks.set(task[1] as string, { ...(this.tasks.get(task[1] as string) ?? {}), ...data });
      return { status: 200, body: { success: true, data } };
    }
    const content = /^\/api\/v1\/writer\/content\/(\d+)\/$/.exec(path);
    if (content !== null && method === 'PUT') {
      this.contents.set(content[1] as string, data);
      return { status: 200, body: { success: true, data } };
    }
    if (path.startsWith('/api/v1/planner/keywords/')) {
      return { status: 200, body: { success: true, data: { updated_count: 1 } } };
    }
    return { status: 404, body: { success: false, error: 'Not found' } };
  }
}
