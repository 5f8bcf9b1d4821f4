/**
 * The hosted sidecar's sites (issue #16 §1–2) in PostgreSQL: one record per site (id, WordPress URL, key id, signing
 * secret sealed with the operator's credential key, status), and single-use, expiring enrolment codes.
 *
 * An enrolment code is bound to the WordPress URL the operator issued it for. Only its SHA-256 is stored; redeeming
 * it (the shim registering its site id and a fresh secret) takes the code row FOR UPDATE in the same transaction
 * that inserts the site, so a code works once, never after it expires, and never for another URL or a second site.
 * The secret is sealed with AAD `site|signing_secret`, so a sealed value copied into another site's row does not open.
 */
import { createHash, randomBytes } from 'node:crypto';

import { keyId } from '../protocol/keys.ts';
import type { CredentialCipher } from './credential-cipher.ts';
import { addReseal, noReseal, requireKeys, resealOne, resealValues, type ResealCounts } from './credential-reseal.ts';
import type { PgDatabase } from './pg-store.ts';

export type SiteStatus = 'active' | 'disabled';

export interface SiteRecord {
  siteId: string;
  wpUrl: string;
  keyId: string;
  status: SiteStatus;
  createdAt: number;
  updatedAt: number;
}

export type EnrolRefusal = 'unknown_code' | 'expired' | 'used' | 'url_mismatch' | 'site_exists';

export class EnrolmentRefused extends Error {
  readonly reason: EnrolRefusal;
  constructor(reason: EnrolRefusal) {
    super(`enrolment refused: ${reason}`);
    this.name = 'EnrolmentRefused';
    this.reason = reason;
  }
}

/** The URL a code is bound to, compared without case in scheme/host and without a trailing slash. */
export function normalizeSiteUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`not an http(s) URL: ${raw}`);
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

const hashCode = (code: string) => createHash('sha256').update(`igny8-enrolment|${code.trim()}`).digest('hex');
/** The signing secret is bound to its site id (AAD); no IGNY8 base URL applies to it, hence the empty url. */
const SECRET_FIELD = 'signing_secret';

type Row = Record<string, unknown>;

/** After each site of a re-seal run: how far it is and what that site's values did. */
export interface ResealProgress {
  done: number;
  total: number;
  siteId: string;
  counts: ResealCounts;
}

const toSite = (row: Row): SiteRecord => ({
  siteId: row.site_id as string,
  wpUrl: row.wp_url as string,
  keyId: row.key_id as string,
  status: row.status as SiteStatus,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export class SiteRegistry {
  private readonly db: PgDatabase;
  private readonly cipher: CredentialCipher;
  private readonly clock: () => number;

  constructor(db: PgDatabase, cipher: CredentialCipher, clock: () => number = Date.now) {
    this.db = db;
    this.cipher = cipher;
    this.clock = clock;
  }

  /** A new single-use code for `wpUrl`, valid for `ttlMs`. The code itself is returned once and never stored. */
  async createEnrolment(wpUrl: string, ttlMs: number): Promise<{ code: string; expiresAt: number }> {
    const code = randomBytes(18).toString('base64url');
    const now = this.clock();
    await this.db.pool.query('INSERT INTO igny8_enrolment_codes (code_hash, wp_url, expires_at, created_at) VALUES ($1, $2, $3, $4)', [
      hashCode(code),
      normalizeSiteUrl(wpUrl),
      now + ttlMs,
      now,
    ]);
    return { code, expiresAt: now + ttlMs };
  }

  /** The shim's registration: consumes the code and creates the site with its key id and secret. */
  async redeem(code: string, site: { siteId: string; wpUrl: string; keyId: string; secret: string }): Promise<SiteRecord> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      const found = (await client.query('SELECT * FROM igny8_enrolment_codes WHERE code_hash = $1 FOR UPDATE', [hashCode(code)])).rows[0] as Row | undefined;
      const now = this.clock();
      const refusal: EnrolRefusal | undefined =
        found === undefined
          ? 'unknown_code'
          : found.used_at !== null
            ? 'used'
            : Number(found.expires_at) <= now
              ? 'expired'
              : found.wp_url !== normalizeSiteUrl(site.wpUrl)
                ? 'url_mismatch'
                : undefined;
      if (refusal !== undefined) {
        throw new EnrolmentRefused(refusal);
      }
      const inserted = await client.query(
        `INSERT INTO igny8_sites (site_id, wp_url, key_id, secret_sealed, status, created_at, updated_at) VALUES ($1, $2, $3, $4, 'active', $5, $5)
         ON CONFLICT (site_id) DO NOTHING RETURNING *`,
        [site.siteId, normalizeSiteUrl(site.wpUrl), site.keyId, JSON.stringify(this.cipher.seal(site.siteId, SECRET_FIELD, site.secret, '')), now],
      );
      if (inserted.rows[0] === undefined) {
        throw new EnrolmentRefused('site_exists');
      }
      await client.query('UPDATE igny8_enrolment_codes SET used_at = $1, used_by_site = $2 WHERE code_hash = $3', [now, site.siteId, hashCode(code)]);
      await client.query('COMMIT');
      // The site's wake-up queue now, not on its first change (DDL: PgSyncStore.ensureQueue). Enrolled all the same
      // if this fails: the site's first open creates it.
      await this.db
        .site(site.siteId)
        .ensureQueue({ fresh: true })
        .catch(() => undefined);
      return toSite(inserted.rows[0] as Row);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async list(): Promise<SiteRecord[]> {
    return (await this.db.pool.query('SELECT * FROM igny8_sites ORDER BY created_at, site_id')).rows.map(toSite);
  }

  async get(siteId: string): Promise<SiteRecord | undefined> {
    const row = (await this.db.pool.query('SELECT * FROM igny8_sites WHERE site_id = $1', [siteId])).rows[0] as Row | undefined;
    return row === undefined ? undefined : toSite(row);
  }

  /** The key id and secret that verify this site's tokens, or undefined when the site is unknown or disabled. */
  async signingKey(siteId: string): Promise<{ keyId: string; secret: string } | undefined> {
    const found = await this.activeSite(siteId);
    return found === undefined ? undefined : { keyId: found.site.keyId, secret: found.secret };
  }

  /** An active site's record with its opened signing secret (one query: asked on every request in multi-site mode). */
  async activeSite(siteId: string): Promise<{ site: SiteRecord; secret: string } | undefined> {
    const row = (await this.db.pool.query(`SELECT * FROM igny8_sites WHERE site_id = $1 AND status = 'active'`, [siteId])).rows[0] as Row | undefined;
    if (row === undefined) {
      return undefined;
    }
    return { site: toSite(row), secret: this.cipher.open(siteId, SECRET_FIELD, JSON.parse(row.secret_sealed as string)) };
  }

  async setStatus(siteId: string, status: SiteStatus): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('UPDATE igny8_sites SET status = $1, updated_at = $2 WHERE site_id = $3', [status, this.clock(), siteId]);
    return rowCount === 1;
  }

  /** A new key id + secret for the site (rotation); the old one stops verifying at once. */
  async rotateSecret(siteId: string, keyId: string, secret: string): Promise<boolean> {
    const { rowCount } = await this.db.pool.query('UPDATE igny8_sites SET key_id = $1, secret_sealed = $2, updated_at = $3 WHERE site_id = $4', [
      keyId,
      JSON.stringify(this.cipher.seal(siteId, SECRET_FIELD, secret, '')),
      this.clock(),
      siteId,
    ]);
    return rowCount === 1;
  }

  /**
   * The operator's rotation: a fresh secret for the site, made here, stored at once (the old one stops verifying on
   * every replica's next request) and returned once for the site's admin. Undefined when the site is unknown.
   */
  async issueSecret(siteId: string): Promise<{ keyId: string; secret: string } | undefined> {
    const raw = randomBytes(32);
    const secret = raw.toString('base64url');
    const kid = keyId(raw);
    return (await this.rotateSecret(siteId, kid, secret)) ? { keyId: kid, secret } : undefined;
  }

  /**
   * How many sealed values name each credentials key id across the deployment: every site's signing secret and every
   * site's IGNY8 credentials (`credential:` keys of igny8_kv, single-site replicas' included).
   */
  async sealedKeyIds(): Promise<Map<string, number>> {
    const { rows } = await this.db.pool.query(
      `SELECT kid, count(*)::int AS n FROM (
         SELECT secret_sealed::json->>'kid' AS kid FROM igny8_sites
         UNION ALL SELECT value::json->>'kid' FROM igny8_kv WHERE key LIKE 'credential:%' AND value LIKE '{%'
       ) sealed WHERE kid IS NOT NULL GROUP BY kid ORDER BY kid`,
    );
    return new Map(rows.map((row: Row) => [row.kid as string, Number(row.n)]));
  }

  /** Refuses (CredentialKeyMissingError) while a sealed value names a key the cipher does not hold. */
  async requireKeys(): Promise<void> {
    requireKeys(await this.sealedKeyIds(), this.cipher, 'start again, then run `igny8-sidecar sites reseal`');
  }

  /** The site's signing secret sealed again with the current key (compare-and-swap on the stored value). */
  async resealSecret(siteId: string): Promise<ResealCounts> {
    const counts = noReseal();
    const row = (await this.db.pool.query('SELECT secret_sealed FROM igny8_sites WHERE site_id = $1', [siteId])).rows[0] as Row | undefined;
    if (row !== undefined) {
      const stored = row.secret_sealed as string;
      counts[
        await resealOne(this.cipher, { site: siteId, field: SECRET_FIELD }, stored, async (next) => {
          const { rowCount } = await this.db.pool.query('UPDATE igny8_sites SET secret_sealed = $1 WHERE site_id = $2 AND secret_sealed = $3', [next, siteId, stored]);
          return rowCount === 1;
        })
      ] += 1;
    }
    return counts;
  }

  /**
   * Every sealed value of the deployment sealed again with the current key, site by site (its signing secret, then
   * its IGNY8 credentials), `onProgress` after each. Idempotent and safe to interrupt: values sealed with the current
   * key are left alone, and each write is one compare-and-swap.
   */
  async resealAll(onProgress?: (progress: ResealProgress) => void): Promise<ResealCounts & { sites: number }> {
    const ids = (
      await this.db.pool.query(`SELECT site_id FROM igny8_sites UNION SELECT DISTINCT site_id FROM igny8_kv WHERE key LIKE 'credential:%' ORDER BY 1`)
    ).rows.map((row: Row) => row.site_id as string);
    const total = noReseal();
    for (const [index, siteId] of ids.entries()) {
      const counts = addReseal(await this.resealSecret(siteId), await resealValues(this.db.site(siteId, this.clock), this.cipher));
      addReseal(total, counts);
      onProgress?.({ done: index + 1, total: ids.length, siteId, counts });
    }
    return { ...total, sites: ids.length };
  }

  /** The current credentials key's id (every value sealed from now on names it) and every id the ring opens. */
  get credentialKeyIds(): { current: string; known: string[] } {
    return { current: this.cipher.kid, known: this.cipher.kids };
  }

  /** Forgets the site with its queue, ledger and values. */
  async remove(siteId: string): Promise<boolean> {
    const client = await this.db.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('DELETE FROM igny8_sites WHERE site_id = $1', [siteId]);
      await client.query('DELETE FROM igny8_sync_jobs WHERE site_id = $1', [siteId]);
      await client.query('DELETE FROM igny8_kv WHERE site_id = $1', [siteId]);
      await client.query('COMMIT');
      if (rowCount === 1) {
        await this.db.site(siteId).dropQueue();
      }
      return rowCount === 1;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
