import { describe, expect, it } from 'vitest';

import { contract } from '../../src/contract/contract.ts';
import { JwtError, readPinnedHeader, signJwt, verifyJwt } from '../../src/protocol/jwt.ts';
import { base64url, bodyHash, decodeSecret, keyId, siteKeys } from '../../src/protocol/keys.ts';

const vectors = contract.jwt.test_vectors;
const keys = siteKeys(decodeSecret(vectors.secret), vectors.sid);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const keyFor = (direction: string) => (direction === 'shim->sidecar' ? keys.shimToSidecar : keys.sidecarToShim);
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('contract JWT test vectors', () => {
  it('derive the same per-direction keys and kid as the contract', () => {
    expect(keys.kid).toBe(vectors.kid);
    expect(keyId(decodeSecret(vectors.secret))).toBe(vectors.kid);
    expect(hex(keys.shimToSidecar)).toBe(vectors.k_shim_hex);
    expect(hex(keys.sidecarToShim)).toBe(vectors.k_sidecar_hex);
  });

  it('binds the keys to the site id: another sid derives other keys under the same kid', () => {
    const other = siteKeys(decodeSecret(vectors.secret), `${vectors.sid}x`);
    expect(other.kid).toBe(keys.kid);
    expect(hex(other.shimToSidecar)).not.toBe(vectors.k_shim_hex);
    expect(hex(other.sidecarToShim)).not.toBe(vectors.k_sidecar_hex);
  });

  for (const vector of vectors.vectors) {
    describe(vector.direction, () => {
      it('body hash matches bh', () => {
        expect(bodyHash(vector.body)).toBe(vector.bh);
        expect(vector.claims.bh).toBe(vector.bh);
      });

      it('token verifies with the direction key and yields the claims', async () => {
        const verified = await verifyJwt(vector.token, (kid) =>
          kid === keys.kid ? { keys, key: keyFor(vector.direction) } : undefined,
        );
        expect(verified.claims).toEqual(vector.claims);
      });

      it('re-signing the claims reproduces the token byte for byte', async () => {
        expect(await signJwt(vector.claims, keyFor(vector.direction), keys.kid)).toBe(vector.token);
      });

      it('does not verify with the other direction key', async () => {
        const other = vector.direction === 'shim->sidecar' ? keys.sidecarToShim : keys.shimToSidecar;
        await expect(verifyJwt(vector.token, () => ({ keys, key: other }))).rejects.toThrow(/signature/);
      });
    });
  }
});

describe('pinned header', () => {
  const [, payload, signature] = vectors.vectors[0]!.token.split('.');
  const withHeader = (header: unknown) => `${segment(header)}.${payload}.${signature}`;

  it.each([
    ['alg none', { alg: 'none', typ: 'JWT', kid: vectors.kid }, /alg/],
    ['alg HS512', { alg: 'HS512', typ: 'JWT', kid: vectors.kid }, /alg/],
    ['alg RS256', { alg: 'RS256', typ: 'JWT', kid: vectors.kid }, /alg/],
    ['missing kid', { alg: 'HS256', typ: 'JWT' }, /exactly/],
    ['extra jku member', { alg: 'HS256', typ: 'JWT', kid: vectors.kid, jku: 'http://x' }, /exactly/],
    ['typ JOSE', { alg: 'HS256', typ: 'JOSE', kid: vectors.kid }, /typ/],
    ['upper-case kid', { alg: 'HS256', typ: 'JWT', kid: vectors.kid.toUpperCase() }, /kid/],
  ])('refuses %s before any key is looked up', (_name, header, reason) => {
    expect(() => readPinnedHeader(withHeader(header))).toThrow(reason);
  });

  it('refuses malformed tokens', () => {
    expect(() => readPinnedHeader('a.b')).toThrow(JwtError);
    expect(() => readPinnedHeader('!!!.b.c')).toThrow(/base64url/);
    expect(() => readPinnedHeader(`${segment('x')}.b.c`)).toThrow(/object/);
  });

  it('refuses a changed payload and a signature in non-canonical base64url (same bytes, other text)', async () => {
    const [header, body, sig] = vectors.vectors[0]!.token.split('.') as [string, string, string];
    const key = () => ({ keys, key: keyFor(vectors.vectors[0]!.direction) });
    const tampered = `${header}.${segment({ ...vectors.vectors[0]!.claims, sid: 'other' })}.${sig}`;
    await expect(verifyJwt(tampered, key)).rejects.toThrow(/signature/);
    // 32 bytes are 43 characters: the last one carries 2 unused bits; setting them decodes to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1)!);
    const loose = `${sig.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(loose, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
    await expect(verifyJwt(`${header}.${body}.${loose}`, key)).rejects.toThrow(/signature/);
  });

  it('reports an unknown kid distinctly (the shim maps it to SIDECAR_AUTH_MISMATCH)', async () => {
    const error = await verifyJwt(vectors.vectors[0]!.token, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JwtError);
    expect((error as JwtError).unknownKid).toBe(true);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [header, , sig] = vectors.vectors[0]!.token.split('.');
    const altered = `${header}.${segment({ ...vectors.vectors[0]!.claims, sid: 'another-site' })}.${sig}`;
    await expect(verifyJwt(altered, () => ({ keys, key: keys.shimToSidecar }))).rejects.toThrow(/signature/);
  });
});

describe('site secret decoding', () => {
  it('accepts 32 bytes of base64url, with a trailing newline from a file', () => {
    expect(decodeSecret(`${vectors.secret}\n`)).toHaveLength(32);
  });

  it.each([
    ['31 bytes', base64url(new Uint8Array(31))],
    ['33 bytes', base64url(new Uint8Array(33))],
    ['standard base64 alphabet', Buffer.alloc(32, 0xfb).toString('base64')],
    ['padding', `${vectors.secret}=`],
    ['empty', ''],
  ])('refuses %s without echoing the value', (_name, text) => {
    expect(() => decodeSecret(text)).toThrow(/32 random bytes/);
    try {
      decodeSecret(text);
    } catch (error) {
      if (text !== '') {
        expect((error as Error).message).not.toContain(text);
      }
    }
  });
});
