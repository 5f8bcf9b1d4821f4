/**
 * The sidecar's side of the signed exchange: verify a shim request, sign a reply.
 * Verification order follows architecture.md §2 exactly.
 */
import { randomFillSync } from 'node:crypto';

import { jwtParams } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { JwtError, readUnverifiedClaims, signJwt, verifyJwt } from './jwt.ts';
import { bodyHash, type KeyRing, type SiteKeys } from './keys.ts';
import { ShimRequestClaims, type SidecarReplyClaims } from './messages.ts';
import { ReplayCacheFullError, type ReplayLedger } from './replay-cache.ts';
import { PROTOCOL_VERSION, protocolCompatible, versionMismatch } from './version.ts';

export type Clock = () => number;

export interface ShimRequestFacts {
  /** Value of the Authorization header. */
  authorization: string | undefined;
  method: string;
  /** Request path without the query string, exactly as received (Express `req.path`). */
  path: string;
  rawBody: Uint8Array;
}

export interface VerifiedShimRequest {
  keys: SiteKeys;
  claims: ShimRequestClaims;
}

/** CSPRNG bytes drawn 512 at a time, each 16 used for one jti only (one randomFillSync per 32 tokens, not per token). */
const jtiPool = Buffer.alloc(512);
let jtiPoolUsed = jtiPool.length;

export function newJti(): string {
  if (jtiPoolUsed === jtiPool.length) {
    randomFillSync(jtiPool);
    jtiPoolUsed = 0;
  }
  const jti = jtiPool.toString('hex', jtiPoolUsed, jtiPoolUsed + 16);
  jtiPoolUsed += 16;
  return jti;
}

function safeDecodePath(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/**
 * `htu` is the route from WordPress's `get_route()`. The shim sends the request to SIDECAR_URL + that route, so
 * normally htu === path. If the route holds characters that had to be percent-encoded on the wire, WordPress's
 * route is the decoded form, so the decoded path is accepted too.
 */
export function htuMatchesPath(htu: string, path: string): boolean {
  return htu === path || htu === safeDecodePath(path);
}

export class ShimRequestVerifier {
  private readonly keyRing: KeyRing;
  private readonly replayCache: ReplayLedger;
  private readonly clock: Clock;
  private readonly revealKeyId: boolean;

  /**
   * `revealKeyId` (default true): an unknown kid is answered with this sidecar's key id (`sidecar_kid`), which the
   * shim shows beside its own so that an admin sees the two secrets differ. A multi-site sidecar passes false: there
   * the caller of an unknown kid may be another site naming this one's id, and a site's key id is nobody else's.
   */
  constructor(options: { keyRing: KeyRing; replayCache: ReplayLedger; clock: Clock; revealKeyId?: boolean }) {
    this.keyRing = options.keyRing;
    this.replayCache = options.replayCache;
    this.clock = options.clock;
    this.revealKeyId = options.revealKeyId ?? true;
  }

  /** Throws AppError SIDECAR_AUTH_MISMATCH (unknown kid) or SIGNATURE_INVALID (anything else). */
  async verify(request: ShimRequestFacts): Promise<VerifiedShimRequest> {
    const token = bearerToken(request.authorization);
    if (token === undefined) {
      throw invalid('missing Bearer token');
    }

    let verified: { keys: SiteKeys; claims: Record<string, unknown> };
    try {
      // The keys are bound to the site id; a sidecar serves one site (site-pin.ts), so another id is refused outright.
      const { sid, claims: unverified } = readUnverifiedClaims(token);
      const pinned = this.keyRing.site.get();
      if (pinned !== undefined && sid !== pinned) {
        throw new AppError(
          'SIDECAR_AUTH_MISMATCH',
          'The shim signed for another site than the one this sidecar serves. A sidecar serves one site: give each site (each subsite of a network) its own sidecar and secret, or set IGNY8_SIDECAR_SITE_ID to the id Settings → IGNY8 → Sidecar shows.',
          { details: { sidecar_kid: this.keyRing.kid, reason: 'site_id' } },
        );
      }
      verified = await verifyJwt(token, (kid) => {
        const keys = this.keyRing.find(kid, sid, this.clock());
        return keys === undefined ? undefined : { keys, key: keys.shimToSidecar };
      }, unverified);
    } catch (error) {
      if (error instanceof AppError) {
        throw error;
      }
      if (error instanceof JwtError && error.unknownKid) {
        throw this.revealKeyId
          ? new AppError('SIDECAR_AUTH_MISMATCH', 'The shim signed with a key this sidecar does not have.', { details: { sidecar_kid: this.keyRing.kid } })
          : new AppError(
              'SIDECAR_AUTH_MISMATCH',
              "The shim signed with a key this hosted sidecar does not hold for this site id: the site's secret differs from the one it enrolled or last rotated (ask the operator, or enrol again).",
            );
      }
      throw invalid(error instanceof JwtError ? error.message : 'token refused');
    }

    const parsed = ShimRequestClaims.safeParse(verified.claims);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      throw invalid(`claim ${first?.path.join('.') || '?'} invalid`);
    }
    const claims = parsed.data;
    const now = Math.floor(this.clock() / 1000);
    const leeway = jwtParams.leeway_seconds;

    if (claims.iat - leeway > now) {
      throw invalid('token issued in the future');
    }
    if (now > claims.exp + leeway) {
      throw invalid('token expired');
    }
    if (claims.exp < claims.iat || claims.exp - claims.iat > jwtParams.max_ttl_seconds) {
      throw invalid(`token lifetime must be at most ${jwtParams.max_ttl_seconds} s`);
    }
    if (await this.replayCache.has(claims.jti, now)) {
      throw invalid('token replayed');
    }
    if (claims.htm !== request.method) {
      throw invalid('htm does not match the request method');
    }
    if (!htuMatchesPath(claims.htu, request.path)) {
      throw invalid('htu does not match the request path');
    }
    if (claims.bh !== bodyHash(request.rawBody)) {
      throw invalid('bh does not match the request body');
    }
    if (claims.pv === undefined || !protocolCompatible(claims.pv, PROTOCOL_VERSION)) {
      const site = (claims.ctx as { site?: { plugin_version?: unknown } } | undefined)?.site;
      const pluginVersion = typeof site?.plugin_version === 'string' && /^[0-9A-Za-z.+-]{1,32}$/.test(site.plugin_version) ? site.plugin_version : undefined;
      throw versionMismatch(claims.pv !== undefined && /^\d+\.\d+$/.test(claims.pv) ? claims.pv : undefined, pluginVersion);
    }
    // Recorded only once every check passed. add() decides: two requests with one jti may both pass has() (an
    // asynchronous ledger, or another replica's), only one is recorded first.
    let first: boolean;
    try {
      first = await this.replayCache.add(claims.jti, claims.exp + leeway, now);
    } catch (error) {
      if (error instanceof ReplayCacheFullError) {
        throw new AppError('RATE_LIMITED', 'Too many signed requests in flight; retry shortly.', {
          retryAfterSeconds: leeway,
        });
      }
      throw error;
    }
    if (!first) {
      throw invalid('token replayed');
    }
    this.keyRing.site.learn(claims.sid);
    return { keys: verified.keys, claims };
  }
}

function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1];
}

function invalid(reason: string): AppError {
  return new AppError('SIGNATURE_INVALID', `Request signature invalid: ${reason}.`);
}

/** Signs the exact reply bytes for `X-IGNY8-Signature`. */
export async function signSidecarReply(options: {
  keys: SiteKeys;
  sid: string;
  requestJti: string;
  body: Uint8Array;
  nowSec: number;
  ttlSeconds?: number;
}): Promise<string> {
  const claims: SidecarReplyClaims = {
    iss: jwtParams.sidecar.iss,
    aud: jwtParams.audiences.shim,
    iat: options.nowSec,
    exp: options.nowSec + (options.ttlSeconds ?? 30),
    jti: newJti(),
    sid: options.sid,
    req: options.requestJti,
    bh: bodyHash(options.body),
    pv: PROTOCOL_VERSION,
  };
  return signJwt(claims, options.keys.sidecarToShim, options.keys.kid);
}
