/**
 * createApp(deps) → the Express app, with every collaborator injected (tests pass fakes and clocks; server.ts
 * passes the real ones). Request pipeline:
 *
 *   log → refuse Origin → check Host → /healthz
 *       → raw body (size cap) → shim JWT → contract routes | /_shim/continue → signed reply
 *       → error middleware (signed respond once authenticated, plain envelope before)
 */
import express, { type Express } from 'express';

import { SiteMetadataCache } from './adapters/metadata-cache.ts';
import { emptySyncQueue, notConnected } from './adapters/not-yet-connected.ts';
import { SiteRateLimiter } from './adapters/site-rate-limiter.ts';
import { contract } from './contract.ts';
import { ConversationRunner, type RouteHandler } from './domain/conversation.ts';
import { buildRouteRegistry } from './domain/route-registry.ts';
import type { SiteMetadataStore } from './domain/site-metadata.ts';
import type { ConnectionState, SyncQueueStats } from './domain/status.ts';
import type { SyncFacade } from './domain/sync/ports.ts';
import type { AppError } from './errors.ts';
import { handleErrors } from './http/error-middleware.ts';
import { captureRawBody } from './http/json-body.ts';
import { HostAllowList, refuseBrowserOrigins, requireAllowedHost } from './http/request-guard.ts';
import { logRequests } from './http/request-log.ts';
import { authenticateShim } from './http/shim-auth.ts';
import { createReplyWriter } from './http/signed-reply.ts';
import type { Logger } from './logger.ts';
import { healthCheck } from './routes/health.ts';
import { shimRoutes } from './routes/shim-routes.ts';
import { syncEventsRoute } from './routes/sync-events.ts';
import type { KeyRing } from './shim-protocol/keys.ts';
import { ReplayCache } from './shim-protocol/replay-cache.ts';
import { ShimRequestVerifier, type Clock } from './shim-protocol/shim-requests.ts';
import { SIDECAR_VERSION } from './version.ts';

export interface AppDeps {
  logger: Logger;
  keyRing: KeyRing;
  /** SIDECAR_ALLOWED_HOSTS, or undefined for loopback names on the listening port. */
  allowedHosts?: readonly string[] | undefined;
  rateLimitPerMin?: number;
  clock?: Clock;
  version?: string;
  replayCache?: ReplayCache;
  rateLimiter?: SiteRateLimiter;
  siteMetadataStore?: SiteMetadataStore;
  syncQueue?: SyncQueueStats;
  connection?: ConnectionState;
  /** The sync service (queue, worker, credentials): sync events, editor sync routes, settings routes, /status counters. */
  sync?: SyncFacade;
  /** Extra or replacement route handlers (later tasks, tests). */
  routeHandlers?: readonly RouteHandler[];
  /** Called after answering a catastrophic error; server.ts shuts the process down. */
  onCatastrophic?: (error: AppError) => void;
}

export function createApp(deps: AppDeps): Express {
  const clock = deps.clock ?? Date.now;
  const version = deps.version ?? SIDECAR_VERSION;
  const writeReply = createReplyWriter(clock);
  const verifier = new ShimRequestVerifier({
    keyRing: deps.keyRing,
    replayCache: deps.replayCache ?? new ReplayCache(),
    clock,
  });
  const registry = buildRouteRegistry(
    {
      sidecarVersion: version,
      syncQueue: deps.syncQueue ?? deps.sync ?? emptySyncQueue,
      connection: deps.connection ?? deps.sync ?? notConnected,
      siteMetadataStore: deps.siteMetadataStore ?? new SiteMetadataCache({ clock }),
      sync: deps.sync,
    },
    deps.routeHandlers,
  );

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  app.use(logRequests(deps.logger));
  app.use(refuseBrowserOrigins());
  app.use(requireAllowedHost(new HostAllowList(deps.allowedHosts)));
  app.get(contract.sidecar_paths.health, healthCheck(version));
  app.use(captureRawBody());
  app.use(authenticateShim(verifier));
  const sync = deps.sync;
  if (sync !== undefined) {
    // Every verified shim message carries the site's current settings; the asynchronous worker needs them.
    app.use((_req, res, next) => {
      const { shimAuth, shimContext } = res.locals;
      if (shimAuth !== undefined && shimContext !== undefined) {
        sync.observe(shimAuth.sid, shimContext);
      }
      next();
    });
  }
  app.use(syncEventsRoute(sync));
  app.use(
    shimRoutes({
      runner: new ConversationRunner(registry),
      rateLimiter: deps.rateLimiter ?? new SiteRateLimiter({ perMinute: deps.rateLimitPerMin ?? 600, clock }),
      writeReply,
    }),
  );
  app.use(
    handleErrors({
      logger: deps.logger,
      writeReply,
      onCatastrophic: deps.onCatastrophic ?? (() => undefined),
    }),
  );
  return app;
}
