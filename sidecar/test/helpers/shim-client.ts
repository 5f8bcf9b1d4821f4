/**
 * The shim's half of the protocol, in TypeScript: sign a request exactly as PHP does, verify a sidecar reply
 * exactly as PHP must, and drive a whole respond/execute conversation with a pluggable operation executor.
 *
 * Test tooling only (never shipped): the sidecar's tests use it to talk to the app the way PHP does, and it is the
 * executable reference the PHP proxy (`Rest/Proxy_Controller.php`, `Sidecar/Client.php`) is written against.
 */
import { contract, isRouteOperation, jwtParams, limits, routeReadOps, type HttpMethod } from '../../src/contract/contract.ts';
import { JwtError, signJwt, verifyJwt } from '../../src/protocol/jwt.ts';
import { bodyHash, decodeSecret, siteKeys, type SiteKeys } from '../../src/protocol/keys.ts';
import {
  ErrorEnvelope,
  SidecarReply,
  SidecarReplyClaims,
  type Envelope,
  type Operation,
  type ShimRequestClaims,
} from '../../src/protocol/messages.ts';
import { newJti } from '../../src/protocol/shim-requests.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type SecretInput = string | Uint8Array;

function keysFor(secret: SecretInput, sid: string): SiteKeys {
  return siteKeys(typeof secret === 'string' ? decodeSecret(secret) : secret, sid);
}

function toBytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined) {
    return new Uint8Array();
  }
  return typeof body === 'string' ? encoder.encode(body) : body;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface SignShimRequestOptions {
  /** Site secret: base64url text or the decoded 32 bytes. */
  secret: SecretInput;
  /** Effective method (`htm`). */
  method: string;
  /** REST route from `get_route()` or the sidecar path, e.g. `/igny8/v1/site-metadata` or `/_shim/continue`. */
  htu: string;
  /** Raw body bytes as they will be sent; omitted = empty body. */
  body?: string | Uint8Array;
  sid: string;
  ctx: unknown;
  nowSec?: number;
  jti?: string;
  ttlSeconds?: number;
  /** Sign with a different kid in the header (tests of unknown-kid handling). */
  kid?: string;
  /** Protocol version claim; omitted = the contract's, null = no `pv` claim. */
  pv?: string | null;
}

export interface SignedShimRequest {
  token: string;
  jti: string;
  claims: ShimRequestClaims;
  body: Uint8Array;
  headers: { Authorization: string };
}

export async function signShimRequest(options: SignShimRequestOptions): Promise<SignedShimRequest> {
  const keys = keysFor(options.secret, options.sid);
  const body = toBytes(options.body);
  const iat = options.nowSec ?? nowSeconds();
  const claims: ShimRequestClaims = {
    iss: jwtParams.shim.iss,
    aud: jwtParams.audiences.sidecar,
    iat,
    exp: iat + (options.ttlSeconds ?? 30),
    jti: options.jti ?? newJti(),
    sid: options.sid,
    htm: options.method,
    htu: options.htu,
    bh: bodyHash(body),
    ...(options.pv === null ? {} : { pv: options.pv ?? PROTOCOL_VERSION }),
    ctx: options.ctx,
  };
  const token = await signJwt(claims, keys.shimToSidecar, options.kid ?? keys.kid);
  return { token, jti: claims.jti, claims, body, headers: { Authorization: `Bearer ${token}` } };
}

/** A reply the shim must refuse; `code` is what PHP answers IGNY8 with (architecture.md §3.4). */
export class ShimProtocolError extends Error {
  readonly code: 'SIDECAR_BAD_RESPONSE' | 'SIDECAR_AUTH_MISMATCH';
  readonly httpStatus: number | undefined;
  readonly replyBody: unknown;

  constructor(code: ShimProtocolError['code'], message: string, httpStatus?: number, replyBody?: unknown) {
    super(message);
    this.name = 'ShimProtocolError';
    this.code = code;
    this.httpStatus = httpStatus;
    this.replyBody = replyBody;
  }
}

export interface VerifySidecarReplyOptions {
  secret: SecretInput;
  /** `X-IGNY8-Signature` header value. */
  token: string | undefined;
  /** Exact reply body bytes. */
  body: Uint8Array;
  /** jti of the request this reply answers. */
  requestJti: string;
  sid: string;
  nowSec?: number;
}

/** Verifies a sidecar reply the way the PHP shim must, then validates its shape. */
export async function verifySidecarReply(options: VerifySidecarReplyOptions): Promise<{ claims: SidecarReplyClaims; reply: SidecarReply }> {
  const bad = (reason: string) => new ShimProtocolError('SIDECAR_BAD_RESPONSE', `sidecar reply refused: ${reason}`);
  if (options.token === undefined || options.token === '') {
    throw bad('no signature header');
  }
  const keys = keysFor(options.secret, options.sid);
  let rawClaims: Record<string, unknown>;
  try {
    ({ claims: rawClaims } = await verifyJwt(options.token, (kid) =>
      kid === keys.kid ? { keys, key: keys.sidecarToShim } : undefined,
    ));
  } catch (error) {
    throw bad(error instanceof JwtError ? error.message : 'signature');
  }
  const parsed = SidecarReplyClaims.safeParse(rawClaims);
  if (!parsed.success) {
    throw bad('claims');
  }
  const claims = parsed.data;
  const now = options.nowSec ?? nowSeconds();
  const leeway = jwtParams.leeway_seconds;
  if (claims.iat - leeway > now || now > claims.exp + leeway || claims.exp < claims.iat || claims.exp - claims.iat > jwtParams.max_ttl_seconds) {
    throw bad('time claims');
  }
  if (claims.req !== options.requestJti) {
    throw bad('req does not match our jti');
  }
  if (claims.sid !== options.sid) {
    throw bad('sid does not match');
  }
  if (claims.bh !== bodyHash(options.body)) {
    throw bad('bh does not match the body');
  }
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(options.body));
  } catch {
    throw bad('body is not JSON');
  }
  const reply = SidecarReply.safeParse(json);
  if (!reply.success) {
    throw bad('reply shape');
  }
  return { claims, reply: reply.data };
}

// ---------------------------------------------------------------- conversation driver

export interface ShimTransportRequest {
  method: string;
  /** Path plus query string. */
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface ShimTransportResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Uint8Array;
}

export type ShimTransport = (request: ShimTransportRequest) => Promise<ShimTransportResponse>;

/** A transport over real HTTP (integration tests against a running sidecar on 127.0.0.1). */
export function fetchTransport(baseUrl: string): ShimTransport {
  return async (request) => {
    const response = await fetch(new URL(request.url, baseUrl), {
      method: request.method,
      headers: request.headers,
      ...(request.body.byteLength > 0 ? { body: new Uint8Array(request.body) } : {}),
    });
    const headers: Record<string, string | undefined> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
  };
}

export type OperationExecutor = (op: Operation) => unknown;

export interface ShimConversationOptions {
  transport: ShimTransport;
  secret: SecretInput;
  sid: string;
  method: string;
  /** REST route as `get_route()` returns it, e.g. `/igny8/v1/site-metadata`. */
  route: string;
  /** Original query string without `?`. */
  query?: string;
  body?: string | Uint8Array;
  contentType?: string;
  /** The `ctx` claim; the same ctx is sent with every continue. */
  ctx: { route_id: string } & Record<string, unknown>;
  /** Runs one op and returns its result (`{ok:true,...}` or `{ok:false,error}`). */
  executeOp: OperationExecutor;
  nowSec?: () => number;
}

export interface ShimConversationResult {
  status: number;
  body: Envelope;
  /** Number of execute replies that were run. */
  rounds: number;
  replies: SidecarReply[];
}

/**
 * Plays the PHP proxy: sends the signed request, verifies each reply, runs `execute` ops (only names in
 * `operations.proxy`, at most `limits.max_rounds` execute replies), posts the results to /_shim/continue,
 * and returns the final respond reply.
 */
export async function runShimConversation(options: ShimConversationOptions): Promise<ShimConversationResult> {
  const replies: SidecarReply[] = [];
  const now = options.nowSec ?? nowSeconds;
  let rounds = 0;
  let request: { method: string; htu: string; url: string; body: Uint8Array; contentType: string | undefined } = {
    method: options.method,
    htu: options.route,
    url: options.route + (options.query ? `?${options.query}` : ''),
    body: toBytes(options.body),
    contentType: options.contentType,
  };
  // A route with contract `reads`: run them first and send their results instead of the caller's body.
  const spec = contract.routes.find((route) => route.id === options.ctx.route_id && route.methods.includes(options.method as HttpMethod));
  if (spec?.reads !== undefined) {
    const params = (options.ctx.params ?? {}) as Record<string, string>;
    const reads: unknown[] = [];
    for (const op of routeReadOps(spec.reads, params)) {
      reads.push(await options.executeOp(op as Operation));
    }
    request = { ...request, body: encoder.encode(JSON.stringify({ reads })), contentType: 'application/json' };
  }

  for (;;) {
    const signed = await signShimRequest({
      secret: options.secret,
      method: request.method,
      htu: request.htu,
      body: request.body,
      sid: options.sid,
      ctx: options.ctx,
      nowSec: now(),
    });
    const headers: Record<string, string> = { ...signed.headers };
    if (request.contentType !== undefined) {
      headers['Content-Type'] = request.contentType;
    }
    const response = await options.transport({ method: request.method, url: request.url, headers, body: signed.body });
    if (response.status !== 200) {
      throw unsignedFailure(response);
    }
    const { reply } = await verifySidecarReply({
      secret: options.secret,
      token: response.headers[jwtParams.header.toLowerCase()],
      body: response.body,
      requestJti: signed.jti,
      sid: options.sid,
      nowSec: now(),
    });
    replies.push(reply);
    if (reply.kind === 'respond') {
      return { status: reply.status, body: reply.body, rounds, replies };
    }

    rounds += 1;
    if (rounds > limits.max_rounds) {
      throw new ShimProtocolError('SIDECAR_BAD_RESPONSE', `more than ${limits.max_rounds} execute rounds`);
    }
    // As PHP does: only the operations of this route (contract routes[].operations).
    const refused = reply.ops.find((op) => !isRouteOperation(options.ctx.route_id, op.op));
    if (refused !== undefined) {
      throw new ShimProtocolError('SIDECAR_BAD_RESPONSE', `operation ${refused.op} is not in this route's operations`);
    }
    const results: unknown[] = [];
    for (const op of reply.ops) {
      results.push(await options.executeOp(op));
    }
    request = {
      method: 'POST',
      htu: contract.sidecar_paths.continue,
      url: contract.sidecar_paths.continue,
      body: encoder.encode(JSON.stringify({ route_id: options.ctx.route_id, state: reply.state, results })),
      contentType: 'application/json',
    };
  }
}

function unsignedFailure(response: ShimTransportResponse): ShimProtocolError {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(response.body));
  } catch {
    body = undefined;
  }
  const envelope = ErrorEnvelope.safeParse(body);
  if (envelope.success && envelope.data.code === 'SIDECAR_AUTH_MISMATCH') {
    return new ShimProtocolError('SIDECAR_AUTH_MISMATCH', envelope.data.error, response.status, body);
  }
  return new ShimProtocolError('SIDECAR_BAD_RESPONSE', `sidecar answered HTTP ${response.status}`, response.status, body);
}
