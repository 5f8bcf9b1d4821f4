import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { StoreLockedError, SyncStore } from '../../src/adapters/sync-store.ts';
import { snapshot as snap } from '../helpers/snapshot.ts';

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
