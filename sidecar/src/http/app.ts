/**
 * createApp(deps) → the Express app, with every collaborator injected (tests pass fakes and clocks; server.ts
 * passes the real ones). Request pipeline:
 *
 *   log → refuse Origin → check Host → /healthz
 *       → raw body (size cap) → shim JWT → contract routes | /_shim/continue → signed reply
 *       → error middleware (signed respond once authenticated, plain envelope before)
 */
import express, { Router, type ErrorRequestHandler, type Express, type RequestHandler } from 'express';

import { SiteMetadataCache } from '../adapters/metadata-cache.ts';
import { SiteRateLimiter, type RateLimiter } from '../adapters/site-rate-limiter.ts';
import { contract } from '../contract/contract.ts';
import { ConversationRunner, type RouteHandler } from '../protocol/conversation.ts';
import { buildRouteRegistry } from '../handlers/registry.ts';
import type { SiteMetadataStore } from '../handlers/site-metadata.ts';
import type { SyncFacade } from '../sync/ports.ts';
import type { AppError } from '../contract/errors.ts';
import { noActivity, type ActivityLog } from '../adapters/activity-log.ts';
import { recordingReplies } from './activity-recorder.ts';
import { handleErrors } from './error-middleware.ts';
import { captureRawBody } from './json-body.ts';
import { HostAllowList, refuseBrowserOrigins, requireAllowedHost } from './request-guard.ts';
import { logRequests } from './request-log.ts';
import { authenticateShim } from './shim-auth.ts';
import { createReplyWriter } from './signed-reply.ts';
import type { Logger } from '../logger.ts';
import { healthCheck } from './health.ts';
import { METRICS_PATH } from './metrics-route.ts';
import { shimRoutes } from './shim-routes.ts';
import { syncEventsRoute } from './sync-events.ts';
import { rotateSecretRoute } from './rotate-secret.ts';
import type { KeyRing } from '../protocol/keys.ts';
import { ReplayCache, type ReplayLedger } from '../protocol/replay-cache.ts';
import { ShimRequestVerifier, type Clock } from '../protocol/shim-requests.ts';
import { SIDECAR_VERSION } from '../version.ts';

export interface AppDeps {
  logger: Logger;
  keyRing: KeyRing;
  /** SIDECAR_ALLOWED_HOSTS, or undefined for loopback names on the listening port. */
  allowedHosts?: readonly string[] | undefined;
  rateLimitPerMin?: number;
  clock?: Clock;
  version?: string;
  /** Seen jtis: this process's memory by default; PostgreSQL (shared by the replicas) on a shared store. */
  replayCache?: ReplayLedger;
  /** The site's rate limits: this process's buckets by default; PostgreSQL (shared by the replicas) on a shared store. */
  rateLimiter?: RateLimiter;
  siteMetadataStore?: SiteMetadataStore;
  /** The sync service (queue, worker, credentials): sync events, editor sync routes, settings routes, /status counters. */
  sync: SyncFacade;
  /** The activity log (Tools → IGNY8 Activity): IGNY8 calls in are recorded here. */
  activity?: ActivityLog;
  /** Replacement route handlers (tests). */
  routeHandlers?: readonly RouteHandler[];
  /**
   * Multi-site only: `POST /_shim/rotate` replaces this site's signing secret with the one the shim sends, in a request
   * signed with the current one (hosted/hosted-sites.ts passes the registry's rotateSecret). Undefined = not served.
   */
  rotateSecret?: (keyId: string, secret: string) => Promise<boolean>;
  /**
   * Whether a token under an unknown kid is answered with this site's key id (`sidecar_kid`, default true: the one
   * site's shim shows it beside its own). Multi-site passes false: the caller may be another site.
   */
  revealKeyId?: boolean;
  /** Called after answering a catastrophic error; server.ts shuts the process down. */
  onCatastrophic?: (error: AppError) => void;
  /** `GET /metrics` for the operator (http/metrics-route.ts: IGNY8_SIDECAR_OPERATOR_TOKEN); undefined = not served. */
  metrics?: RequestHandler;
}

export function createApp(deps: AppDeps): Express {
  const app = frontDoor({ logger: deps.logger, allowedHosts: deps.allowedHosts, clock: deps.clock, version: deps.version, metrics: deps.metrics });
  app.use(shimPipeline(deps));
  app.use(plainErrors(deps));
  return app;
}

/** The app's last error middleware: errors raised before any shim authentication (Origin, Host) answer unsigned. */
export function plainErrors(deps: { logger: Logger; clock?: Clock | undefined; onCatastrophic?: ((error: AppError) => void) | undefined }): ErrorRequestHandler {
  return handleErrors({ logger: deps.logger, writeReply: createReplyWriter(deps.clock ?? Date.now), onCatastrophic: deps.onCatastrophic ?? (() => undefined) });
}

/**
 * What every request passes before any shim authentication: request log, receive time, no browser origins, the
 * Host allow-list, and the unauthenticated `/healthz`. Shared by the single-site app and the multi-site app.
 */
export function frontDoor(deps: {
  logger: Logger;
  allowedHosts?: readonly string[] | undefined;
  clock?: Clock | undefined;
  version?: string | undefined;
  /** `GET /metrics` for the operator (http/metrics-route.ts); undefined = not served. */
  metrics?: RequestHandler | undefined;
  /** Answer /healthz to non-loopback callers too (multi-site). */
  publicHealth?: boolean;
}): Express {
  const clock = deps.clock ?? Date.now;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  app.use(logRequests(deps.logger));
  app.use((_req, res, next) => {
    res.locals.receivedAt = clock();
    next();
  });
  app.use(refuseBrowserOrigins());
  app.use(requireAllowedHost(new HostAllowList(deps.allowedHosts)));
  app.get(contract.sidecar_paths.health, healthCheck(deps.version ?? SIDECAR_VERSION, { public: deps.publicHealth === true }));
  if (deps.metrics !== undefined) {
    app.get(METRICS_PATH, deps.metrics);
  }
  return app;
}

/**
 * One site's shim traffic: raw body → shim JWT (this site's keys) → observe → sync events → contract routes and
 * continue → signed reply, with its own error middleware (signed once authenticated). A multi-site sidecar runs one
 * per site, each with that site's key ring, sync and limits.
 */
export function shimPipeline(deps: AppDeps): Router {
  const clock = deps.clock ?? Date.now;
  const version = deps.version ?? SIDECAR_VERSION;
  const writeReply = recordingReplies(createReplyWriter(clock), deps.activity ?? noActivity, clock);
  const verifier = new ShimRequestVerifier({
    keyRing: deps.keyRing,
    replayCache: deps.replayCache ?? new ReplayCache(),
    clock,
    ...(deps.revealKeyId === undefined ? {} : { revealKeyId: deps.revealKeyId }),
  });
  const registry = buildRouteRegistry(
    {
      sidecarVersion: version,
      siteMetadataStore: deps.siteMetadataStore ?? new SiteMetadataCache({ clock }),
      sync: deps.sync,
      ...(deps.activity === undefined ? {} : { activity: deps.activity }),
    },
    deps.routeHandlers,
  );

  const router = Router();
  router.use(captureRawBody());
  router.use(authenticateShim(verifier));
  const { sync } = deps;
  // Every verified shim message carries the site's current settings; the asynchronous worker needs them.
  router.use((_req, res, next) => {
    const { shimAuth, shimContext } = res.locals;
    if (shimAuth === undefined || shimContext === undefined) {
      next();
      return;
    }
    sync.observe(shimAuth.sid, shimContext).then(() => next(), next);
  });
  router.use(syncEventsRoute(sync));
  if (deps.rotateSecret !== undefined) {
    router.post(contract.sidecar_paths.rotate, rotateSecretRoute(deps.rotateSecret, writeReply));
  }
  router.use(
    shimRoutes({
      runner: new ConversationRunner(registry),
      rateLimiter: deps.rateLimiter ?? new SiteRateLimiter({ perMinute: deps.rateLimitPerMin ?? 600, clock }),
      writeReply,
    }),
  );
  router.use(
    handleErrors({
      logger: deps.logger,
      writeReply,
      onCatastrophic: deps.onCatastrophic ?? (() => undefined),
    }),
  );
  return router;
}
