/**
 * The conversation model: the sidecar never calls WordPress while the shim waits. A route handler either answers
 * (`respond`) or asks the shim to run bounded operations and come back with their results (`execute`).
 *
 *   start(input)                  → Step
 *   resume(input, state, results) → Step      (after each execute round, via POST /_shim/continue)
 *
 * The sidecar keeps nothing between rounds: the state travels to the shim in the signed reply and comes back in
 * the signed continue request. The runner wraps each handler's state in a small envelope (route id, round, op
 * count) so it can check the continue body against the round it answers.
 */
import { z } from 'zod';

import { isRouteOperation, limits } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import {
  JsonObject,
  type ContinueBody,
  type Envelope,
  type Operation,
  type ShimContext,
  type SidecarReply,
} from './messages.ts';

export interface RespondStep {
  readonly kind: 'respond';
  readonly status: number;
  readonly body: Envelope;
}

export interface ExecuteStep {
  readonly kind: 'execute';
  readonly ops: readonly Operation[];
  readonly state: JsonObject;
}

export type Step = RespondStep | ExecuteStep;

export function respond(status: number, body: Envelope): RespondStep {
  return { kind: 'respond', status, body };
}

export function execute(ops: readonly Operation[], state: JsonObject = {}): ExecuteStep {
  return { kind: 'execute', ops, state };
}

/** What every round of a conversation knows about the call. */
export interface ConversationInput {
  /** Site id from the verified JWT (`sid`). */
  readonly sid: string;
  readonly ctx: ShimContext;
}

/** The first round also has the original IGNY8 request. */
export interface StartInput extends ConversationInput {
  readonly method: string;
  /** Route parameters as WordPress parsed them (`ctx.params`). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  /** Parsed JSON body, or undefined when the body was empty (always undefined on a route with `reads`). */
  readonly body: unknown;
  /** One result per contract `reads` entry of the route, in order, as PHP ran them before this exchange. */
  readonly reads: readonly unknown[];
  /** Key id the shim signed with (the shim's key fingerprint, shown in settings). */
  readonly kid?: string;
}

export interface RouteHandler {
  /** Contract route id. */
  readonly id: string;
  start(input: StartInput): Step | Promise<Step>;
  /**
   * `state` is what this handler put in its last execute step; `results` has one entry per op, in op order.
   * A handler that never executes has none, and a continue for its route is refused.
   */
  resume?(input: ConversationInput, state: JsonObject, results: readonly unknown[]): Step | Promise<Step>;
}

const ConversationState = z.object({
  v: z.literal(1),
  route_id: z.string(),
  round: z.int().min(1),
  ops: z.int().min(1),
  /** When the first exchange arrived (sidecar clock ms): the activity log's duration of the whole call. */
  t0: z.number().optional(),
  data: JsonObject,
});

/** The start time a continue body's state carries (undefined for a state without one). */
export function conversationStartedAt(state: unknown): number | undefined {
  const parsed = ConversationState.safeParse(state);
  return parsed.success ? parsed.data.t0 : undefined;
}

export class ConversationRunner {
  private readonly handlers: ReadonlyMap<string, RouteHandler>;

  constructor(handlers: ReadonlyMap<string, RouteHandler>) {
    this.handlers = handlers;
  }

  async start(routeId: string, input: StartInput, startedAt?: number): Promise<SidecarReply> {
    const handler = this.handlerFor(routeId);
    return this.toReply(routeId, 1, await handler.start(input), startedAt);
  }

  async resume(input: ConversationInput, body: ContinueBody): Promise<SidecarReply> {
    if (body.route_id !== input.ctx.route_id) {
      throw new AppError('BAD_REQUEST', 'Continue body route_id does not match ctx.route_id.', { field: 'route_id' });
    }
    const parsed = ConversationState.safeParse(body.state);
    if (!parsed.success || parsed.data.route_id !== body.route_id) {
      throw new AppError('BAD_REQUEST', 'Continue state was not issued for this route.', { field: 'state' });
    }
    const state = parsed.data;
    if (body.results.length !== state.ops) {
      throw new AppError('BAD_REQUEST', `Expected ${state.ops} operation results, got ${body.results.length}.`, {
        field: 'results',
      });
    }
    const handler = this.handlerFor(body.route_id);
    if (handler.resume === undefined) {
      throw new AppError('BAD_REQUEST', 'Continue state was not issued for this route.', { field: 'state' });
    }
    return this.toReply(body.route_id, state.round + 1, await handler.resume(input, state.data, body.results), state.t0);
  }

  private handlerFor(routeId: string): RouteHandler {
    const handler = this.handlers.get(routeId);
    if (handler === undefined) {
      throw new AppError('ROUTE_NOT_FOUND', `No sidecar handler for route ${routeId}.`);
    }
    return handler;
  }

  private toReply(routeId: string, round: number, step: Step, startedAt: number | undefined): SidecarReply {
    if (step.kind === 'respond') {
      return { kind: 'respond', status: step.status, body: step.body };
    }
    // Programming errors in a handler: never send the shim something it must refuse.
    if (round > limits.max_rounds) {
      throw new AppError('INTERNAL_ERROR', `Route ${routeId} needs more than ${limits.max_rounds} operation rounds.`);
    }
    const refused = step.ops.find((op) => !isRouteOperation(routeId, op.op));
    if (step.ops.length === 0 || refused !== undefined) {
      throw new AppError('INTERNAL_ERROR', `Route ${routeId} planned an operation outside its contract operations.`);
    }
    return {
      kind: 'execute',
      ops: [...step.ops],
      state: { v: 1, route_id: routeId, round, ops: step.ops.length, ...(startedAt === undefined ? {} : { t0: startedAt }), data: step.state },
    };
  }
}
