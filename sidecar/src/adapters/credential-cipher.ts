/**
 * IGNY8 credentials at rest (SPEC §9): AES-256-GCM, a fresh 96-bit IV per value, AAD `site|field|version`, and the
 * key id stored next to the ciphertext. The AAD binds a ciphertext to its site and field, so a value copied into
 * another field or another site's row does not decrypt; the key id tells a wrong key apart from tampering.
 *
 * What this protects: a leaked copy of the store file (backups, a stolen disk image). What it does not: a
 * compromised host, where the key (env var or 0600 file outside the data folder) is as readable as the store.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import { z } from 'zod';

export const CREDENTIAL_FORMAT_VERSION = 1;
export const CREDENTIAL_KEY_BYTES = 32;

export const SealedCredential = z.object({
  v: z.literal(CREDENTIAL_FORMAT_VERSION),
  kid: z.string().regex(/^[0-9a-f]{16}$/),
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

function aad(site: string, field: string, version: number): Buffer {
  return Buffer.from(`${site}|${field}|${version}`, 'utf8');
}

export class CredentialCipher {
  readonly kid: string;
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.byteLength !== CREDENTIAL_KEY_BYTES) {
      throw new Error(`the credentials key must be ${CREDENTIAL_KEY_BYTES} bytes`);
    }
    this.key = Buffer.from(key);
    this.kid = credentialKeyId(key);
  }

  seal(site: string, field: string, plaintext: string): SealedCredential {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(site, field, CREDENTIAL_FORMAT_VERSION));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      v: CREDENTIAL_FORMAT_VERSION,
      kid: this.kid,
      iv: iv.toString('base64url'),
      ct: ct.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  }

  open(site: string, field: string, sealed: unknown): string {
    const parsed = SealedCredential.safeParse(sealed);
    if (!parsed.success) {
      throw new CredentialDecryptError('malformed', `stored ${field} is not a sealed credential`);
    }
    const value = parsed.data;
    if (value.kid !== this.kid) {
      throw new CredentialDecryptError('wrong_key', `stored ${field} was sealed with key ${value.kid}, not the configured key ${this.kid}`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(value.iv, 'base64url'));
      decipher.setAAD(aad(site, field, value.v));
      decipher.setAuthTag(Buffer.from(value.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(value.ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new CredentialDecryptError('tampered', `stored ${field} does not authenticate for this site and field`);
    }
  }
}
