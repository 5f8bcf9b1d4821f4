/**
 * Compact HS256 JWS for both directions (architecture.md §2), on node:crypto's HMAC: one synchronous HMAC per token
 * (jose's WebCrypto path cost a thread-pool job and key import checks on every request, both ways).
 *
 * Tokens are built from an exact claims object (JSON.stringify keeps insertion order and escapes neither `/` nor
 * non-ASCII, like PHP's JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE), so the contract's test vectors can be
 * reproduced byte for byte. The protected header is always `{"alg":"HS256","typ":"JWT","kid":…}` in that order.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { decodeBase64url } from './keys.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

const KID = /^[0-9a-f]{16}$/;
const HEADER_MEMBERS = ['alg', 'kid', 'typ'];

/** Why a token was refused. `unknownKid` is the one failure the shim reports as SIDECAR_AUTH_MISMATCH. */
export class JwtError extends Error {
  readonly unknownKid: boolean;

  constructor(reason: string, unknownKid = false) {
    super(reason);
    this.name = 'JwtError';
    this.unknownKid = unknownKid;
  }
}

const segment = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

const hs256 = (key: Uint8Array, signingInput: string) => createHmac('sha256', key).update(signingInput, 'ascii').digest();

export async function signJwt(claims: Readonly<Record<string, unknown>>, key: Uint8Array, kid: string): Promise<string> {
  if (key.byteLength === 0) {
    throw new JwtError('empty signing key');
  }
  const signingInput = `${segment(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid }))}.${segment(JSON.stringify(claims))}`;
  return `${signingInput}.${hs256(key, signingInput).toString('base64url')}`;
}

function decodeJsonSegment(segment: string, what: string): unknown {
  const bytes = decodeBase64url(segment);
  if (bytes === undefined) {
    throw new JwtError(`${what} is not base64url`);
  }
  try {
    return JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw new JwtError(`${what} is not JSON`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the protected header and enforces exactly `{"alg":"HS256","typ":"JWT","kid":"<16 hex>"}`. */
export function readPinnedHeader(token: string): { kid: string } {
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new JwtError('token is not a compact JWS');
  }
  const header = decodeJsonSegment(parts[0] ?? '', 'header');
  if (!isPlainObject(header)) {
    throw new JwtError('header is not an object');
  }
  const members = Object.keys(header).sort();
  if (members.length !== HEADER_MEMBERS.length || members.some((name, i) => name !== HEADER_MEMBERS[i])) {
    throw new JwtError('header must have exactly alg, typ and kid');
  }
  if (header.alg !== 'HS256') {
    throw new JwtError('alg must be HS256');
  }
  if (header.typ !== 'JWT') {
    throw new JwtError('typ must be JWT');
  }
  if (typeof header.kid !== 'string' || !KID.test(header.kid)) {
    throw new JwtError('kid must be 16 lowercase hex characters');
  }
  return { kid: header.kid };
}

/**
 * The claims of a token whose signature is not checked yet, and its `sid`: the keys are derived per site, so the
 * verifier needs the sid to pick the key. Nothing else of the unverified payload may be trusted; verifyJwt() takes
 * these claims back once the signature over the same bytes verified, so the payload is decoded once.
 */
export function readUnverifiedClaims(token: string): { sid: string; claims: Record<string, unknown> } {
  const claims = decodeJsonSegment(token.split('.')[1] ?? '', 'claims');
  const sid = isPlainObject(claims) ? claims.sid : undefined;
  if (!isPlainObject(claims) || typeof sid !== 'string' || sid.length === 0 || sid.length > 100) {
    throw new JwtError('claim sid missing or invalid');
  }
  return { sid, claims };
}

export function readUnverifiedSid(token: string): string {
  return readUnverifiedClaims(token).sid;
}

/**
 * Verifies header and signature, and only then decodes the claims. `keyFor` picks the key by kid; returning
 * undefined means the kid is unknown. `decoded`: what readUnverifiedClaims() read from this same token, returned
 * as the claims once the signature verified instead of decoding the payload again.
 */
export async function verifyJwt<K extends { readonly kid: string }>(
  token: string,
  keyFor: (kid: string) => { keys: K; key: Uint8Array } | undefined,
  decoded?: Record<string, unknown>,
): Promise<{ keys: K; claims: Record<string, unknown> }> {
  const { kid } = readPinnedHeader(token);
  const found = keyFor(kid);
  if (found === undefined) {
    throw new JwtError(`unknown kid ${kid}`, true);
  }
  const [header = '', body = '', signature = ''] = token.split('.');
  const payload = decodeBase64url(body);
  const expected = Buffer.from(hs256(found.key, `${header}.${body}`).toString('base64url'), 'ascii');
  const given = Buffer.from(signature, 'ascii');
  // Compared as canonical base64url text of equal length: a non-canonical encoding of the right bytes is refused too.
  if (payload === undefined || found.key.byteLength === 0 || given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected)) {
    throw new JwtError('signature does not verify');
  }
  if (decoded !== undefined) {
    return { keys: found.keys, claims: decoded };
  }
  let claims: unknown;
  try {
    claims = JSON.parse(strictUtf8.decode(payload));
  } catch {
    throw new JwtError('claims are not JSON');
  }
  if (!isPlainObject(claims)) {
    throw new JwtError('claims are not an object');
  }
  return { keys: found.keys, claims };
}
