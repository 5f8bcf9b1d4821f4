/** The hosted sites and their enrolment codes (PostgreSQL, started by test/setup/postgres.ts). */
import { randomBytes, randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { CredentialCipher } from '../../src/adapters/credential-cipher.ts';
import { credentialSlot, CredentialKeyMissingError } from '../../src/adapters/credential-reseal.ts';
import { PgDatabase } from '../../src/adapters/pg-store.ts';
import { EnrolmentRefused, SiteRegistry } from '../../src/adapters/site-registry.ts';
import { runCli } from '../../src/cli.ts';
import { decodeSecret, keyId } from '../../src/protocol/keys.ts';
import { privateDatabase } from '../replicas/processes.ts';

let database: PgDatabase | undefined;
const clock = { now: 1_000_000 };
let registry: SiteRegistry;
let pgUrl = '';
const operatorKey = randomBytes(32);

beforeAll(async () => {
  pgUrl = inject('pgUrl');
  database = await PgDatabase.open({ url: pgUrl });
  registry = new SiteRegistry(database, new CredentialCipher(operatorKey), () => clock.now);
});
afterAll(async () => {
  await database?.close();
});

const site = (url: string) => ({ siteId: `s-${randomUUID()}`, wpUrl: url, keyId: 'k1', secret: randomBytes(32).toString('base64url') });
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: unknown) => (error instanceof EnrolmentRefused ? error.reason : `threw ${String(error)}`),
  );

describe('SiteRegistry: enrolment', () => {
  it('a code enrols its site once; the secret it registered verifies, nothing else is stored in clear', async () => {
    const url = `https://a-${randomUUID()}.test/`;
    const { code } = await registry.createEnrolment(url, 15 * 60_000);
    const a = site(url);
    expect(await registry.redeem(code, a)).toMatchObject({ siteId: a.siteId, status: 'active', keyId: 'k1' });
    expect(await registry.signingKey(a.siteId)).toEqual({ keyId: 'k1', secret: a.secret });
    const stored = await (database as PgDatabase).pool.query('SELECT * FROM igny8_sites WHERE site_id = $1', [a.siteId]);
    expect(JSON.stringify(stored.rows)).not.toContain(a.secret);
    const codes = await (database as PgDatabase).pool.query('SELECT * FROM igny8_enrolment_codes WHERE used_by_site = $1', [a.siteId]);
    expect(JSON.stringify(codes.rows)).not.toContain(code);
    expect(await refusal(registry.redeem(code, site(url)))).toBe('used');
    expect(await refusal(registry.redeem(code, a))).toBe('used');
  });

  it('expires; is refused for another URL and for an unknown code; a second code cannot take an enrolled site id', async () => {
    const url = `https://b-${randomUUID()}.test`;
    const short = await registry.createEnrolment(url, 60_000);
    clock.now += 60_000;
    expect(await refusal(registry.redeem(short.code, site(url)))).toBe('expired');
    const other = await registry.createEnrolment(url, 60_000);
    expect(await refusal(registry.redeem(other.code, site('https://evil.test')))).toBe('url_mismatch');
    expect(await refusal(registry.redeem('not-a-code', site(url)))).toBe('unknown_code');
    const first = site(url);
    expect(await refusal(registry.redeem(other.code, first))).toBe('accepted');
    const again = await registry.createEnrolment(url, 60_000);
    expect(await refusal(registry.redeem(again.code, { ...site(url), siteId: first.siteId }))).toBe('site_exists');
    expect(await registry.signingKey(first.siteId)).toMatchObject({ secret: first.secret });
  });

  it('two sites racing for one code: exactly one enrols', async () => {
    const url = `https://c-${randomUUID()}.test`;
    const { code } = await registry.createEnrolment(url, 60_000);
    const results = await Promise.all([refusal(registry.redeem(code, site(url))), refusal(registry.redeem(code, site(url)))]);
    expect(results.sort()).toEqual(['accepted', 'used']);
  });
});

describe('SiteRegistry: operator actions', () => {
  it('disable stops the key verifying; rotation replaces it; remove forgets the site with its queue and values', async () => {
    const url = `https://d-${randomUUID()}.test`;
    const s = site(url);
    await registry.redeem((await registry.createEnrolment(url, 60_000)).code, s);
    expect((await registry.list()).map((r) => r.siteId)).toContain(s.siteId);
    expect(await registry.setStatus(s.siteId, 'disabled')).toBe(true);
    expect(await registry.signingKey(s.siteId)).toBeUndefined();
    await registry.setStatus(s.siteId, 'active');
    expect(await registry.rotateSecret(s.siteId, 'k2', 'new-secret')).toBe(true);
    expect(await registry.signingKey(s.siteId)).toEqual({ keyId: 'k2', secret: 'new-secret' });
    const store = (database as PgDatabase).site(s.siteId);
    await store.setValue('settings', '{}');
    await store.record({ post_id: 1, seq: '1', wordpress_status: 'publish', post_url: null, post_type: 'post', title: 'T', content_id: 1, task_id: null, keyword_ids: [] });
    expect(await registry.remove(s.siteId)).toBe(true);
    expect(await registry.get(s.siteId)).toBeUndefined();
    expect(await store.getValue('settings')).toBeUndefined();
    expect(await store.get(1)).toBeUndefined();
    expect(await registry.remove(s.siteId)).toBe(false);
  });

  it("a sealed secret copied into another site's row does not open", async () => {
    const url = `https://e-${randomUUID()}.test`;
    const a = site(url);
    const b = site(url);
    await registry.redeem((await registry.createEnrolment(url, 60_000)).code, a);
    await registry.redeem((await registry.createEnrolment(url, 60_000)).code, b);
    const pool = (database as PgDatabase).pool;
    await pool.query('UPDATE igny8_sites SET secret_sealed = (SELECT secret_sealed FROM igny8_sites WHERE site_id = $1) WHERE site_id = $2', [a.siteId, b.siteId]);
    await expect(registry.signingKey(b.siteId)).rejects.toThrow();
  });
});

describe('igny8-sidecar sites (the operator CLI)', () => {
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const env = { IGNY8_SIDECAR_DATABASE_URL: pgUrl, IGNY8_SIDECAR_CREDENTIALS_KEY: operatorKey.toString('base64url') };
    const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env, fetch });
    return { code, out, err };
  };

  it('enroll prints a code the shim can redeem once; list, show, disable, enable and remove act on the site', async () => {
    const url = `https://f-${randomUUID()}.test`;
    const enrolled = await cli('sites', 'enroll', '--url', url, '--ttl-minutes', '5');
    expect(enrolled.code).toBe(0);
    const code = enrolled.out.trim().split('\n').at(-1) as string;
    const real = new SiteRegistry(database as PgDatabase, new CredentialCipher(operatorKey));
    const s = site(url);
    await real.redeem(code, s);
    expect(await refusal(real.redeem(code, site(url)))).toBe('used');
    expect((await cli('sites', 'list')).out).toContain(`${s.siteId}\tactive\tk1\t${url}`);
    expect((await cli('sites', 'disable', s.siteId)).out).toBe(`disabled ${s.siteId}\n`);
    expect((await cli('sites', 'show', s.siteId)).out).toContain(`${s.siteId}\tdisabled`);
    expect((await cli('sites', 'enable', s.siteId)).code).toBe(0);
    expect((await cli('sites', 'remove', s.siteId)).code).toBe(0);
    expect(await cli('sites', 'show', s.siteId)).toMatchObject({ code: 1, err: `igny8-sidecar sites: no site ${s.siteId}\n` });
  });

  it('rotate prints a new secret once: only it verifies from then on; an unknown site is refused', async () => {
    const url = `https://r-${randomUUID()}.test`;
    const real = new SiteRegistry(database as PgDatabase, new CredentialCipher(operatorKey));
    const { code } = await real.createEnrolment(url, 60_000);
    const s = site(url);
    await real.redeem(code, s);
    const rotated = await cli('sites', 'rotate', s.siteId);
    expect(rotated.code).toBe(0);
    const lines = rotated.out.split('\n');
    const secret = lines[1] as string;
    const kid = keyId(decodeSecret(secret));
    expect(lines[0]).toBe(`rotated ${s.siteId}: the old secret no longer verifies. New key id ${kid}; the secret (shown once):`);
    expect(rotated.out).toContain("define( 'IGNY8_SIDECAR_SECRET'");
    expect(await real.signingKey(s.siteId)).toEqual({ keyId: kid, secret });
    expect(kid).not.toBe(s.keyId);
    expect((await cli('sites', 'show', s.siteId)).out).toContain(`${s.siteId}\tactive\t${kid}\t`);
    // Nothing of the secret is stored in clear.
    const row = (await (database as PgDatabase).pool.query('SELECT * FROM igny8_sites WHERE site_id = $1', [s.siteId])).rows[0];
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(await cli('sites', 'rotate', randomUUID())).toMatchObject({ code: 1 });
  });

  it('refuses without the database URL or the key, and without --url', async () => {
    let err = '';
    const code = await runCli(['sites', 'list'], { out: () => undefined, err: (t) => void (err += t), env: {}, fetch });
    expect(code).toBe(78);
    expect(err).toContain('IGNY8_SIDECAR_DATABASE_URL is not set');
    expect((await cli('sites', 'enroll')).code).toBe(64);
  });
});

describe('rotating the credentials key (a deployment of its own)', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const b64 = (key: Buffer) => key.toString('base64url');
  let db: Awaited<ReturnType<typeof privateDatabase>>;
  let pgDb: PgDatabase;
  const cli = async (env: Record<string, string>, ...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t), env: { IGNY8_SIDECAR_DATABASE_URL: db.url, ...env }, fetch });
    return { code, out, err };
  };
  beforeAll(async () => {
    db = await privateDatabase(pgUrl, 'igny8_keyrot');
    pgDb = await PgDatabase.open({ url: db.url, poolSize: 4 });
  });
  afterAll(async () => {
    await pgDb.close();
    await db.drop();
  });

  it('a new key seals, old records open with the old key, `sites reseal` moves every record (progress, counts, idempotent), then the old key retires', async () => {
    const before = new SiteRegistry(pgDb, new CredentialCipher(oldKey));
    const old = new CredentialCipher(oldKey);
    const enrolled = [];
    for (const name of ['x', 'y']) {
      const url = `https://${name}-${randomUUID()}.test`;
      const s = { ...site(url), siteId: randomUUID() };
      await before.redeem((await before.createEnrolment(url, 60_000)).code, s);
      // The site's IGNY8 credentials, sealed in its key/value state as the vault seals them.
      await pgDb.site(s.siteId).setValue(credentialSlot(s.siteId, 'email'), JSON.stringify(old.seal(s.siteId, 'email', `${name}@igny8.test`, 'https://igny8.test')));
      enrolled.push(s);
    }
    // A single-site replica set on the same database: its values are resealed too.
    await pgDb.site('single-site').setValue(credentialSlot('-', 'password'), JSON.stringify(old.seal('-', 'password', 'pw', 'https://igny8.test')));
    const oldKid = old.kid;
    const newKid = new CredentialCipher(newKey).kid;

    // The new key alone: start-up refuses, naming the key id and how many values need it.
    const newOnly = new SiteRegistry(pgDb, new CredentialCipher(newKey));
    const refused = await newOnly.requireKeys().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(CredentialKeyMissingError);
    expect((refused as Error).message).toContain(`key id ${oldKid}: 5`);

    // The new key with the old one as previous: it starts; old records open, new ones are sealed with the new key.
    const ring = new SiteRegistry(pgDb, new CredentialCipher(newKey, [oldKey]));
    await ring.requireKeys();
    expect(await ring.signingKey(enrolled[0]!.siteId)).toMatchObject({ secret: enrolled[0]!.secret });
    const later = { ...site(`https://z-${randomUUID()}.test`), siteId: randomUUID() };
    await ring.redeem((await ring.createEnrolment(later.wpUrl, 60_000)).code, later);
    expect(await ring.sealedKeyIds()).toEqual(new Map<string, number>([[oldKid, 5], [newKid, 1]]));

    const env = { IGNY8_SIDECAR_CREDENTIALS_KEY: b64(newKey), IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS: b64(oldKey) };
    const first = await cli(env, 'sites', 'reseal');
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.out).toContain(`with the current credentials key ${newKid}`);
    expect(first.out).toMatch(/^\[[1-4]\/4\] [0-9a-f-]{36}: 2 resealed/m);
    expect(first.out).toContain('[4/4] ');
    expect(first.out).toContain('4 sites: 5 resealed, 1 already current, 0 with a key not given, 0 unreadable, 0 changed meanwhile');
    expect(first.out).toContain('the previous keys can be retired');
    expect(await ring.sealedKeyIds()).toEqual(new Map([[newKid, 6]]));
    // Idempotent: nothing left to do.
    expect((await cli(env, 'sites', 'reseal')).out).toContain('4 sites: 0 resealed, 6 already current');

    // The old key retired: start-up passes and every record opens with the new key alone.
    await newOnly.requireKeys();
    for (const s of enrolled) {
      expect(await newOnly.signingKey(s.siteId)).toEqual({ keyId: s.keyId, secret: s.secret });
      const stored = JSON.parse((await pgDb.site(s.siteId).getValue(credentialSlot(s.siteId, 'email'))) as string);
      expect(new CredentialCipher(newKey).open(s.siteId, 'email', stored)).toMatch(/@igny8\.test$/);
    }

    // A value under a key nobody gives: the run says which key it still needs, and fails.
    const lost = new CredentialCipher(randomBytes(32));
    await pgDb.site(later.siteId).setValue(credentialSlot(later.siteId, 'api_key'), JSON.stringify(lost.seal(later.siteId, 'api_key', 'k', 'https://igny8.test')));
    const stuck = await cli({ IGNY8_SIDECAR_CREDENTIALS_KEY: b64(newKey) }, 'sites', 'reseal');
    expect(stuck.code).toBe(1);
    expect(stuck.out).toContain('1 with a key not given');
    expect(stuck.err).toContain(`${lost.kid} (1, key not given)`);
  });

  it('refuses a previous key without the current one, and a malformed previous key', async () => {
    expect((await cli({ IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS: b64(oldKey) }, 'sites', 'reseal')).code).toBe(78);
    const bad = await cli({ IGNY8_SIDECAR_CREDENTIALS_KEY: b64(newKey), IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS: `${b64(oldKey)},nope` }, 'sites', 'reseal');
    expect(bad.code).toBe(78);
    expect(bad.err).toContain('previous credentials key 2');
  });
});
