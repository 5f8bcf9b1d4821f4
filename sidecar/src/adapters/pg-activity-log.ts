/**
 * The activity log in PostgreSQL (issue #16): the same `ActivityLog` as the SQLite file (adapters/activity-log.ts),
 * one table `igny8_activity` with rows scoped by site id, so every replica of a hosted deployment writes into and
 * pages the same log of a site (a per-replica file showed the log of whichever replica answered).
 *
 * `record` never throws and never waits: rows are buffered and written together (one INSERT of up to 200 rows, at
 * most 200 ms after the first), so a delivery costs no extra round trip. Reads, purges and `close` write the buffer
 * first, so a process reads what it recorded. Totals are a COUNT of the filter (ids come from one sequence written by
 * many replicas, so an id range counted once can still gain rows that commit later: the SQLite log's kept counts
 * would drift here). The retention purge of a site runs once across the replicas (sync/create-sync.ts).
 */
import type { PgDatabase } from './pg-store.ts';
import {
  activityFilters,
  activityPage,
  activityPaging,
  DAY_MS,
  storedEntry,
  type ActivityEntry,
  type ActivityLog,
  type ActivityPage,
  type ActivityQuery,
  type Retention,
  type StoredRow,
} from './activity-log.ts';

const COLUMNS = [
  'at', 'direction', 'kind', 'route', 'target', 'content_id', 'post_id', 'outcome', 'code', 'http_status', 'duration_ms',
  'request_id', 'attempts', 'next_retry_at', 'error',
] as const;
const TYPES: Record<(typeof COLUMNS)[number], string> = {
  at: 'bigint', direction: 'text', kind: 'text', route: 'text', target: 'text', content_id: 'text', post_id: 'bigint',
  outcome: 'text', code: 'text', http_status: 'integer', duration_ms: 'integer', request_id: 'text', attempts: 'integer',
  next_retry_at: 'bigint', error: 'text',
};
const INSERT = `INSERT INTO igny8_activity (site_id, ${COLUMNS.join(', ')})
  SELECT $1, ${COLUMNS.map((column) => `r.${column}`).join(', ')}
  FROM jsonb_to_recordset($2::jsonb) AS r(${COLUMNS.map((column) => `${column} ${TYPES[column]}`).join(', ')})`;

const BATCH_ROWS = 200;
const BATCH_DELAY_MS = 200;

/** `@name` placeholders (activityFilters) as `$n`, after the values already bound. */
function numbered(sql: string, named: Record<string, unknown>, values: unknown[]): string {
  const positions = new Map<string, number>();
  return sql.replace(/@([a-z_]+)/g, (_match, name: string) => {
    let position = positions.get(name);
    if (position === undefined) {
      values.push(named[name]);
      position = values.length;
      positions.set(name, position);
    }
    return `$${position}`;
  });
}

const toStored = (row: Record<string, unknown>): StoredRow => {
  const int = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  return {
    id: Number(row.id),
    at: Number(row.at),
    direction: row.direction as StoredRow['direction'],
    kind: row.kind as string,
    route: row.route as string | null,
    target: row.target as string | null,
    content_id: row.content_id as string | null,
    post_id: int(row.post_id),
    outcome: row.outcome as StoredRow['outcome'],
    code: row.code as string | null,
    http_status: int(row.http_status),
    duration_ms: int(row.duration_ms),
    request_id: row.request_id as string | null,
    attempts: int(row.attempts),
    next_retry_at: int(row.next_retry_at),
    error: row.error as string | null,
  };
};

export class PgActivityLog implements ActivityLog {
  private readonly db: Pick<PgDatabase, 'pool'>;
  private readonly siteId: string;
  private readonly clock: () => number;
  private buffer: Array<ReturnType<typeof storedEntry>> = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(db: Pick<PgDatabase, 'pool'>, siteId: string, clock: () => number = Date.now) {
    this.db = db;
    this.siteId = siteId;
    this.clock = clock;
  }

  record(entry: ActivityEntry): void {
    if (this.closed) {
      return;
    }
    this.buffer.push(storedEntry(entry, this.clock()));
    if (this.buffer.length >= BATCH_ROWS) {
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => void this.flush(), BATCH_DELAY_MS);
      this.timer.unref();
    }
  }

  async recordMany(entries: readonly ActivityEntry[]): Promise<void> {
    for (const entry of entries) {
      this.record(entry);
    }
    await this.flush();
  }

  /** Writes the buffered rows (after any write in progress). Never rejects: a lost batch costs log rows, not the call. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length > 0) {
      this.writing = this.writing.then(async () => {
        for (let first = 0; first < rows.length; first += BATCH_ROWS) {
          await this.db.pool.query({ name: 'igny8-activity-insert', text: INSERT, values: [this.siteId, JSON.stringify(rows.slice(first, first + BATCH_ROWS))] }).catch(() => undefined);
        }
      });
    }
    return this.writing;
  }

  async query(query: ActivityQuery = {}): Promise<ActivityPage> {
    await this.flush();
    const paging = activityPaging(query);
    const { where, params } = activityFilters(query);
    const countValues: unknown[] = [this.siteId];
    const filter = numbered([...where].map((condition) => ` AND ${condition}`).join(''), params, countValues);
    const total = Number((await this.db.pool.query(`SELECT COUNT(*) AS n FROM igny8_activity WHERE site_id = $1${filter}`, countValues)).rows[0]?.n ?? 0);
    const pageValues: unknown[] = [this.siteId];
    const pageWhere = paging.keyset ? [...where, 'id < @before_id'] : where;
    const pageFilter = numbered(pageWhere.map((condition) => ` AND ${condition}`).join(''), { ...params, before_id: query.beforeId }, pageValues);
    pageValues.push(paging.perPage, paging.keyset ? 0 : (paging.page - 1) * paging.perPage);
    const { rows } = await this.db.pool.query(
      `SELECT * FROM igny8_activity WHERE site_id = $1${pageFilter} ORDER BY id DESC LIMIT $${pageValues.length - 1} OFFSET $${pageValues.length}`,
      pageValues,
    );
    return activityPage(rows.map(toStored), total, paging);
  }

  async purge(retention: Retention): Promise<number> {
    if (this.closed) {
      return 0;
    }
    await this.flush();
    const cutoff = this.clock() - retention.days * DAY_MS;
    const old = await this.db.pool.query('DELETE FROM igny8_activity WHERE site_id = $1 AND at < $2', [this.siteId, cutoff]);
    const over = await this.db.pool.query(
      `DELETE FROM igny8_activity WHERE site_id = $1
         AND id < (SELECT id FROM igny8_activity WHERE site_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)`,
      [this.siteId, retention.rows - 1],
    );
    return (old.rowCount ?? 0) + (over.rowCount ?? 0);
  }

  async count(): Promise<number> {
    await this.flush();
    return Number((await this.db.pool.query('SELECT COUNT(*) AS n FROM igny8_activity WHERE site_id = $1', [this.siteId])).rows[0]?.n ?? 0);
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.flush();
  }
}
