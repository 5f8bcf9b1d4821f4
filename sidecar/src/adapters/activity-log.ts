/**
 * The activity log (issue #14 §1, contract `activity`): one row per IGNY8 call in (a proxied route, logged when its
 * final reply is written) and one per delivery attempt out (status, content update, keywords, structure, term).
 *
 * Two implementations of one interface (`ActivityLog`), like the queue store: the embedded single site's own SQLite
 * file next to the queue (`SqliteActivityLog`: `activity.db`, WAL, 0600, so a busy log never holds the queue's write
 * lock), and PostgreSQL (`PgActivityLog`, adapters/pg-activity-log.ts: one table, rows scoped by site id, so every
 * replica writes and reads the same log).
 * Rows never hold a secret: the callers pass ids, codes and the sidecar's own error messages, never bodies,
 * headers or tokens. Retention (days and rows, from the settings) is applied by `purge()`, which the sidecar runs
 * on a timer: no request pays for it. Pages are newest first by the row id (an index walk, whatever the size);
 * `beforeId` (keyset: the previous page's `next_before_id`) reads the next page by seeking the primary key, where a
 * page number skips its OFFSET rows one by one.
 *
 * SQLite: `total` is exact without counting the whole table on every page: a filter's count is kept with the highest
 * id it covered, and the next page counts only the rows written since (ids only grow; AUTOINCREMENT). A purge here
 * drops the kept counts; a change of the lowest id (another process purged) does too.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { contract } from '../contract/contract.ts';
import type { ActivityDirection, ActivityOutcome, ActivityRow } from '../contract/wire-types.ts';
import { clip } from './sync-store.ts';

export type { ActivityDirection, ActivityOutcome };

/** What a caller records (the time and id are the log's). */
export interface ActivityEntry {
  direction: ActivityDirection;
  /** `publish`, `lookup`, `site_metadata` in; the contract's outbound kinds out. */
  kind: string;
  /** In: the contract route id. */
  route?: string | null;
  /** Out: where it went (`tasks/123`, `webhook`, `keywords`, `structure`, `term/5`). */
  target?: string | null;
  contentId?: string | null;
  postId?: number | null;
  outcome: ActivityOutcome;
  /** In: the envelope's error code; out: the error kind (`retry`, `http_4xx`, `auth`, …). */
  code?: string | null;
  httpStatus?: number | null;
  durationMs?: number | null;
  requestId?: string | null;
  attempts?: number | null;
  nextRetryAt?: number | null;
  error?: string | null;
}

export type { ActivityRow } from '../contract/wire-types.ts';

export interface ActivityQuery {
  page?: number;
  perPage?: number;
  postId?: number;
  outcome?: string;
  kind?: string;
  direction?: ActivityDirection;
  /** A content id or a request id (exact). */
  search?: string;
  /** Epoch ms: rows at or after. */
  since?: number;
  /** Keyset paging: only rows with a smaller id (the previous page's `next_before_id`); `page` is then ignored. */
  beforeId?: number;
}

export interface ActivityPage {
  rows: ActivityRow[];
  total: number;
  page: number;
  per_page: number;
  pages: number;
  /** The id to pass as `before_id` for the next (older) page, or null when this page is the last. */
  next_before_id: number | null;
}

export interface Retention {
  days: number;
  rows: number;
}

/** Where the sync and the HTTP layer record into (the log, or nothing). */
export interface ActivitySink {
  record(entry: ActivityEntry): void;
}

export const noActivity: ActivitySink = { record: () => undefined };

type Awaitable<T> = T | Promise<T>;

/**
 * The activity log of one site, on SQLite (answers synchronously) or PostgreSQL (with promises): code written against
 * it awaits every call but `record`, which never throws and never makes its caller wait.
 */
export interface ActivityLog extends ActivitySink {
  /** Many rows at once (the benchmark's and tests' fill); written when it resolves. */
  recordMany(entries: readonly ActivityEntry[]): Awaitable<void>;
  query(query?: ActivityQuery): Awaitable<ActivityPage>;
  /** Drops rows older than `days` and all but the newest `rows`. Returns how many went. */
  purge(retention: Retention): Awaitable<number>;
  count(): Awaitable<number>;
  /** Writes what is still buffered; the log records nothing after. */
  close(): Awaitable<void>;
}

/** A row as stored: the entry with its time, clipped and rounded (both implementations write exactly this). */
export function storedEntry(entry: ActivityEntry, at: number): Omit<StoredRow, 'id'> {
  return {
    at,
    direction: entry.direction,
    kind: entry.kind,
    route: entry.route ?? null,
    target: entry.target ?? null,
    content_id: entry.contentId ?? null,
    post_id: entry.postId ?? null,
    outcome: entry.outcome,
    code: entry.code ?? null,
    http_status: entry.httpStatus ?? null,
    duration_ms: entry.durationMs === undefined || entry.durationMs === null ? null : Math.round(entry.durationMs),
    request_id: entry.requestId ?? null,
    attempts: entry.attempts ?? null,
    next_retry_at: entry.nextRetryAt ?? null,
    error: entry.error === undefined || entry.error === null ? null : clip(entry.error),
  };
}

/** The filters of a query as SQL conditions on named values (`@name`; the PostgreSQL log renumbers them). */
export function activityFilters(query: ActivityQuery): { where: string[]; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (query.postId !== undefined) {
    where.push('post_id = @post_id');
    params.post_id = query.postId;
  }
  if (query.outcome !== undefined) {
    where.push('outcome = @outcome');
    params.outcome = query.outcome;
  }
  if (query.kind !== undefined) {
    where.push('kind = @kind');
    params.kind = query.kind;
  }
  if (query.direction !== undefined) {
    where.push('direction = @direction');
    params.direction = query.direction;
  }
  if (query.search !== undefined && query.search !== '') {
    where.push('(content_id = @search OR request_id = @search)');
    params.search = query.search;
  }
  if (query.since !== undefined) {
    where.push('at >= @since');
    params.since = query.since;
  }
  return { where, params };
}

/** The page size and number a query asks for, within the contract's bounds. */
export function activityPaging(query: ActivityQuery): { perPage: number; page: number; keyset: boolean } {
  return {
    perPage: Math.min(Math.max(1, query.perPage ?? 50), contract.activity.export_max_rows),
    page: Math.max(1, query.page ?? 1),
    keyset: query.beforeId !== undefined,
  };
}

/** The page answered for stored rows (newest first) and the filter's total. */
export function activityPage(stored: readonly StoredRow[], total: number, paging: { perPage: number; page: number; keyset: boolean }): ActivityPage {
  const last = stored.length === paging.perPage ? stored[stored.length - 1] : undefined;
  return {
    rows: stored.map((row) => ({ ...row, at: iso(row.at) ?? '', next_retry_at: iso(row.next_retry_at) })),
    total,
    page: paging.keyset ? 0 : paging.page,
    per_page: paging.perPage,
    pages: Math.max(1, Math.ceil(total / paging.perPage)),
    next_before_id: last === undefined ? null : last.id,
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS activity (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  direction TEXT NOT NULL,
  kind TEXT NOT NULL,
  route TEXT,
  target TEXT,
  content_id TEXT,
  post_id INTEGER,
  outcome TEXT NOT NULL,
  code TEXT,
  http_status INTEGER,
  duration_ms INTEGER,
  request_id TEXT,
  attempts INTEGER,
  next_retry_at INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS activity_at ON activity (at);
CREATE INDEX IF NOT EXISTS activity_post ON activity (post_id, id);
CREATE INDEX IF NOT EXISTS activity_outcome ON activity (outcome, id);
CREATE INDEX IF NOT EXISTS activity_kind ON activity (kind, id);
CREATE INDEX IF NOT EXISTS activity_content ON activity (content_id, id);
CREATE INDEX IF NOT EXISTS activity_request ON activity (request_id);
`;

export interface StoredRow extends Omit<ActivityRow, 'at' | 'next_retry_at'> {
  at: number;
  next_retry_at: number | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
export const DAY_MS = 86_400_000;
/** The CSV columns, in order. */
export const ACTIVITY_COLUMNS: ReadonlyArray<keyof ActivityRow> = [
  'id', 'at', 'direction', 'kind', 'route', 'target', 'content_id', 'post_id', 'outcome', 'code', 'http_status',
  'duration_ms', 'request_id', 'attempts', 'next_retry_at', 'error',
];

/** Most filters whose counts are kept (the screen's filters and the CLI's; the oldest kept one goes first). */
const KEPT_COUNTS = 64;

interface KeptCount {
  /** The highest id the count covers, and the lowest id of the table when it was taken. */
  upTo: number;
  lowest: number;
  n: number;
}

/**
 * How long a recorded row may wait for others before the write: a lookup's or a publish's rows then share a
 * transaction with its neighbours' (each commit wrote the table's and the six indexes' pages again), and the write
 * stays off the moments PHP is still busy with the reply. A crash loses at most this much of the log (never a post
 * or a queued change; the structured log line of each event is written anyway).
 */
const FLUSH_DELAY_MS = 100;

export class SqliteActivityLog implements ActivityLog {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly insert: Database.Statement;
  private readonly counts = new Map<string, KeptCount>();
  private buffered: Array<Omit<StoredRow, 'id'>> = [];
  private flushing: NodeJS.Timeout | undefined;

  private constructor(db: Database.Database, path: string, clock: () => number) {
    this.db = db;
    this.path = path;
    this.clock = clock;
    this.insert = db.prepare(
      `INSERT INTO activity (at, direction, kind, route, target, content_id, post_id, outcome, code, http_status, duration_ms, request_id, attempts, next_retry_at, error)
       VALUES (@at, @direction, @kind, @route, @target, @content_id, @post_id, @outcome, @code, @http_status, @duration_ms, @request_id, @attempts, @next_retry_at, @error)`,
    );
  }

  static open(options: { dir: string; clock?: () => number; fileName?: string }): SqliteActivityLog {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const path = join(options.dir, options.fileName ?? 'activity.db');
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(path + suffix)) {
        chmodSync(path + suffix, 0o600);
      }
    }
    return new SqliteActivityLog(db, path, options.clock ?? Date.now);
  }

  close(): void {
    this.flush();
    if (this.db.open) {
      this.db.close();
    }
  }

  /**
   * Never throws: a log that cannot write must not fail the call or the delivery it describes. The row is written
   * FLUSH_DELAY_MS later with the others recorded meanwhile, in one transaction. Every read, purge and close of this
   * log writes what is buffered first.
   */
  record(entry: ActivityEntry): void {
    if (!this.db.open) {
      return;
    }
    this.buffered.push(storedEntry(entry, this.clock()));
    if (this.flushing === undefined) {
      this.flushing = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
      this.flushing.unref();
    }
  }

  /** Many rows in one transaction (the benchmark's and tests' fill). */
  recordMany(entries: readonly ActivityEntry[]): void {
    for (const entry of entries) {
      this.record(entry);
    }
    this.flush();
  }

  /** Writes the buffered rows in one transaction; a failure drops them (the structured log lines still exist). */
  private flush(): void {
    if (this.flushing !== undefined) {
      clearTimeout(this.flushing);
      this.flushing = undefined;
    }
    if (this.buffered.length === 0 || !this.db.open) {
      this.buffered = [];
      return;
    }
    const rows = this.buffered;
    this.buffered = [];
    try {
      if (rows.length === 1) {
        this.insert.run(rows[0]);
      } else {
        this.db.transaction(() => {
          for (const row of rows) {
            this.insert.run(row);
          }
        })();
      }
    } catch {
      // Disk full or closed during shutdown: the structured log line of the same event still exists.
    }
  }

  query(query: ActivityQuery = {}): ActivityPage {
    this.flush();
    const paging = activityPaging(query);
    const { where, params } = activityFilters(query);
    const total = this.countOf(where, params);
    const pageWhere = paging.keyset ? [...where, 'id < @before_id'] : where;
    const clause = pageWhere.length === 0 ? '' : `WHERE ${pageWhere.join(' AND ')}`;
    const rows = this.db
      .prepare(`SELECT * FROM activity ${clause} ORDER BY id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, ...(paging.keyset ? { before_id: query.beforeId } : {}), limit: paging.perPage, offset: paging.keyset ? 0 : (paging.page - 1) * paging.perPage }) as StoredRow[];
    return activityPage(rows, total, paging);
  }

  /** The rows matching `where`: the kept count plus the rows written since it was taken (see the file comment). */
  private countOf(where: readonly string[], params: Record<string, unknown>): number {
    // Two subqueries: SQLite answers a lone MIN or MAX of the key from the b-tree's end, but scans for both at once.
    const edges = this.db.prepare('SELECT (SELECT MIN(id) FROM activity) AS lowest, (SELECT MAX(id) FROM activity) AS highest').get() as {
      lowest: number | null;
      highest: number | null;
    };
    if (edges.highest === null || edges.lowest === null) {
      this.counts.clear();
      return 0;
    }
    const key = JSON.stringify([where, params]);
    const kept = this.counts.get(key);
    const fresh = kept !== undefined && kept.lowest === edges.lowest && kept.upTo <= edges.highest;
    const range = fresh ? ['id > @up_to', 'id <= @highest'] : ['id <= @highest'];
    const counted = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM activity WHERE ${[...where, ...range].join(' AND ')}`).get({
        ...params,
        highest: edges.highest,
        ...(fresh ? { up_to: kept.upTo } : {}),
      }) as { n: number }
    ).n;
    const n = (fresh ? kept.n : 0) + counted;
    this.counts.delete(key);
    this.counts.set(key, { upTo: edges.highest, lowest: edges.lowest, n });
    if (this.counts.size > KEPT_COUNTS) {
      this.counts.delete(this.counts.keys().next().value as string);
    }
    return n;
  }

  /** Drops rows older than `days` and all but the newest `rows`. Returns how many went. */
  purge(retention: Retention): number {
    this.flush();
    if (!this.db.open) {
      return 0;
    }
    this.counts.clear();
    const cutoff = this.clock() - retention.days * DAY_MS;
    let removed = this.db.prepare('DELETE FROM activity WHERE at < ?').run(cutoff).changes;
    const newest = this.db.prepare('SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?').get(retention.rows - 1) as { id: number } | undefined;
    if (newest !== undefined) {
      removed += this.db.prepare('DELETE FROM activity WHERE id < ?').run(newest.id).changes;
    }
    return removed;
  }

  count(): number {
    this.flush();
    return (this.db.prepare('SELECT COUNT(*) AS n FROM activity').get() as { n: number }).n;
  }
}

/** RFC 4180 CSV of rows (header first); a cell starting with = + - @ is prefixed with ' (spreadsheet formulas). */
export function activityCsv(rows: readonly ActivityRow[]): string {
  const cell = (value: unknown): string => {
    let text = value === null || value === undefined ? '' : String(value);
    if (/^[=+\-@\t\r]/.test(text)) {
      text = `'${text}`;
    }
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [ACTIVITY_COLUMNS.join(','), ...rows.map((row) => ACTIVITY_COLUMNS.map((column) => cell(row[column])).join(','))].join('\r\n') + '\r\n';
}

const rawOption = (name: string): { default: number; minimum: number; maximum: number } =>
  contract.options[name] as unknown as { default: number; minimum: number; maximum: number };

/** The retention the settings ask for (contract defaults and bounds). */
export function retentionOf(settings: Record<string, unknown>): Retention {
  const bounded = (name: 'igny8_activity_retention_days' | 'igny8_activity_max_rows'): number => {
    const spec = rawOption(name);
    const value = settings[name];
    return typeof value === 'number' && Number.isInteger(value) ? Math.min(spec.maximum, Math.max(spec.minimum, value)) : spec.default;
  };
  return { days: bounded('igny8_activity_retention_days'), rows: bounded('igny8_activity_max_rows') };
}
