/**
 * Route id → conversation handler. One file per route family in this folder; adding a contract route means writing
 * its handler factory here and adding it to the list below. Every contract route must have exactly one handler:
 * a missing or unknown one stops the sidecar at start-up instead of answering at run time.
 */
import { contractRouteIds } from '../contract/contract.ts';
import type { RouteHandler } from '../protocol/conversation.ts';
import { createActivityRoute, type ActivityReader } from './activity.ts';
import { createAdminHealthRoute, createReconcileRoute } from './admin-health.ts';
import { createLookupRoutes } from './lookups.ts';
import { createPublishRoute } from './publish.ts';
import { createResyncRoutes } from './resync.ts';
import { createSettingsRoutes } from './settings.ts';
import { createSiteMetadataRoute, type SiteMetadataStore } from './site-metadata.ts';
import { createStatusRoute } from './status.ts';
import { createSyncRoutes } from './editor-sync.ts';
import { createBriefRoutes } from './editor-brief.ts';
import type { SyncFacade } from '../sync/ports.ts';

const STARTED_AT = Date.now();

export interface RouteDeps {
  sidecarVersion: string;
  siteMetadataStore: SiteMetadataStore;
  /** The sync service: queue counts and connection for /status, the editor sync routes, the settings routes. */
  sync: SyncFacade;
  /** The activity log (`GET /activity`); without one the route answers an empty page. */
  activity?: ActivityReader;
}

export function buildRouteRegistry(deps: RouteDeps, overrides: readonly RouteHandler[] = []): Map<string, RouteHandler> {
  const handlers: RouteHandler[] = [
    createStatusRoute({ sidecarVersion: deps.sidecarVersion, syncQueue: deps.sync, connection: deps.sync }),
    createSiteMetadataRoute({ store: deps.siteMetadataStore }),
    createPublishRoute(undefined, deps.sync),
    ...createLookupRoutes(),
    ...createSyncRoutes(deps.sync),
    ...createBriefRoutes(deps.sync),
    ...createSettingsRoutes(deps.sync),
    createActivityRoute(deps.activity),
    createAdminHealthRoute({ sidecarVersion: deps.sidecarVersion, startedAt: STARTED_AT, health: () => deps.sync.health() }),
    createReconcileRoute({ reconcile: () => deps.sync.reconcile() }),
    ...createResyncRoutes(deps.sync),
    ...overrides,
  ];
  const registry = new Map<string, RouteHandler>();
  for (const handler of handlers) {
    if (!contractRouteIds.includes(handler.id)) {
      throw new Error(`route handler ${handler.id} is not a route in the contract`);
    }
    registry.set(handler.id, handler);
  }
  const missing = contractRouteIds.filter((id) => !registry.has(id));
  if (missing.length > 0) {
    throw new Error(`contract routes without a handler: ${missing.join(', ')}`);
  }
  return registry;
}
