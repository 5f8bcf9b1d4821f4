/**
 * Route id → conversation handler. Adding a route: write `domain/<route>.ts` exporting a factory that returns a
 * RouteHandler, and add it to the list below. Contract routes without a handler yet answer ROUTE_NOT_FOUND.
 */
import { contractRouteIds } from '../contract.ts';
import { AppError } from '../errors.ts';
import type { RouteHandler } from './conversation.ts';
import { createLookupRoutes } from './lookups.ts';
import { createPublishRoute } from './publish/route.ts';
import { createSettingsRoutes } from './settings-routes.ts';
import { createSiteMetadataRoute, type SiteMetadataStore } from './site-metadata.ts';
import { createStatusRoute, type ConnectionState, type SyncQueueStats } from './status.ts';
import { createSyncRoutes } from './sync-routes.ts';
import type { SettingsPort, SyncPort } from './sync/ports.ts';

export interface RouteDeps {
  sidecarVersion: string;
  syncQueue: SyncQueueStats;
  connection: ConnectionState;
  siteMetadataStore: SiteMetadataStore;
  /** The sync service; without it the sync and settings routes answer ROUTE_NOT_FOUND. */
  sync?: (SyncPort & SettingsPort) | undefined;
}

export function notYetAvailable(id: string): RouteHandler {
  const refuse = (): never => {
    throw new AppError('ROUTE_NOT_FOUND', `Route ${id} is not available in this sidecar version.`);
  };
  return { id, start: refuse, resume: refuse };
}

export function buildRouteRegistry(deps: RouteDeps, overrides: readonly RouteHandler[] = []): Map<string, RouteHandler> {
  const handlers: RouteHandler[] = [
    createStatusRoute(deps),
    createSiteMetadataRoute({ store: deps.siteMetadataStore }),
    createPublishRoute(),
    ...createLookupRoutes(),
    ...(deps.sync === undefined ? [] : [...createSyncRoutes(deps.sync), ...createSettingsRoutes(deps.sync)]),
    ...overrides,
  ];
  const registry = new Map<string, RouteHandler>();
  for (const id of contractRouteIds) {
    registry.set(id, notYetAvailable(id));
  }
  for (const handler of handlers) {
    if (!contractRouteIds.includes(handler.id)) {
      throw new Error(`route handler ${handler.id} is not a route in the contract`);
    }
    registry.set(handler.id, handler);
  }
  return registry;
}
