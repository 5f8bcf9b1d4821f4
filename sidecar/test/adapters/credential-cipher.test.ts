import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { CredentialCipher, CredentialDecryptError, credentialBaseUrl } from '../../src/adapters/credential-cipher.ts';

const key = randomBytes(32);

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CredentialDecryptError);
    return (error as CredentialDecryptError).reason;
  }
  throw new Error('expected decryption to fail');
}

describe('CredentialCipher (AES-256-GCM, AAD site|field|version|url)', () => {
  it('round-trips, with a fresh IV each time and no plaintext in the sealed value', () => {
    const cipher = new CredentialCipher(key);
    const a = cipher.seal('site-1', 'password', 'hunter2-secret', 'https://igny8.example');
    const b = cipher.seal('site-1', 'password', 'hunter2-secret', 'https://igny8.example');
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(JSON.stringify(a)).not.toContain('hunter2');
    expect(a).toMatchObject({ v: 2, kid: cipher.kid, url: 'https://igny8.example' });
    expect(cipher.open('site-1', 'password', a)).toBe('hunter2-secret');
  });

  it('binds the ciphertext to its site and field (AAD): moved values do not decrypt', () => {
    const cipher = new CredentialCipher(key);
    const sealed = cipher.seal('site-1', 'password', 'secret', 'https://igny8.example');
    expect(reason(() => cipher.open('site-2', 'password', sealed))).toBe('tampered');
    expect(reason(() => cipher.open('site-1', 'api_key', sealed))).toBe('tampered');
  });

  it('binds the ciphertext to its base URL: a rewritten url does not decrypt (issue #12 item 4)', () => {
    const cipher = new CredentialCipher(key);
    const sealed = cipher.seal('site-1', 'password', 'secret', 'https://igny8.example');
    expect(CredentialCipher.boundUrl(sealed)).toBe('https://igny8.example');
    expect(reason(() => cipher.open('site-1', 'password', { ...sealed, url: 'https://evil.example' }))).toBe('tampered');
  });

  it('normalizes base URLs to one binding per scheme, host, port and path', () => {
    expect(credentialBaseUrl('https://IGNY8.example/')).toBe('https://igny8.example');
    expect(credentialBaseUrl(' https://igny8.example/api/// ')).toBe('https://igny8.example/api');
    expect(credentialBaseUrl('https://igny8.example:8443')).toBe('https://igny8.example:8443');
    expect(credentialBaseUrl('http://igny8.example')).not.toBe(credentialBaseUrl('https://igny8.example'));
    expect(credentialBaseUrl('not a url')).toBeUndefined();
  });

  it('refuses a wrong key (by key id) and tampered bytes', () => {
    const sealed = new CredentialCipher(key).seal('s', 'password', 'secret', 'https://igny8.example');
    expect(reason(() => new CredentialCipher(randomBytes(32)).open('s', 'password', sealed))).toBe('wrong_key');
    const flipped = { ...sealed, ct: Buffer.from(Buffer.from(sealed.ct, 'base64url').map((byte, i) => (i === 0 ? byte ^ 1 : byte))).toString('base64url') };
    expect(reason(() => new CredentialCipher(key).open('s', 'password', flipped))).toBe('tampered');
    expect(reason(() => new CredentialCipher(key).open('s', 'password', { ...sealed, v: 1 }))).toBe('malformed');
    expect(reason(() => new CredentialCipher(key).open('s', 'password', 'plain text'))).toBe('malformed');
  });

  it('needs a 32-byte key', () => {
    expect(() => new CredentialCipher(randomBytes(16))).toThrow(/32 bytes/);
  });
});
