/**
 * `GET /status` (SPEC §4): public health. Answers from the request context and the sidecar's own state; never a
 * secret. The shim caches it (`cache_seconds`) and answers degraded from ctx.facts when the sidecar is down.
 */
import { respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';

export interface SyncQueueCounts {
  pending: number;
  failed: number;
}

/** Port: the sync queue's counters (the sync service implements it). */
export interface SyncQueueStats {
  counts(): SyncQueueCounts | Promise<SyncQueueCounts>;
}

/** Port: the IGNY8 connection state (the sync service implements it). */
export interface ConnectionState {
  current(): { connected: boolean; tokenPresent: boolean } | Promise<{ connected: boolean; tokenPresent: boolean }>;
}

export interface StatusReport {
  plugin_version: string;
  wordpress_version: string;
  connected: boolean;
  api_key_present: boolean;
  token_present: boolean;
  connection_enabled: boolean;
  sidecar: { reachable: true; version: string; queue: SyncQueueCounts };
}

export function createStatusRoute(deps: {
  sidecarVersion: string;
  syncQueue: SyncQueueStats;
  connection: ConnectionState;
}): RouteHandler {
  return {
    id: 'status',
    async start({ ctx }) {
      const [queue, connection] = await Promise.all([deps.syncQueue.counts(), deps.connection.current()]);
      const report: StatusReport = {
        plugin_version: ctx.site.plugin_version,
        wordpress_version: ctx.site.wp_version,
        connected: connection.connected,
        api_key_present: ctx.facts.api_key_present,
        token_present: connection.tokenPresent,
        connection_enabled: ctx.facts.connection_enabled,
        sidecar: { reachable: true, version: deps.sidecarVersion, queue: { pending: queue.pending, failed: queue.failed } },
      };
      return respond(200, successEnvelope(ctx.request_id, report));
    },
  };
}
