/**
 * Site secret → per-direction HMAC keys and key id (architecture.md §1).
 */
import { createHash, createHmac } from 'node:crypto';

import { jwtParams } from '../contract/contract.ts';
import { SitePin } from './site-pin.ts';

export const SECRET_BYTES = 32;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Strict base64url (no padding, no other alphabet); returns undefined instead of guessing. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    return undefined;
  }
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** base64url(SHA-256(bytes)): the `bh` claim. */
export function bodyHash(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('base64url');
}

/**
 * Decodes a site secret: 32 random bytes, base64url without padding (43 characters). Surrounding whitespace
 * (a trailing newline in a secret file) is ignored; anything else that is not exactly 32 bytes is refused.
 * The message never contains the secret.
 */
export function decodeSecret(text: string, name = 'secret'): Uint8Array {
  const trimmed = text.trim();
  const bytes = decodeBase64url(trimmed);
  if (bytes === undefined || bytes.byteLength !== SECRET_BYTES || base64url(bytes) !== trimmed) {
    throw new Error(`${name} must be ${SECRET_BYTES} random bytes encoded as base64url without padding (43 characters)`);
  }
  return bytes;
}

export type KeyDirection = 'shim->sidecar' | 'sidecar->shim';

/** HMAC-SHA256(secret, direction + "|" + sid): the keys are bound to one site (SPEC §3; contract jwt.derive_format). */
export function deriveDirectionKey(secret: Uint8Array, direction: KeyDirection, sid: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(`${direction}|${sid}`, 'utf8').digest());
}

/** First 16 hex characters of SHA-256(secret): the JWT `kid` and the fingerprint shown in settings. */
export function keyId(secret: Uint8Array): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

export interface SiteKeys {
  readonly kid: string;
  /** The site these keys are bound to (the `sid` claim). */
  readonly sid: string;
  /** Verifies shim → sidecar requests (the shim signs with it). */
  readonly shimToSidecar: Uint8Array;
  /** Signs sidecar → shim replies and internal calls. */
  readonly sidecarToShim: Uint8Array;
}

export function siteKeys(secret: Uint8Array, sid: string): SiteKeys {
  return {
    kid: keyId(secret),
    sid,
    shimToSidecar: deriveDirectionKey(secret, jwtParams.shim.derive, sid),
    sidecarToShim: deriveDirectionKey(secret, jwtParams.sidecar.derive, sid),
  };
}

/**
 * The secrets the sidecar accepts, looked up by `kid`, and the keys derived from them for one site id. The previous
 * secret (rotation) is accepted only until `previousValidUntilMs`: the sidecar counts the grace period from its own
 * start with the new secret. `site` is the one site id this sidecar serves.
 */
export class KeyRing {
  /** Key id of the current secret (the sidecar's fingerprint). */
  readonly kid: string;
  readonly site: SitePin;
  readonly previousValidUntilMs: number;
  private readonly currentSecret: Uint8Array;
  private readonly previous: { kid: string; secret: Uint8Array } | undefined;
  private readonly keyCache = new Map<string, SiteKeys>();

  constructor(options: { current: Uint8Array; previous?: Uint8Array | undefined; previousValidUntilMs?: number; site?: SitePin }) {
    this.currentSecret = options.current;
    this.site = options.site ?? new SitePin();
    this.kid = keyId(options.current);
    this.previous = options.previous === undefined ? undefined : { kid: keyId(options.previous), secret: options.previous };
    this.previousValidUntilMs = options.previousValidUntilMs ?? 0;
  }

  /** The current keys for a site: what the sidecar signs with. */
  forSite(sid: string): SiteKeys {
    return this.derived(this.currentSecret, sid);
  }

  find(kid: string, sid: string, nowMs: number): SiteKeys | undefined {
    if (kid === this.kid) {
      return this.forSite(sid);
    }
    if (this.previous !== undefined && kid === this.previous.kid && nowMs <= this.previousValidUntilMs) {
      return this.derived(this.previous.secret, sid);
    }
    return undefined;
  }

  /**
   * siteKeys() of a secret this ring holds, kept for the last few site ids: the derivation is three HMACs, asked for
   * on every request and reply (a sidecar serves one site; a hosted one a ring per site).
   */
  private derived(secret: Uint8Array, sid: string): SiteKeys {
    const cacheKey = `${secret === this.currentSecret ? 'c' : 'p'}|${sid}`;
    let keys = this.keyCache.get(cacheKey);
    if (keys === undefined) {
      keys = siteKeys(secret, sid);
      if (this.keyCache.size >= 8) {
        this.keyCache.clear();
      }
      this.keyCache.set(cacheKey, keys);
    }
    return keys;
  }
}
