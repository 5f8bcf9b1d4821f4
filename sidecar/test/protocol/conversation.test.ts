import { describe, expect, it } from 'vitest';

import { limits } from '../../src/contract/contract.ts';
import { ConversationRunner, execute, respond, type RouteHandler } from '../../src/protocol/conversation.ts';
import { successEnvelope } from '../../src/contract/envelope.ts';
import { AppError } from '../../src/contract/errors.ts';
import { ShimContext, type Operation } from '../../src/protocol/messages.ts';
import { shimContext } from '../helpers/harness.ts';

const ctx = ShimContext.parse(shimContext({ route_id: 'site_metadata' }));
const start = { sid: 's', ctx, method: 'GET', params: {}, query: {}, body: undefined, reads: [] };

function runnerWith(handler: RouteHandler) {
  return new ConversationRunner(new Map([[handler.id, handler]]));
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
}

describe('ConversationRunner', () => {
  it('wraps handler state with route, round and op count, and unwraps it on resume', async () => {
    const seen: unknown[] = [];
    const runner = runnerWith({
      id: 'site_metadata',
      start: () => execute([{ op: 'site_info' }, { op: 'site_info' }], { cursor: 'abc' }),
      resume: (_input, state, results) => {
        seen.push(state, results);
        return respond(200, successEnvelope(ctx.request_id, { done: true }));
      },
    });
    const first = await runner.start('site_metadata', start);
    expect(first).toEqual({
      kind: 'execute',
      ops: [{ op: 'site_info' }, { op: 'site_info' }],
      state: { v: 1, route_id: 'site_metadata', round: 1, ops: 2, data: { cursor: 'abc' } },
    });
    const state = first.kind === 'execute' ? first.state : {};
    const final = await runner.resume({ sid: 's', ctx }, { route_id: 'site_metadata', state, results: [{ ok: true }, { ok: true }] });
    expect(final).toMatchObject({ kind: 'respond', status: 200 });
    expect(seen).toEqual([{ cursor: 'abc' }, [{ ok: true }, { ok: true }]]);
  });

  it('never plans more than limits.max_rounds execute rounds', async () => {
    const runner = runnerWith({
      id: 'site_metadata',
      start: () => execute([{ op: 'site_info' }]),
      resume: () => execute([{ op: 'site_info' }]),
    });
    let reply = await runner.start('site_metadata', start);
    for (let round = 2; round <= limits.max_rounds; round++) {
      if (reply.kind !== 'execute') throw new Error('expected execute');
      reply = await runner.resume({ sid: 's', ctx }, { route_id: 'site_metadata', state: reply.state, results: [{}] });
      expect(reply.kind === 'execute' && reply.state.round).toBe(round);
    }
    if (reply.kind !== 'execute') throw new Error('expected execute');
    expect(await codeOf(runner.resume({ sid: 's', ctx }, { route_id: 'site_metadata', state: reply.state, results: [{}] }))).toBe(
      'INTERNAL_ERROR',
    );
  });

  it('refuses to plan an operation outside operations.proxy', async () => {
    const runner = runnerWith({
      id: 'site_metadata',
      start: () => execute([{ op: 'write_sync_meta' } as unknown as Operation]),
      resume: () => execute([]),
    });
    expect(await codeOf(runner.start('site_metadata', start))).toBe('INTERNAL_ERROR');
  });

  it('refuses to plan a proxy operation the route does not list (settings operations on /status)', async () => {
    const runner = runnerWith({
      id: 'status',
      start: () => execute([{ op: 'set_api_key', key: 'x'.repeat(40) } as unknown as Operation]),
      resume: () => execute([]),
    });
    expect(await codeOf(runner.start('status', start))).toBe('INTERNAL_ERROR');
  });

  it('answers a route without handler with ROUTE_NOT_FOUND', async () => {
    expect(await codeOf(new ConversationRunner(new Map()).start('status', start))).toBe('ROUTE_NOT_FOUND');
  });
});
