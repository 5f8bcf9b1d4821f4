/**
 * IGNY8 credentials at rest (SPEC §9): AES-256-GCM, a fresh 96-bit IV per value, AAD `site|field|version|url`, and
 * the key id and the IGNY8 base URL stored next to the ciphertext (the key id picks the key of the ring that opens
 * it). The AAD binds a ciphertext to its site, its field and the base URL it was entered for (issue #12 item 4), so a
 * value copied into another field or another site's row does not decrypt, and a rewritten `url` does not either; the
 * key id tells a wrong key apart from tampering.
 *
 * What this protects: a leaked copy of the store file (backups, a stolen disk image). What it does not: a
 * compromised host, where the key (env var or 0600 file outside the data folder) is as readable as the store.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import { z } from 'zod';

export const CREDENTIAL_FORMAT_VERSION = 2;
export const CREDENTIAL_KEY_BYTES = 32;

export const SealedCredential = z.object({
  v: z.literal(CREDENTIAL_FORMAT_VERSION),
  kid: z.string().regex(/^[0-9a-f]{16}$/),
  /** The IGNY8 base URL the value was entered for (normalized, see `credentialBaseUrl`). */
  url: z.string().max(2048),
  iv: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
  ct: z.string().regex(/^[A-Za-z0-9_-]*$/),
  tag: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});
export type SealedCredential = z.infer<typeof SealedCredential>;

export class CredentialDecryptError extends Error {
  readonly reason: 'wrong_key' | 'tampered' | 'malformed';

  constructor(reason: CredentialDecryptError['reason'], message: string) {
    super(message);
    this.name = 'CredentialDecryptError';
    this.reason = reason;
  }
}

/** First 16 hex characters of SHA-256("igny8-credentials" | key): identifies the key without revealing it. */
export function credentialKeyId(key: Uint8Array): string {
  return createHash('sha256').update('igny8-credentials|').update(key).digest('hex').slice(0, 16);
}

function aad(site: string, field: string, version: number, url: string): Buffer {
  return Buffer.from(`${site}|${field}|${version}|${url}`, 'utf8');
}

/**
 * The form of a base URL that credentials are bound to: scheme, host, port and path without trailing slashes
 * (`https://IGNY8.example/` and `https://igny8.example` are the same binding). Undefined for an unparsable URL.
 */
export function credentialBaseUrl(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined) {
    return undefined;
  }
  try {
    const url = new URL(baseUrl.trim());
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/**
 * The credentials key ring: the current key seals, and a value sealed with any key of the ring opens with that key
 * (a sealed value names its key id). Previous keys are kept only while values sealed with them remain: the operator
 * re-seals them with the current key (adapters/credential-reseal.ts) and then retires the old key.
 */
export class CredentialCipher {
  /** The current key's id: every value sealed from now on names it. */
  readonly kid: string;
  private readonly key: Buffer;
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(key: Uint8Array, previous: readonly Uint8Array[] = []) {
    for (const candidate of [key, ...previous]) {
      if (candidate.byteLength !== CREDENTIAL_KEY_BYTES) {
        throw new Error(`the credentials key must be ${CREDENTIAL_KEY_BYTES} bytes`);
      }
    }
    this.key = Buffer.from(key);
    this.kid = credentialKeyId(key);
    const keys = new Map<string, Buffer>([[this.kid, this.key]]);
    for (const old of previous) {
      const kid = credentialKeyId(old);
      if (!keys.has(kid)) {
        keys.set(kid, Buffer.from(old));
      }
    }
    this.keys = keys;
  }

  /** Every key id that opens: the current one first, then the previous ones. */
  get kids(): string[] {
    return [...this.keys.keys()];
  }

  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** The key id a sealed value names (unauthenticated), or undefined when it is not a sealed value. */
  static sealedKid(sealed: unknown): string | undefined {
    const parsed = SealedCredential.safeParse(sealed);
    return parsed.success ? parsed.data.kid : undefined;
  }

  /** Seals `plaintext` for `site`'s `field`, bound to the base URL `url` (normalized with `credentialBaseUrl`). */
  seal(site: string, field: string, plaintext: string, url: string): SealedCredential {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(site, field, CREDENTIAL_FORMAT_VERSION, url));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: CREDENTIAL_FORMAT_VERSION,
      kid: this.kid,
      url,
      iv: iv.toString('base64url'),
      ct: ct.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  }

  /** The base URL a sealed value claims to be bound to (unauthenticated until `open` succeeds). */
  static boundUrl(sealed: unknown): string | undefined {
    const parsed = SealedCredential.safeParse(sealed);
    return parsed.success ? parsed.data.url : undefined;
  }

  /** Opens a sealed value with the key it names; the `url` it carries is authenticated by the AAD. */
  open(site: string, field: string, sealed: unknown): string {
    const parsed = SealedCredential.safeParse(sealed);
    if (!parsed.success) {
      throw new CredentialDecryptError('malformed', `stored ${field} is not a sealed credential`);
    }
    const value = parsed.data;
    const key = this.keys.get(value.kid);
    if (key === undefined) {
      throw new CredentialDecryptError('wrong_key', `stored ${field} was sealed with key ${value.kid}, which is not configured (current key ${this.kid})`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(value.iv, 'base64url'));
      decipher.setAAD(aad(site, field, value.v, value.url));
      decipher.setAuthTag(Buffer.from(value.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialDecryptError('tampered', `stored ${field} does not authenticate for this site, field and base URL`);
    }
  }

  /**
   * The value sealed again with the current key, bound to the same site, field and base URL; undefined when it is
   * sealed with the current key already. Throws CredentialDecryptError when it does not open.
   */
  reseal(site: string, field: string, sealed: unknown): SealedCredential | undefined {
    if (CredentialCipher.sealedKid(sealed) === this.kid) {
      return undefined;
    }
    const plaintext = this.open(site, field, sealed);
    return this.seal(site, field, plaintext, (sealed as SealedCredential).url);
  }
}

/** The key ring of a configuration: the current key and the previous ones; undefined without a current key. */
export function cipherFromConfig(sync: { credentialsKey: Uint8Array | undefined; previousCredentialsKeys?: readonly Uint8Array[] | undefined }): CredentialCipher | undefined {
  return sync.credentialsKey === undefined ? undefined : new CredentialCipher(sync.credentialsKey, sync.previousCredentialsKeys ?? []);
}
