/**
 * Asynchronous sidecar → WordPress calls (SPEC §3 rule 4): `POST {WP_URL}/wp-json/igny8/v1/internal/ops` with a
 * sidecar JWT (iss igny8-sidecar, aud igny8-shim-internal, htm/htu/bh of this very request). Used only by the sync
 * worker and the reconciler, never while the shim waits on the sidecar, so it cannot deadlock a PHP worker pool.
 */
import { contract, jwtParams, restRoutePrefix } from '../contract/contract.ts';
import { httpRequest } from './http-request.ts';
import type { Logger } from '../logger.ts';
import { signJwt } from '../protocol/jwt.ts';
import { bodyHash, type KeyRing } from '../protocol/keys.ts';
import { newJti } from '../protocol/shim-requests.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';

export type InternalOp =
  | { op: 'list_pending'; limit?: number; after_id?: number }
  | { op: 'write_sync_meta'; post_id: number; seq?: string; meta: Record<string, string | null> }
  | { op: 'clear_pending_marker'; post_id: number; seq: string }
  | { op: 'site_info' }
  | { op: 'clear_term_change'; term_id: number; seq: string };

export class WordPressUnavailableError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'WordPressUnavailableError';
    this.status = status;
  }
}

export interface WordPressOps {
  run(ops: readonly InternalOp[]): Promise<unknown[]>;
}

export interface WordPressInternalClientOptions {
  wpUrl: string;
  keyRing: KeyRing;
  logger: Logger;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class WordPressInternalClient implements WordPressOps {
  private readonly url: string;
  private readonly htu = `${restRoutePrefix}${contract.internal_route.path}`;
  private readonly options: WordPressInternalClientOptions;

  constructor(options: WordPressInternalClientOptions) {
    this.options = options;
    this.url = `${options.wpUrl.replace(/\/+$/, '')}/wp-json${this.htu}`;
  }

  async run(ops: readonly InternalOp[]): Promise<unknown[]> {
    const body = JSON.stringify({ ops });
    // The shim checks `sid` and the keys are derived from it: nothing can be signed before the site id is known.
    const sid = this.options.keyRing.site.get();
    if (sid === undefined) {
      throw new WordPressUnavailableError(
        'The site id is not known yet: it is learned from the first request WordPress sends (or set IGNY8_SIDECAR_SITE_ID).',
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const keys = this.options.keyRing.forSite(sid);
    const token = await signJwt(
      {
        iss: jwtParams.sidecar.iss,
        aud: jwtParams.audiences.shim_internal,
        iat: now,
        exp: now + 30,
        jti: newJti(),
        sid,
        htm: 'POST',
        htu: this.htu,
        bh: bodyHash(body),
        pv: PROTOCOL_VERSION,
      },
      keys.sidecarToShim,
      keys.kid,
    );
    let res: Response;
    try {
      res = await (this.options.fetch ?? httpRequest)(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, Accept: 'application/json' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 20_000),
      });
    } catch (error) {
      throw new WordPressUnavailableError(`WordPress is not reachable (${(error as Error).name}).`);
    }
    const text = await res.text();
    let json: { success?: unknown; data?: { results?: unknown }; code?: unknown } | undefined;
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      json = undefined;
    }
    if (res.status !== 200 || json?.success !== true || !Array.isArray(json.data?.results)) {
      const code = typeof json?.code === 'string' ? json.code : 'unexpected reply';
      this.options.logger.warn({ status: res.status, code, ops: ops.length }, 'internal ops call refused');
      throw new WordPressUnavailableError(`WordPress refused the internal call (HTTP ${res.status}, ${code}).`, res.status);
    }
    return json.data.results as unknown[];
  }
}
