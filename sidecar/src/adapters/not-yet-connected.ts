/**
 * Stand-ins for the ports that later tasks implement (the SQLite sync queue and the IGNY8 client), so /status
 * can already report their shape.
 */
import type { ConnectionState, SyncQueueStats } from '../domain/status.ts';

export const emptySyncQueue: SyncQueueStats = {
  counts: () => ({ pending: 0, failed: 0 }),
};

export const notConnected: ConnectionState = {
  current: () => ({ connected: false, tokenPresent: false }),
};
