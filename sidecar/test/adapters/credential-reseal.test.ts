/**
 * Rotating the credentials key (adapters/credential-reseal.ts) on both stores: the embedded SQLite store and
 * PostgreSQL (test/setup/postgres.ts). Values sealed with a previous key still open; re-sealing moves them to the
 * current key one compare-and-swap at a time (idempotent, safe to interrupt); a start with a value whose key is not
 * given refuses.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CredentialCipher } from '../../src/adapters/credential-cipher.ts';
import { credentialSlot, CredentialKeyMissingError, resealValues, type ResealableValues } from '../../src/adapters/credential-reseal.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import type { QueueStore } from '../../src/adapters/queue-store.ts';
import { SyncStore } from '../../src/adapters/sync-store.ts';
import { createLogCapture } from '../../src/logger.ts';
import { KeyRing } from '../../src/protocol/keys.ts';
import { createSync, SINGLE_SITE_STORE_ID } from '../../src/sync/create-sync.ts';
import { testSyncConfig } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/store-backends.ts';
import { privateDatabase } from '../replicas/processes.ts';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const lostKey = randomBytes(32);
const oldCipher = new CredentialCipher(oldKey);
const ring = new CredentialCipher(newKey, [oldKey]);
const newOnly = new CredentialCipher(newKey);
const URL_ = 'https://igny8.example';
const FIELDS = ['email', 'password', 'refresh_token'] as const;

const suite = storeBackends();
const { backends, tempDir } = suite;

/** The site's credentials sealed as the vault seals them (credential-vault.ts), with `cipher`. */
async function sealInto(store: QueueStore, site: string, cipher: CredentialCipher, fields: readonly string[] = FIELDS): Promise<void> {
  for (const field of fields) {
    await store.setValue(credentialSlot(site, field), JSON.stringify(cipher.seal(site, field, `${field}-value`, URL_)));
  }
}

const kidOf = async (store: QueueStore, key: string) => (JSON.parse((await store.getValue(key)) as string) as { kid: string }).kid;

describe('CredentialCipher: a key ring', () => {
  it('seals with the current key; opens what the current or a previous key sealed; refuses a key it does not hold', () => {
    const sealedOld = oldCipher.seal('s', 'email', 'a@b.c', URL_);
    expect(ring.kid).toBe(newOnly.kid);
    expect(ring.kids).toEqual([newOnly.kid, oldCipher.kid]);
    expect(ring.seal('s', 'email', 'x', URL_).kid).toBe(newOnly.kid);
    expect(ring.open('s', 'email', sealedOld)).toBe('a@b.c');
    expect(() => newOnly.open('s', 'email', sealedOld)).toThrow(`sealed with key ${oldCipher.kid}, which is not configured`);
    const resealed = ring.reseal('s', 'email', sealedOld);
    expect(resealed).toMatchObject({ kid: newOnly.kid, url: URL_ });
    expect(newOnly.open('s', 'email', resealed)).toBe('a@b.c');
    expect(ring.reseal('s', 'email', resealed)).toBeUndefined();
    // Still bound to its site and field: re-sealing under another name does not open.
    expect(() => ring.reseal('other', 'email', sealedOld)).toThrow('does not authenticate');
  });
});

describe.each(backends)('re-sealing a site with the current credentials key (%s)', (_name, open) => {
  it('replaceValue writes only while the stored value is the expected one', async () => {
    const store = open();
    await store.setValue('k', 'one');
    expect(await store.replaceValue('k', 'other', 'two')).toBe(false);
    expect(await store.getValue('k')).toBe('one');
    expect(await store.replaceValue('k', 'one', 'two')).toBe(true);
    expect(await store.getValue('k')).toBe('two');
    expect(await store.replaceValue('absent', 'one', 'two')).toBe(false);
    expect(await store.getValue('absent')).toBeUndefined();
  });

  it('moves every sealed value to the current key (the rest untouched); a second run finds nothing to do', async () => {
    const store = open();
    await sealInto(store, 'site-1', oldCipher);
    await store.setValue('settings', '{"plain":true}');
    expect(await resealValues(store, ring)).toEqual({ resealed: 3, current: 0, missingKey: 0, unreadable: 0, changed: 0 });
    for (const field of FIELDS) {
      const slot = credentialSlot('site-1', field);
      expect(await kidOf(store, slot)).toBe(newOnly.kid);
      // The old key can be retired: the current key alone opens every value, bound as before.
      expect(newOnly.open('site-1', field, JSON.parse((await store.getValue(slot)) as string))).toBe(`${field}-value`);
    }
    expect(await store.getValue('settings')).toBe('{"plain":true}');
    expect(await resealValues(store, ring)).toEqual({ resealed: 0, current: 3, missingKey: 0, unreadable: 0, changed: 0 });
  });

  it('leaves a value whose key is not given, and one that does not open, as they are', async () => {
    const store = open();
    await sealInto(store, 'site-2', new CredentialCipher(lostKey), ['email']);
    const tampered = { ...oldCipher.seal('site-2', 'password', 'p', URL_), ct: 'AAAA' };
    await store.setValue(credentialSlot('site-2', 'password'), JSON.stringify(tampered));
    const before = await store.getValue(credentialSlot('site-2', 'email'));
    expect(await resealValues(store, ring)).toMatchObject({ resealed: 0, missingKey: 1, unreadable: 1 });
    expect(await store.getValue(credentialSlot('site-2', 'email'))).toBe(before);
    expect(JSON.parse((await store.getValue(credentialSlot('site-2', 'password'))) as string)).toEqual(tampered);
  });

  it('an interrupted run is finished by the next one; a value another writer changed meanwhile is left to it', async () => {
    const store = open();
    await sealInto(store, 'site-3', oldCipher);
    let writes = 0;
    const dying: ResealableValues = {
      values: () => store.values(),
      replaceValue: async (key, expected, value) => {
        if (++writes === 2) {
          throw new Error('killed mid-run');
        }
        return store.replaceValue(key, expected, value);
      },
    };
    await expect(resealValues(dying, ring)).rejects.toThrow('killed mid-run');
    expect(await resealValues(store, ring)).toEqual({ resealed: 2, current: 1, missingKey: 0, unreadable: 0, changed: 0 });

    const other = open();
    await sealInto(other, 'site-4', oldCipher, ['email']);
    const racing: ResealableValues = {
      values: () => other.values(),
      replaceValue: async (key, expected, value) => {
        // A replica saves new credentials (sealed with the current key) between the read and the write.
        await other.setValue(key, JSON.stringify(ring.seal('site-4', 'email', 'newer', URL_)));
        return other.replaceValue(key, expected, value);
      },
    };
    expect(await resealValues(racing, ring)).toMatchObject({ resealed: 0, changed: 1 });
    expect(ring.open('site-4', 'email', JSON.parse((await other.getValue(credentialSlot('site-4', 'email'))) as string))).toBe('newer');
  });
});

describe('a single-site start with values sealed by a key it is not given', () => {
  const start = (dir: string, key: Buffer, previous: Buffer[] = [], databaseUrl?: string) =>
    createSync({
      config: { ...testSyncConfig(dir, { credentialsKey: key, previousCredentialsKeys: previous }), ...(databaseUrl === undefined ? {} : { databaseUrl }) },
      keyRing: new KeyRing({ current: Buffer.alloc(32, 1) }),
      logger: createLogCapture('silent').logger,
    });

  it('SQLite: refuses, naming the key id; with the old key as previous it starts and seals them again with the current key', async () => {
    const dir = tempDir();
    const store = SyncStore.open({ dir: join(dir, 'sync') });
    await sealInto(store, '-', oldCipher);
    store.close();
    const refused = await start(dir, newKey).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(CredentialKeyMissingError);
    expect((refused as Error).message).toContain(`key id ${oldCipher.kid}: 3`);
    expect((refused as Error).message).toContain('IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS');
    const sync = await start(dir, newKey, [oldKey]);
    await sync.close();
    const after = SyncStore.open({ dir: join(dir, 'sync') });
    for (const field of FIELDS) {
      expect(await kidOf(after, credentialSlot('-', field))).toBe(newOnly.kid);
    }
    after.close();
    // The old key is retired: the next start needs only the current one.
    await (await start(dir, newKey)).close();
  });

  it('PostgreSQL: refuses too; with the previous key it starts and leaves re-sealing to the operator (replicas share the values)', async () => {
    const db = await privateDatabase(suite.pgUrl(), 'igny8_reseal');
    try {
      const pgDb = await PgDatabase.open({ url: db.url });
      await sealInto(pgDb.site(SINGLE_SITE_STORE_ID), '-', oldCipher, ['email']);
      await pgDb.close();
      await expect(start(tempDir(), newKey, [], db.url)).rejects.toBeInstanceOf(CredentialKeyMissingError);
      const sync = await start(tempDir(), newKey, [oldKey], db.url);
      expect(await kidOf(sync.store, credentialSlot('-', 'email'))).toBe(oldCipher.kid);
      await sync.close();
    } finally {
      await db.drop();
    }
  });
});
