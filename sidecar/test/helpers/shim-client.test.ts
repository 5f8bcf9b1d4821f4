import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { limits } from '../../src/contract/contract.ts';
import { execute, type RouteHandler } from '../../src/protocol/conversation.ts';
import { runShimConversation, ShimProtocolError, type ShimTransport } from './shim-client.ts';
import { newSecret, shimContext, startHarness, TEST_SID, type Harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const statusCall = { method: 'GET', route: '/igny8/v1/status', ctx: shimContext(), executeOp: () => ({}) };

async function failure(promise: Promise<unknown>): Promise<ShimProtocolError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShimProtocolError);
  return error as ShimProtocolError;
}

describe('the shim reference driver (what PHP must do with replies)', () => {
  it('maps a sidecar holding another secret to SIDECAR_AUTH_MISMATCH', async () => {
    const error = await failure(
      runShimConversation({ ...statusCall, transport: h.transport, secret: newSecret(), sid: TEST_SID }),
    );
    expect(error.code).toBe('SIDECAR_AUTH_MISMATCH');
    expect(error.httpStatus).toBe(503);
  });

  it('refuses a reply whose bytes changed after signing', async () => {
    const tampering: ShimTransport = async (request) => {
      const response = await h.transport(request);
      const text = Buffer.from(response.body).toString().replace('"connected":false', '"connected":true ');
      return { ...response, body: new Uint8Array(Buffer.from(text)) };
    };
    const error = await failure(runShimConversation({ ...statusCall, transport: tampering, secret: h.secret, sid: TEST_SID }));
    expect(error.code).toBe('SIDECAR_BAD_RESPONSE');
    expect(error.message).toMatch(/bh/);
  });

  it('refuses a reply without a signature header', async () => {
    const stripping: ShimTransport = async (request) => {
      const response = await h.transport(request);
      return { ...response, headers: { ...response.headers, 'x-igny8-signature': undefined } };
    };
    const error = await failure(runShimConversation({ ...statusCall, transport: stripping, secret: h.secret, sid: TEST_SID }));
    expect(error.code).toBe('SIDECAR_BAD_RESPONSE');
  });

  it('refuses a signed reply that answers another request (req ≠ our jti)', async () => {
    const first = await h.send({ method: 'GET', path: '/igny8/v1/status', ctx: shimContext() });
    const second = await h.send({ method: 'GET', path: '/igny8/v1/status', ctx: shimContext() });
    await expect(h.verify(first.res, first.bytes, second.signed)).rejects.toThrow(/req/);
    await expect(h.verify(first.res, first.bytes, first.signed)).resolves.toMatchObject({ kind: 'respond' });
  });

  it('stops after limits.max_rounds execute rounds', async () => {
    // A sidecar handler that never finishes: the runner itself refuses to plan past max_rounds.
    const endless: RouteHandler = {
      id: 'site_metadata',
      start: () => execute([{ op: 'site_info' }]),
      resume: () => execute([{ op: 'site_info' }]),
    };
    const looping = await startHarness({ appDeps: { routeHandlers: [endless] } });
    try {
      let rounds = 0;
      const result = await looping.converse({
        method: 'GET',
        route: '/igny8/v1/site-metadata/',
        ctx: shimContext({ route_id: 'site_metadata' }),
        executeOp: () => {
          rounds += 1;
          return { ok: true };
        },
      });
      expect(rounds).toBe(limits.max_rounds);
      expect(result).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR' } });
    } finally {
      await looping.close();
    }
  });
});
