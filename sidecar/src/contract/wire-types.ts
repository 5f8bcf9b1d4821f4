/**
 * Shapes the sidecar answers and the editor UI reads, defined once for both. Types only, with no runtime import:
 * editor-ui imports them with `import type`, which the build erases, so its bundle takes nothing from here.
 */
type Contract = typeof import('../../../plugin-php-shim/contract/igny8-contract.json');

/** The contract's activity outcomes (`activity.outcomes`). */
export type ActivityOutcome = keyof Contract['activity']['outcomes'];

export type ActivityDirection = 'in' | 'out';

/** One row of the activity log, as `GET /igny8/v1/activity` answers it (adapters/activity-log.ts). */
export interface ActivityRow {
  id: number;
  at: string;
  direction: ActivityDirection;
  kind: string;
  route: string | null;
  target: string | null;
  content_id: string | null;
  post_id: number | null;
  outcome: ActivityOutcome;
  code: string | null;
  http_status: number | null;
  duration_ms: number | null;
  request_id: string | null;
  attempts: number | null;
  next_retry_at: string | null;
  error: string | null;
}

/** The progress of "Resync everything" (`wp igny8 resync --all`, the settings screen's button; sync/resync.ts). */
export interface ResyncProgress {
  state: 'idle' | 'running' | 'done';
  pass: number | null;
  total: number | null;
  processed: number;
  enqueued: number;
  skipped: number;
  /** Whole percent of the posts listed so far (100 when done). */
  percent: number;
  cursor: number;
  seq_floor: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** The queue as a whole: changes still waiting for delivery, and failed or dead ones. */
  queue: { waiting: number; failed: number };
}
