import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { StoreLockedError, SyncStore } from '../../src/adapters/sync-store.ts';
import type { SyncSnapshot } from '../../src/sync/snapshot.ts';

const dirs: string[] = [];
const stores: SyncStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) {
    store.close();
  }
  for (const dir of dirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function open(dir?: string, clock?: { now: number }) {
  const path = dir ?? mkdtempSync(join(tmpdir(), 'igny8-store-'));
  if (dir === undefined) {
    dirs.push(path);
  }
  const store = SyncStore.open({ dir: path, ...(clock === undefined ? {} : { clock: () => clock.now }) });
  stores.push(store);
  return { store, dir: path };
}

const snap = (postId: number, seq: string, status = 'publish'): SyncSnapshot => ({
  post_id: postId,
  seq,
  wordpress_status: status,
  post_url: `https://site.test/?p=${postId}`,
  post_type: 'post',
  title: 'T',
  content_id: 1,
  task_id: 2,
  keyword_ids: [],
});

describe('SyncStore: coalescing and ordering', () => {
  it('keeps one row per post; the newest seq wins, duplicates and stale seqs are ignored', () => {
    const { store } = open();
    expect(store.record(snap(1, '100', 'draft'))).toBe('new');
    expect(store.record(snap(1, '300', 'publish'))).toBe('updated');
    expect(store.record(snap(1, '200', 'pending'))).toBe('stale');
    expect(store.record(snap(1, '300', 'publish'))).toBe('duplicate');
    const job = store.get(1);
    expect(job).toMatchObject({ seqWanted: '300', state: 'pending', attempts: 0 });
    expect(job?.snapshot.wordpress_status).toBe('publish');
    expect(store.counts().pending).toBe(1);
  });

  it('compares seqs as big integers, not as text or doubles', () => {
    const { store } = open();
    store.record(snap(1, '1795616653705984943'));
    expect(store.record(snap(1, '1795616653705984944'))).toBe('updated');
    expect(store.record(snap(1, '999'))).toBe('stale');
  });

  it('one delivery in flight per post; a change during it is delivered next with the latest snapshot', () => {
    const { store } = open();
    store.record(snap(1, '10', 'draft'));
    const job = store.claimNext(60_000);
    expect(job).toMatchObject({ postId: 1, state: 'in_flight', seqInflight: '10' });
    expect(store.claimNext(60_000)).toBeUndefined();
    store.record(snap(1, '11', 'publish'));
    expect(store.get(1)?.state).toBe('in_flight');
    expect(store.claimNext(60_000)).toBeUndefined();
    store.complete(1, '2026-01-01 10:00:00', 'draft');
    expect(store.get(1)).toMatchObject({ state: 'pending', seqSent: '10', seqWanted: '11', writeback: 'synced', writebackSeq: '10' });
    const next = store.claimNext(60_000);
    expect(next?.snapshot.wordpress_status).toBe('publish');
    store.complete(1, '2026-01-01 10:00:01', 'publish');
    expect(store.get(1)).toMatchObject({ state: 'synced', seqSent: '11', sentWordpressStatus: 'publish', lastSyncedSiteTime: '2026-01-01 10:00:01' });
  });

  it('an expired lease makes the job claimable again', () => {
    const clock = { now: 1_000 };
    const { store } = open(undefined, clock);
    store.record(snap(1, '1'));
    expect(store.claimNext(5_000)).toBeDefined();
    clock.now += 4_000;
    store.recoverLeases();
    expect(store.claimNext(5_000)).toBeUndefined();
    clock.now += 2_000;
    expect(store.recoverLeases()).toBe(1);
    expect(store.claimNext(5_000)?.postId).toBe(1);
  });
});

describe('SyncStore: retries, parking, dead', () => {
  it('retryLater schedules the next attempt and counts; after maxAttempts the job is dead', () => {
    const clock = { now: 0 };
    const { store } = open(undefined, clock);
    store.record(snap(1, '1'));
    for (let attempt = 1; attempt < 3; attempt++) {
      store.claimNext(1_000);
      expect(store.retryLater(1, 'HTTP 500', clock.now + 100, 3)).toBe('pending');
      expect(store.claimNext(1_000)).toBeUndefined(); // not due yet
      expect(store.nextDueAt()).toBe(clock.now + 100);
      clock.now += 100;
    }
    store.claimNext(1_000);
    expect(store.retryLater(1, 'HTTP 500', clock.now + 100, 3)).toBe('dead');
    expect(store.get(1)).toMatchObject({ state: 'dead', attempts: 3, lastError: 'HTTP 500', writeback: 'failed' });
    expect(store.counts()).toMatchObject({ dead: 1, pending: 0 });
    // A new change revives it.
    store.record(snap(1, '2'));
    expect(store.get(1)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('park keeps the error; the breaker parks everything pending and new credentials requeue it', () => {
    const { store } = open();
    store.record(snap(1, '1'));
    store.record(snap(2, '1'));
    store.record(snap(3, '1'));
    store.claimNext(1_000);
    store.park(1, 'HTTP 400: bad payload', 'http_4xx');
    expect(store.get(1)).toMatchObject({ state: 'failed', lastError: 'HTTP 400: bad payload', errorKind: 'http_4xx' });
    expect(store.parkAllPending('IGNY8 login failed', 'auth').sort()).toEqual([2, 3]);
    expect(store.counts()).toMatchObject({ failed: 3, pending: 0 });
    expect(store.requeueParked('auth')).toBe(2);
    expect(store.get(1)?.state).toBe('failed');
    expect(store.get(2)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('manual mode holds changes until released (one post or all)', () => {
    const { store } = open();
    store.record(snap(1, '1'), { manual: true });
    store.record(snap(2, '1'), { manual: true });
    expect(store.claimNext(1_000)).toBeUndefined();
    expect(store.releaseManual([2])).toBe(1);
    expect(store.claimNext(1_000)?.postId).toBe(2);
    expect(store.releaseManual()).toBe(1);
    // Sync now (force) delivers even in manual mode and even without a newer seq.
    store.record(snap(3, '5'), { manual: true });
    store.record(snap(3, '6'), { manual: true, force: true });
    expect(store.get(3)?.state).toBe('pending');
  });
});

describe('SyncStore: files and locking', () => {
  it('creates the store 0600 in WAL mode; in-flight jobs are pending again after a reopen', () => {
    const { store, dir } = open();
    store.record(snap(1, '1'));
    store.claimNext(60_000);
    for (const file of ['sync.db', 'sync.db-wal', 'sync.db-shm', 'sync.db.lock']) {
      expect((statSync(join(dir, file)).mode & 0o777).toString(8), file).toBe('600');
    }
    stores.splice(stores.indexOf(store), 1);
    store.close();
    const reopened = open(dir).store;
    expect(reopened.get(1)?.state).toBe('pending');
  });

  it('refuses a second store on the same folder', () => {
    const { dir } = open();
    expect(() => SyncStore.open({ dir })).toThrow(StoreLockedError);
  });

  it('refuses a second process while the first lives, and is free again the moment it is killed -9', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'igny8-store-'));
    dirs.push(dir);
    const storeModule = new URL('../../src/adapters/sync-store.ts', import.meta.url).pathname;
    const script = join(dir, 'hold-lock.mts');
    // Keep a reference: a collected connection would release the lock.
    writeFileSync(script, `import { SyncStore } from ${JSON.stringify(storeModule)};\n(globalThis as Record<string, unknown>).held = SyncStore.open({ dir: ${JSON.stringify(join(dir, 'store'))} });\nconsole.log('locked');\nsetInterval(() => {}, 1000);\n`);
    // One process (node + the tsx loader), so SIGKILL hits the lock holder itself.
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    expect(() => SyncStore.open({ dir: join(dir, 'store') })).toThrow(StoreLockedError);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    stores.push(SyncStore.open({ dir: join(dir, 'store') }));
  }, 20_000);

  it('keeps small durable values', () => {
    const { store } = open();
    store.setJson('site', { sid: 'x' });
    expect(store.getJson('site')).toEqual({ sid: 'x' });
    store.deleteValue('site');
    expect(store.getValue('site')).toBeUndefined();
  });
});
