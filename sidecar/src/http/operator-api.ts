/**
 * The operator API of a hosted sidecar (issue #16 §2), under contract `sidecar_paths.operator`: the `sites` commands
 * over https, for an operator's tooling.
 *
 *   GET    {operator}/sites              every site
 *   GET    {operator}/sites/:id          one site
 *   POST   {operator}/enrolments         {"url": "https://site…", "ttl_minutes": 60} → a single-use code, shown once
 *   POST   {operator}/sites/:id/disable  | /enable
 *   POST   {operator}/sites/:id/rotate   a new signing secret for the site, shown once
 *   DELETE {operator}/sites/:id          forgets the site with its queue, ledger and values
 *   GET    {operator}/credentials-key    the current credentials key id and how many sealed values name each key id
 *   POST   {operator}/credentials-key/reseal   every sealed value sealed again with the current key (rotation)
 *
 * Mounted before any site's pipeline and answering everything under its prefix itself, so no request there ever
 * reaches a site's keys: it answers to `Authorization: Bearer <IGNY8_SIDECAR_OPERATOR_TOKEN>` alone (constant-time,
 * as /metrics), and anything else, a site's correctly signed token included, is 401 OPERATOR_UNAUTHORIZED in the
 * unified error envelope. Without a configured token every path here is 404 ROUTE_NOT_FOUND.
 */
import { randomUUID } from 'node:crypto';

import { Router, type Request, type Response } from 'express';
import { z } from 'zod';

import type { ResealCounts } from '../adapters/credential-reseal.ts';
import type { SiteRecord } from '../adapters/site-registry.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';
import { SITE_ID_PATTERN } from '../protocol/site-pin.ts';
import { captureRawBody, parseJsonBody } from './json-body.ts';
import { operatorAuthorized } from './metrics-route.ts';

/** What the API needs of the site registry (adapters/site-registry.ts). */
export interface OperatorDesk {
  list(): Promise<SiteRecord[]>;
  get(siteId: string): Promise<SiteRecord | undefined>;
  createEnrolment(wpUrl: string, ttlMs: number): Promise<{ code: string; expiresAt: number }>;
  setStatus(siteId: string, status: 'active' | 'disabled'): Promise<boolean>;
  issueSecret(siteId: string): Promise<{ keyId: string; secret: string } | undefined>;
  remove(siteId: string): Promise<boolean>;
  readonly credentialKeyIds: { current: string; known: string[] };
  sealedKeyIds(): Promise<Map<string, number>>;
  resealAll(): Promise<ResealCounts & { sites: number }>;
}

const EnrolmentBody = z.strictObject({
  url: z.url({ protocol: /^https?$/ }).max(2000),
  ttl_minutes: z.int().min(1).max(7 * 24 * 60).optional(),
});

const siteJson = (site: SiteRecord) => ({
  site_id: site.siteId,
  wp_url: site.wpUrl,
  key_id: site.keyId,
  status: site.status,
  created_at: new Date(site.createdAt).toISOString(),
  updated_at: new Date(site.updatedAt).toISOString(),
});

function answer(res: Response, status: number, data: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).json(successEnvelope(res.locals.requestId ?? randomUUID(), data));
}

const noSite = (siteId: string) => new AppError('ROUTE_NOT_FOUND', `No site ${siteId} is enrolled on this sidecar.`, { field: 'site_id' });

export function operatorApi(options: { token: string | undefined; desk: OperatorDesk }): Router {
  const router = Router();
  router.use((req, res, next) => {
    if (options.token === undefined) {
      next(new AppError('ROUTE_NOT_FOUND', 'The operator API is off: set IGNY8_SIDECAR_OPERATOR_TOKEN to serve it.'));
      return;
    }
    if (!operatorAuthorized(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="igny8-sidecar operator"');
      next(new AppError('OPERATOR_UNAUTHORIZED', 'The operator token is required (Authorization: Bearer <IGNY8_SIDECAR_OPERATOR_TOKEN>).'));
      return;
    }
    next();
  });
  router.param('site', (_req, _res, next, siteId: string) => {
    next(SITE_ID_PATTERN.test(siteId) ? undefined : new AppError('BAD_REQUEST', 'A site id is a UUID.', { field: 'site_id' }));
  });
  const { desk } = options;

  router.get('/sites', async (_req, res) => {
    answer(res, 200, { sites: (await desk.list()).map(siteJson) });
  });
  router.get('/sites/:site', async (req, res) => {
    const site = await desk.get(req.params.site as string);
    if (site === undefined) {
      throw noSite(req.params.site as string);
    }
    answer(res, 200, siteJson(site));
  });
  router.post('/enrolments', captureRawBody(), async (_req: Request, res: Response) => {
    const parsed = EnrolmentBody.safeParse(parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0)));
    if (!parsed.success) {
      const field = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new AppError('VALIDATION_FAILED', `Invalid enrolment (${field}): {"url": "https://site…", "ttl_minutes": 1…10080}.`, { field });
    }
    const { code, expiresAt } = await desk.createEnrolment(parsed.data.url, (parsed.data.ttl_minutes ?? 60) * 60_000);
    answer(res, 201, { code, wp_url: parsed.data.url, expires_at: new Date(expiresAt).toISOString() });
  });
  for (const action of ['disable', 'enable'] as const) {
    router.post(`/sites/:site/${action}`, async (req, res) => {
      const siteId = req.params.site as string;
      if (!(await desk.setStatus(siteId, action === 'disable' ? 'disabled' : 'active'))) {
        throw noSite(siteId);
      }
      answer(res, 200, siteJson((await desk.get(siteId)) as SiteRecord));
    });
  }
  router.post('/sites/:site/rotate', async (req, res) => {
    const siteId = req.params.site as string;
    const issued = await desk.issueSecret(siteId);
    if (issued === undefined) {
      throw noSite(siteId);
    }
    answer(res, 200, { site_id: siteId, key_id: issued.keyId, secret: issued.secret });
  });
  router.delete('/sites/:site', async (req, res) => {
    const siteId = req.params.site as string;
    if (!(await desk.remove(siteId))) {
      throw noSite(siteId);
    }
    answer(res, 200, { site_id: siteId, removed: true });
  });
  const keyUse = async () => {
    const { current, known } = desk.credentialKeyIds;
    return {
      current_key_id: current,
      sealed_values: [...(await desk.sealedKeyIds())].map(([kid, count]) => ({ key_id: kid, count, current: kid === current, key_given: known.includes(kid) })),
    };
  };
  router.get('/credentials-key', async (_req, res) => {
    answer(res, 200, await keyUse());
  });
  router.post('/credentials-key/reseal', async (_req, res) => {
    const done = await desk.resealAll();
    answer(res, 200, {
      sites: done.sites,
      resealed: done.resealed,
      current: done.current,
      missing_key: done.missingKey,
      unreadable: done.unreadable,
      changed: done.changed,
      ...(await keyUse()),
    });
  });
  router.use((req, _res, next) => {
    next(new AppError('ROUTE_NOT_FOUND', `No operator route ${req.method} ${req.baseUrl}${req.path}.`));
  });
  return router;
}
