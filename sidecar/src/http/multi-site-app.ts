/**
 * The multi-site sidecar's HTTP app (issue #16 §1–2). Request pipeline:
 *
 *   front door (log, no Origin, Host, /healthz)
 *     → POST /_shim/enrol   (unauthenticated except by the enrolment code)
 *     → /_operator/…        (the operator API: the operator token only, never a site's keys; operator-api.ts)
 *     → the token's `sid` claim picks the site's own pipeline (its keys, sync, limits; app.ts shimPipeline)
 *     → plain errors
 *
 * The `sid` is read unverified only to choose whose keys verify the token. That site's pipeline then checks the
 * signature with keys derived from its own secret AND its own id, and pins the claim to that id, so a token signed
 * with site A's key never passes as site B: B's secret has another kid, and A's key claiming B's id is refused.
 */
import { randomUUID } from 'node:crypto';

import type { Express, RequestHandler } from 'express';
import { z } from 'zod';

import { EnrolmentRefused, type EnrolRefusal } from '../adapters/site-registry.ts';
import { contract } from '../contract/contract.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';
import type { Logger } from '../logger.ts';
import { JwtError, readUnverifiedSid } from '../protocol/jwt.ts';
import { decodeSecret, keyId } from '../protocol/keys.ts';
import { SITE_ID_PATTERN } from '../protocol/site-pin.ts';
import type { Clock } from '../protocol/shim-requests.ts';
import { frontDoor, plainErrors } from './app.ts';
import { captureRawBody, parseJsonBody } from './json-body.ts';
import { operatorApi, type OperatorDesk } from './operator-api.ts';

/** The sites a multi-site sidecar serves: the request pipeline of an active site, undefined for any other id. */
export interface SiteDirectory {
  pipeline(sid: string): Promise<RequestHandler | undefined>;
}

/** What the enrolment route needs of the site registry (adapters/site-registry.ts `redeem`). */
export interface EnrolmentDesk {
  redeem(code: string, site: { siteId: string; wpUrl: string; keyId: string; secret: string }): Promise<{ siteId: string; keyId: string; status: string }>;
}

export interface MultiSiteAppDeps {
  logger: Logger;
  sites: SiteDirectory;
  enrolment: EnrolmentDesk;
  allowedHosts?: readonly string[] | undefined;
  clock?: Clock;
  version?: string;
  onCatastrophic?: (error: AppError) => void;
  /** `GET /metrics` for the operator (http/metrics-route.ts); undefined = not served. */
  metrics?: RequestHandler;
  /** The operator API (http/operator-api.ts): the sites registry and IGNY8_SIDECAR_OPERATOR_TOKEN (unset = 404). */
  operator?: { token: string | undefined; desk: OperatorDesk };
}

/** The shim's registration: its site id, its address, and the secret it just generated (over https only). */
export const EnrolBody = z.strictObject({
  code: z.string().min(1).max(200),
  site_id: z.string().regex(SITE_ID_PATTERN),
  wp_url: z.url({ protocol: /^https?$/ }).max(2000),
  secret: z.string().min(1).max(100),
  /** The key id the shim computed; when sent it must match the secret's. */
  key_id: z.string().regex(/^[0-9a-f]{16}$/).optional(),
});

const REFUSALS: Record<EnrolRefusal, string> = {
  unknown_code: 'This enrolment code is not known to the sidecar: ask its operator for a new one.',
  expired: 'This enrolment code has expired: ask the sidecar operator for a new one.',
  used: 'This enrolment code was already used: each code enrols one site once.',
  url_mismatch: 'This enrolment code was issued for another WordPress address.',
  site_exists: 'This site is already enrolled on the sidecar: ask its operator to remove it first, or to rotate its secret.',
};

export function enrolRoute(desk: EnrolmentDesk): RequestHandler {
  return async (_req, res) => {
    const parsed = EnrolBody.safeParse(parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0)));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new AppError('BAD_REQUEST', `Invalid enrolment request (${field}).`, { field });
    }
    const body = parsed.data;
    let secretKid: string;
    try {
      secretKid = keyId(decodeSecret(body.secret));
    } catch {
      throw new AppError('BAD_REQUEST', 'The secret must be 32 random bytes as base64url without padding.', { field: 'secret' });
    }
    if (body.key_id !== undefined && body.key_id !== secretKid) {
      throw new AppError('BAD_REQUEST', 'key_id is not the key id of this secret.', { field: 'key_id' });
    }
    let site: Awaited<ReturnType<EnrolmentDesk['redeem']>>;
    try {
      site = await desk.redeem(body.code, { siteId: body.site_id, wpUrl: body.wp_url, keyId: secretKid, secret: body.secret.trim() });
    } catch (error) {
      if (error instanceof EnrolmentRefused) {
        throw new AppError('ENROLMENT_REFUSED', REFUSALS[error.reason], { details: { reason: error.reason } });
      }
      throw error;
    }
    const requestId = res.locals.requestId ?? randomUUID();
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(successEnvelope(requestId, { site_id: site.siteId, key_id: site.keyId, status: site.status }));
  };
}

function bearerSid(authorization: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/i.exec(authorization?.trim() ?? '');
  if (match === null) {
    throw new AppError('SIGNATURE_INVALID', 'Request signature invalid: missing Bearer token.');
  }
  try {
    return readUnverifiedSid(match[1] as string);
  } catch (error) {
    throw new AppError('SIGNATURE_INVALID', `Request signature invalid: ${error instanceof JwtError ? error.message : 'token refused'}.`);
  }
}

/** Hands the request to the pipeline of the site its token names; any other id is refused before a key is tried. */
export function routeToSite(sites: SiteDirectory): RequestHandler {
  return async (req, res, next) => {
    const sid = bearerSid(req.headers.authorization);
    const pipeline = SITE_ID_PATTERN.test(sid) ? await sites.pipeline(sid) : undefined;
    if (pipeline === undefined) {
      throw new AppError('SIDECAR_AUTH_MISMATCH', 'This hosted sidecar serves no active site with this site id: enrol the site (Settings → IGNY8 → Sidecar), or ask the operator whether it was disabled.', {
        details: { reason: 'site_unknown' },
      });
    }
    pipeline(req, res, next);
  };
}

export function createMultiSiteApp(deps: MultiSiteAppDeps): Express {
  const app = frontDoor({ ...deps, publicHealth: true });
  app.post(contract.sidecar_paths.enrol, captureRawBody(), enrolRoute(deps.enrolment));
  // Before any site's pipeline: nothing under the operator prefix is handed to a site's keys.
  if (deps.operator !== undefined) {
    app.use(contract.sidecar_paths.operator, operatorApi(deps.operator));
  }
  app.use(routeToSite(deps.sites));
  app.use(plainErrors(deps));
  return app;
}
