/**
 * The store interface's two implementations, for `describe.each` in the tests that run against both: the embedded
 * SQLite store (a fresh folder each) and PostgreSQL (a fresh site id each on the suite's private server,
 * test/setup/postgres.ts). Call once at a test file's top level: it registers the hooks that open the database and
 * close and remove what the tests opened.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, inject } from 'vitest';

import { PgDatabase } from '../../src/adapters/pg-store.ts';
import type { QueueStore } from '../../src/adapters/queue-store.ts';
import { SyncStore } from '../../src/adapters/sync-store.ts';

export type OpenStore = (clock?: { now: number }) => QueueStore;

export interface StoreBackends {
  backends: Array<[string, OpenStore]>;
  /** The suite's PostgreSQL URL (set once the file's beforeAll ran). */
  pgUrl(): string;
  /** The database the postgres backend opens its sites on. */
  database(): PgDatabase;
  /** A temporary folder, removed after the test. */
  tempDir(): string;
}

export function storeBackends(): StoreBackends {
  let pgUrl = '';
  let database: PgDatabase | undefined;
  const dirs: string[] = [];
  const sqliteStores: SyncStore[] = [];
  beforeAll(async () => {
    pgUrl = inject('pgUrl');
    database = await PgDatabase.open({ url: pgUrl });
  });
  afterAll(async () => {
    await database?.close();
  });
  afterEach(() => {
    for (const store of sqliteStores.splice(0)) {
      store.close();
    }
    for (const dir of dirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'igny8-store-'));
    dirs.push(dir);
    return dir;
  };
  return {
    backends: [
      [
        'sqlite',
        (clock) => {
          const store = SyncStore.open({ dir: tempDir(), ...(clock === undefined ? {} : { clock: () => clock.now }) });
          sqliteStores.push(store);
          return store;
        },
      ],
      ['postgres', (clock) => (database as PgDatabase).site(`site-${randomUUID()}`, clock === undefined ? Date.now : () => clock.now)],
    ],
    pgUrl: () => pgUrl,
    database: () => database as PgDatabase,
    tempDir,
  };
}
