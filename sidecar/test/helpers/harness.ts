/**
 * Starts the real app (createApp + http server on 127.0.0.1, port 0) with a controllable clock and captured logs,
 * and talks to it the way the PHP shim does.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { createApp, type AppDeps } from '../../src/http/app.ts';
import { closeGracefully } from '../../src/http/listen.ts';
import { createLogCapture, type LogCapture } from '../../src/logger.ts';
import { decodeSecret, KeyRing, keyId } from '../../src/protocol/keys.ts';
import type { SyncFacade } from '../../src/sync/ports.ts';
import { createSync, type CreateSyncOptions, type SyncRuntime } from '../../src/sync/create-sync.ts';
import {
  runShimConversation,
  signShimRequest,
  verifySidecarReply,
  type ShimConversationOptions,
  type ShimTransport,
  type SignShimRequestOptions,
  type SignedShimRequest,
} from './shim-client.ts';
import type { SidecarReply } from '../../src/protocol/messages.ts';

export const TEST_SID = '6f1c1e2a-0000-4000-8000-000000000001';

/** Sync configuration for tests: a private data folder, fast retries, no IGNY8 account configured. */
export function testSyncConfig(
  dataDir: string,
  overrides: Partial<CreateSyncOptions['config']['sync']> = {},
): CreateSyncOptions['config'] {
  return {
    dataDir,
    wpUrl: undefined,
    sync: {
      backoffBaseMs: 20,
      backoffMaxMs: 40,
      retryAfterCapMs: 100,
      maxAttempts: 5,
      concurrency: 2,
      reconcileIntervalMs: 60_000,
      httpTimeoutMs: 1_000,
      paths: {},
      credentialsKey: Buffer.alloc(32, 9),
      apiBaseUrl: undefined,
      email: undefined,
      password: undefined,
      apiKey: undefined,
      ...overrides,
    },
  };
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A hosted site as its shim knows itself: site id, signing secret and public URL. */
export interface HostedSite {
  sid: string;
  secret: string;
  url: string;
}

/** A fresh site identity; `path` is appended to its URL (a site in a subfolder). */
export const newHostedSite = (path = ''): HostedSite => ({ sid: randomUUID(), secret: newSecret(), url: `https://wp-${randomUUID()}.test${path}` });

/** The body the shim sends to redeem an enrolment code (`POST /_shim/enrol`). */
export const enrolBody = (code: string, site: HostedSite) => ({ code, site_id: site.sid, wp_url: site.url, secret: site.secret, key_id: keyId(decodeSecret(site.secret)) });

type PartialCtx = {
  request_id?: string;
  route_id?: string;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  user_id?: number;
  site?: Partial<Record<string, unknown>>;
  settings?: Record<string, unknown>;
  facts?: Partial<Record<string, unknown>>;
};

/** A complete `ctx` claim as the PHP proxy builds it (architecture.md §3.2). */
export function shimContext(overrides: PartialCtx = {}): Record<string, unknown> & { route_id: string } {
  return {
    request_id: overrides.request_id ?? 'f7a1c2d3-0000-4000-8000-00000000abcd',
    route_id: overrides.route_id ?? 'status',
    params: overrides.params ?? {},
    query: overrides.query ?? {},
    user_id: overrides.user_id ?? 0,
    site: {
      home_url: 'http://127.0.0.1:8080',
      timezone: 'Europe/Berlin',
      gmt_offset: 1,
      locale: 'en_US',
      wp_version: '6.5.5',
      plugin_version: '0.1.0',
      structure_rev: 17,
      ...overrides.site,
    },
    settings: overrides.settings ?? { igny8_connection_enabled: true, igny8_allowed_post_types: ['post', 'page'] },
    facts: { api_key_present: true, connection_enabled: true, woocommerce: false, aioseo_table: false, ...overrides.facts },
  };
}

export class TestClock {
  ms: number;

  constructor(start = Date.now()) {
    this.ms = start;
  }

  readonly now = (): number => this.ms;

  readonly nowSec = (): number => Math.floor(this.ms / 1000);

  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export interface Harness {
  server: Server;
  port: number;
  secret: string;
  sid: string;
  clock: TestClock;
  logs: LogCapture;
  keyRing: KeyRing;
  /** The sync service the app runs with (the real one on a private folder unless the test passed its own). */
  sync: SyncFacade;
  /** Sign and send one shim request; the raw supertest response plus the token used. */
  send(options: SendOptions): Promise<{ res: request.Response; signed: SignedShimRequest; bytes: Buffer }>;
  /** Verify a signed sidecar reply as PHP does. */
  verify(res: request.Response, bytes: Buffer, signed: SignedShimRequest): Promise<SidecarReply>;
  /** A full respond/execute conversation through the shim's reference driver. */
  converse(options: Omit<ShimConversationOptions, 'transport' | 'secret' | 'sid'>): ReturnType<typeof runShimConversation>;
  transport: ShimTransport;
  close(): Promise<void>;
}

export interface SendOptions {
  method: string;
  path: string;
  /** htu; defaults to `path` without query. */
  htu?: string;
  body?: string | Uint8Array;
  ctx?: unknown;
  headers?: Record<string, string>;
  /** Override any signing input (secret, nowSec, jti, ttl, kid, method, body …). */
  sign?: Partial<SignShimRequestOptions>;
  /** Send these bytes instead of the signed body (body-swap tests). */
  sendBody?: string | Uint8Array;
  /** Send this Authorization header instead. */
  authorization?: string | null;
}

/** superagent would JSON-encode a Buffer sent as application/json; the bytes must go out untouched. */
const exactBytes = (body: unknown): string => body as string;

/** superagent parser that keeps the exact reply bytes (the signature covers them). */
function keepBytes(response: request.Response, callback: (error: Error | null, body: Buffer) => void): void {
  // In Node, superagent hands the parser the IncomingMessage stream.
  const res = response as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}

export async function startHarness(
  options: {
    secret?: string;
    appDeps?: Partial<AppDeps>;
    clock?: TestClock;
  } = {},
): Promise<Harness> {
  const secret = options.secret ?? newSecret();
  const clock = options.clock ?? new TestClock();
  const logs = createLogCapture('trace');
  const keyRing = new KeyRing({ current: Buffer.from(secret, 'base64url') });
  // The real sync runtime on a private folder, unless the test brings its own.
  let ownSync: { runtime: SyncRuntime; dir: string } | undefined;
  if (options.appDeps?.sync === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'igny8-harness-'));
    ownSync = { dir, runtime: await createSync({ config: testSyncConfig(dir), keyRing, logger: logs.logger, clock: clock.now }) };
  }
  const sync = options.appDeps?.sync ?? (ownSync as { runtime: SyncRuntime }).runtime.service;
  const app = createApp({ logger: logs.logger, keyRing, clock: clock.now, ...options.appDeps, sync });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const transport: ShimTransport = async (req) => {
    let test = request(server)[req.method.toLowerCase() as 'get'](req.url).set(req.headers);
    if (req.body.byteLength > 0) {
      test = test.serialize(exactBytes).send(Buffer.from(req.body));
    }
    const res = await test.buffer(true).parse(keepBytes);
    return {
      status: res.status,
      headers: res.headers as Record<string, string | undefined>,
      body: new Uint8Array(res.body as Buffer),
    };
  };

  const harness: Harness = {
    server,
    port,
    secret,
    sid: TEST_SID,
    clock,
    logs,
    keyRing,
    sync,
    transport,
    async send(send) {
      const htu = send.htu ?? send.path.split('?')[0] ?? send.path;
      const signed = await signShimRequest({
        secret,
        method: send.method,
        htu,
        sid: TEST_SID,
        ctx: send.ctx ?? shimContext(),
        nowSec: clock.nowSec(),
        ...(send.body === undefined ? {} : { body: send.body }),
        ...send.sign,
      });
      let test = request(server)[send.method.toLowerCase() as 'get'](send.path);
      if (send.authorization !== null) {
        test = test.set('Authorization', send.authorization ?? signed.headers.Authorization);
      }
      test = test.set({ 'Content-Type': 'application/json', ...send.headers });
      const outgoing = send.sendBody ?? signed.body;
      if (outgoing.length > 0) {
        test = test.serialize(exactBytes).send(Buffer.from(outgoing));
      }
      const res = await test.buffer(true).parse(keepBytes);
      return { res, signed, bytes: res.body as Buffer };
    },
    async verify(res, bytes, signed) {
      const { reply } = await verifySidecarReply({
        secret,
        token: res.headers['x-igny8-signature'] as string | undefined,
        body: new Uint8Array(bytes),
        requestJti: signed.jti,
        sid: TEST_SID,
        nowSec: clock.nowSec(),
      });
      return reply;
    },
    converse(conversation) {
      return runShimConversation({ transport, secret, sid: TEST_SID, nowSec: clock.nowSec, ...conversation });
    },
    async close() {
      await closeGracefully(server, 1000);
      if (ownSync !== undefined) {
        await ownSync.runtime.close();
        rmSync(ownSync.dir, { recursive: true, force: true });
      }
    },
  };
  return harness;
}

/** JSON body of an unsigned (pre-authentication) error reply. */
export function plainBody(bytes: Buffer): Record<string, unknown> {
  return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
}
