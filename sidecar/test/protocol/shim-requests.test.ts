import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { AppError } from '../../src/contract/errors.ts';
import { KeyRing, keyId } from '../../src/protocol/keys.ts';
import { ReplayCache } from '../../src/protocol/replay-cache.ts';
import { SitePin } from '../../src/protocol/site-pin.ts';
import { WordPressInternalClient, WordPressUnavailableError } from '../../src/adapters/wp-internal-client.ts';
import { createLogger } from '../../src/logger.ts';
import { signShimRequest, type SignShimRequestOptions } from '../helpers/shim-client.ts';
import { ShimRequestVerifier, htuMatchesPath } from '../../src/protocol/shim-requests.ts';
import { TestClock, newSecret, shimContext } from '../helpers/harness.ts';

const SECRET = newSecret();
const ROUTE = '/igny8/v1/publish-content';
const BODY = '{"content_id":42,"title":"Café \\"quoted\\" / slash"}';

function setup(options: { previous?: string; previousValidUntilMs?: number; clock?: TestClock; site?: SitePin } = {}) {
  const clock = options.clock ?? new TestClock(1_767_225_600_000);
  const keyRing = new KeyRing({
    current: Buffer.from(SECRET, 'base64url'),
    previous: options.previous === undefined ? undefined : Buffer.from(options.previous, 'base64url'),
    previousValidUntilMs: options.previousValidUntilMs ?? 0,
    ...(options.site === undefined ? {} : { site: options.site }),
  });
  const verifier = new ShimRequestVerifier({ keyRing, replayCache: new ReplayCache(), clock: clock.now });
  const sign = (overrides: Partial<SignShimRequestOptions> = {}) =>
    signShimRequest({
      secret: SECRET,
      method: 'POST',
      htu: ROUTE,
      body: BODY,
      sid: 'site-1',
      ctx: shimContext({ route_id: 'publish_content' }),
      nowSec: clock.nowSec(),
      ...overrides,
    });
  const verify = async (token: string, request: { method?: string; path?: string; body?: string } = {}) =>
    verifier.verify({
      authorization: `Bearer ${token}`,
      method: request.method ?? 'POST',
      path: request.path ?? ROUTE,
      rawBody: Buffer.from(request.body ?? BODY),
    });
  return { clock, keyRing, verifier, sign, verify };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('ShimRequestVerifier', () => {
  it('accepts a request signed as the shim signs it', async () => {
    const { sign, verify } = setup();
    const signed = await sign();
    const verified = await verify(signed.token);
    expect(verified.claims.sid).toBe('site-1');
    expect(verified.claims.jti).toBe(signed.jti);
  });

  it.each<[string, (t: ReturnType<typeof setup>) => Promise<AppError>, RegExp]>([
    ['a forged token (signed with another secret under our kid)', async ({ sign, verify, keyRing }) =>
      refusal(verify((await sign({ secret: newSecret(), kid: keyRing.kid })).token)), /signature/],
    ['an expired token', async ({ sign, verify, clock }) => {
      const signed = await sign();
      clock.advance(30 + 30 + 1);
      return refusal(verify(signed.token));
    }, /expired/],
    ['a token from the future', async ({ sign, verify, clock }) =>
      refusal(verify((await sign({ nowSec: clock.nowSec() + 31 })).token)), /future/],
    ['a token living longer than 60 s', async ({ sign, verify }) =>
      refusal(verify((await sign({ ttlSeconds: 61 })).token)), /lifetime/],
    ['a replayed token', async ({ sign, verify }) => {
      const signed = await sign();
      await verify(signed.token);
      return refusal(verify(signed.token));
    }, /replayed/],
    ['another method', async ({ sign, verify }) =>
      refusal(verify((await sign()).token, { method: 'PUT' })), /htm/],
    ['another route (htu)', async ({ sign, verify }) =>
      refusal(verify((await sign({ htu: '/igny8/v1/publish' })).token)), /htu/],
    ['a swapped body', async ({ sign, verify }) =>
      refusal(verify((await sign()).token, { body: BODY.replace('42', '43') })), /bh/],
    ['a re-encoded body (same JSON value, other bytes)', async ({ sign, verify }) =>
      refusal(verify((await sign()).token, { body: JSON.stringify(JSON.parse(BODY)).replace('/', '\\/') })), /bh/],
  ])('refuses %s with 401 SIGNATURE_INVALID', async (_name, attempt, reason) => {
    const error = await attempt(setup());
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.status).toBe(401);
    expect(error.message).toMatch(reason);
  });

  it('refuses wrong iss / aud claims', async () => {
    const { verify, keyRing } = setup();
    const { signJwt } = await import('../../src/protocol/jwt.ts');
    const base = (await setup().sign()).claims;
    for (const claims of [{ ...base, aud: 'igny8-shim' }, { ...base, iss: 'igny8-sidecar' }, { ...base, aud: 'igny8-shim-internal' }]) {
      const token = await signJwt(claims, keyRing.forSite(claims.sid).shimToSidecar, keyRing.kid);
      const error = await refusal(verify(token));
      expect(error.code).toBe('SIGNATURE_INVALID');
      expect(error.message).toMatch(/claim (aud|iss)/);
    }
  });

  it('refuses a missing or non-Bearer Authorization header', async () => {
    const { verifier, sign } = setup();
    const signed = await sign();
    for (const authorization of [undefined, '', signed.token, `Basic ${signed.token}`]) {
      const error = await refusal(verifier.verify({ authorization, method: 'POST', path: ROUTE, rawBody: Buffer.from(BODY) }));
      expect(error.code).toBe('SIGNATURE_INVALID');
    }
  });

  it('accepts exp + leeway, refuses one second later', async () => {
    const { sign, verify, clock } = setup();
    const first = await sign();
    const second = await sign();
    clock.advance(30 + 30);
    await expect(verify(first.token)).resolves.toBeDefined();
    clock.advance(1);
    expect((await refusal(verify(second.token))).message).toMatch(/expired/);
  });

  it('answers an unknown kid with SIDECAR_AUTH_MISMATCH (503) and names its own key id', async () => {
    const { sign, verify, keyRing } = setup();
    const otherSecret = newSecret();
    const error = await refusal(verify((await sign({ secret: otherSecret })).token));
    expect(error.code).toBe('SIDECAR_AUTH_MISMATCH');
    expect(error.status).toBe(503);
    expect(error.details.sidecar_kid).toBe(keyRing.kid);
    expect(error.details.sidecar_kid).not.toBe(keyId(Buffer.from(otherSecret, 'base64url')));
  });

  it('accepts the previous secret during the rotation grace period only', async () => {
    const previous = newSecret();
    const clock = new TestClock(1_767_225_600_000);
    const { sign, verify } = setup({ previous, previousValidUntilMs: clock.ms + 600_000, clock });
    const verified = await verify((await sign({ secret: previous })).token);
    expect(verified.keys.kid).toBe(keyId(Buffer.from(previous, 'base64url')));

    clock.advance(601);
    const error = await refusal(verify((await sign({ secret: previous })).token));
    expect(error.code).toBe('SIDECAR_AUTH_MISMATCH');
  });
});

describe('one site per sidecar (issue #12 item 7: sid checked, keys derived per site)', () => {
  const SITE_A = '6f1c1e2a-0000-4000-8000-00000000000a';
  const SITE_B = '6f1c1e2a-0000-4000-8000-00000000000b';

  it('pins the first verified site id; a valid token of another site sharing the secret is refused', async () => {
    const { sign, verify, keyRing } = setup();
    expect(keyRing.site.get()).toBeUndefined();
    await verify((await sign({ sid: SITE_A })).token);
    expect(keyRing.site.get()).toBe(SITE_A);
    const error = await refusal(verify((await sign({ sid: SITE_B })).token));
    expect(error.code).toBe('SIDECAR_AUTH_MISMATCH');
    expect(error.details.reason).toBe('site_id');
    expect(error.message).not.toContain(SITE_A);
    await expect(verify((await sign({ sid: SITE_A })).token)).resolves.toBeDefined();
  });

  it('with IGNY8_SIDECAR_SITE_ID configured, refuses another site from the first request on', async () => {
    const { sign, verify } = setup({ site: new SitePin({ configured: SITE_A }) });
    expect((await refusal(verify((await sign({ sid: SITE_B })).token))).details.reason).toBe('site_id');
    await expect(verify((await sign({ sid: SITE_A })).token)).resolves.toBeDefined();
  });

  it('does not pin a site id whose request failed a check', async () => {
    const { sign, verify, keyRing } = setup();
    await refusal(verify((await sign({ sid: SITE_B })).token, { body: '{"tampered":true}' }));
    expect(keyRing.site.get()).toBeUndefined();
  });

  it('the keys are bound to the sid: a token signed for site A but claiming site B does not verify', async () => {
    const { verify, keyRing, sign } = setup({ site: new SitePin({ configured: SITE_B }) });
    const { signJwt } = await import('../../src/protocol/jwt.ts');
    const claims = { ...(await sign({ sid: SITE_B })).claims };
    const token = await signJwt(claims, keyRing.forSite(SITE_A).shimToSidecar, keyRing.kid);
    const error = await refusal(verify(token));
    expect(error.code).toBe('SIGNATURE_INVALID');
  });

  it('keeps the learned id across restarts in a 0600 file of the data folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'igny8-pin-'));
    try {
      new SitePin({ dataDir: dir }).learn(SITE_A);
      expect(readFileSync(join(dir, 'site-id'), 'utf8').trim()).toBe(SITE_A);
      expect(statSync(join(dir, 'site-id')).mode & 0o077).toBe(0);
      const restarted = new SitePin({ dataDir: dir });
      expect(restarted.get()).toBe(SITE_A);
      restarted.learn(SITE_B);
      expect(restarted.get()).toBe(SITE_A);
      expect(new SitePin({ dataDir: dir, configured: SITE_B }).get()).toBe(SITE_B);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('signs no internal call to WordPress before the site id is known', async () => {
    const { keyRing } = setup();
    let calls = 0;
    const client = new WordPressInternalClient({
      wpUrl: 'http://127.0.0.1:9',
      keyRing,
      logger: createLogger({ level: 'silent' }),
      fetch: async () => {
        calls += 1;
        return new Response('{}');
      },
    });
    await expect(client.run([{ op: 'site_info' }])).rejects.toBeInstanceOf(WordPressUnavailableError);
    expect(calls).toBe(0);
  });
});

describe('htu comparison', () => {
  it('matches the exact path, or its percent-decoded form', () => {
    expect(htuMatchesPath('/igny8/v1/site-metadata', '/igny8/v1/site-metadata')).toBe(true);
    expect(htuMatchesPath('/igny8/v1/site-metadata/', '/igny8/v1/site-metadata/')).toBe(true);
    expect(htuMatchesPath('/igny8/v1/post-status/a b', '/igny8/v1/post-status/a%20b')).toBe(true);
    expect(htuMatchesPath('/igny8/v1/site-metadata', '/igny8/v1/site-metadata/')).toBe(false);
    expect(htuMatchesPath('/igny8/v1/status', '/igny8/v1/site-metadata')).toBe(false);
    expect(htuMatchesPath('/x', '/%E0%A4%A')).toBe(false);
  });
});
