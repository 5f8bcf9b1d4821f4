/**
 * Thin HTTP layer for shim traffic: every contract route at `/{rest_namespace}{path}` with its methods, plus
 * `POST /_shim/continue`. Each handler turns the request into a conversation input, lets the domain decide, and
 * writes the signed reply. Anything else that authenticated gets a signed ROUTE_NOT_FOUND.
 */
import { Router } from 'express';

import { contract } from '../contract/contract.ts';
import type { RateLimiter } from '../adapters/site-rate-limiter.ts';
import { conversationStartedAt, type ConversationRunner } from '../protocol/conversation.ts';
import { contentIdOfBody } from './activity-recorder.ts';
import { AppError } from '../contract/errors.ts';
import { parseJsonBody } from './json-body.ts';
import { requireShim } from './locals.ts';
import type { ReplyWriter } from './signed-reply.ts';
import { ContinueBody, ReadsBody } from '../protocol/messages.ts';
import { compileRoutePattern } from './contract-paths.ts';

/** On a route with contract `reads`, PHP sends their results as the signed body: `{"reads":[result…]}`. */
function readResults(body: unknown, count: number): readonly unknown[] {
  const parsed = ReadsBody.safeParse(body);
  if (!parsed.success || parsed.data.reads.length !== count) {
    throw new AppError('BAD_REQUEST', `This route expects the results of its ${count} contract read(s) as {"reads":[...]}.`, { field: 'reads' });
  }
  return parsed.data.reads;
}

interface CompiledRoute {
  route: (typeof contract.routes)[number];
  pattern: RegExp;
  /** The contract methods, plus HEAD where GET is one (Express answered HEAD on a GET route). */
  methods: ReadonlySet<string>;
}

export function shimRoutes(deps: {
  runner: ConversationRunner;
  rateLimiter: RateLimiter;
  writeReply: ReplyWriter;
}): Router {
  const router = Router();
  const routes: CompiledRoute[] = contract.routes.map((route) => ({
    route,
    pattern: compileRoutePattern(route.path),
    methods: new Set<string>(route.methods.includes('GET') ? [...route.methods, 'HEAD'] : route.methods),
  }));
  const byId = new Map(routes.map((compiled) => [compiled.route.id, compiled]));
  const matches = (compiled: CompiledRoute | undefined, method: string, path: string): compiled is CompiledRoute =>
    compiled !== undefined && compiled.methods.has(method) && compiled.pattern.test(path);

  router.post(contract.sidecar_paths.continue, async (_req, res) => {
    const { auth, ctx } = requireShim(res);
    const parsed = ContinueBody.safeParse(parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppError('BAD_REQUEST', `Invalid continue body (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}).`, {
        field: issue?.path.join('.') || 'body',
      });
    }
    res.locals.conversationStartedAt = conversationStartedAt(parsed.data.state);
    const reply = await deps.runner.resume({ sid: auth.sid, ctx }, parsed.data);
    await deps.writeReply(res, reply, auth);
  });

  // One layer for every contract route: the signed ctx.route_id names the route, so one pattern test finds it (a
  // route per Express layer cost a regex test and a router step for each route before it, on every request).
  router.use(async (req, res) => {
    const { auth, ctx } = requireShim(res);
    const named = byId.get(ctx.route_id);
    const compiled = matches(named, req.method, req.path) ? named : routes.find((candidate) => matches(candidate, req.method, req.path));
    if (compiled === undefined) {
      throw new AppError('ROUTE_NOT_FOUND', `No route ${req.method} ${req.path}.`);
    }
    const { route } = compiled;
    if (ctx.route_id !== route.id) {
      throw new AppError('BAD_REQUEST', `ctx.route_id ${ctx.route_id} does not match the route ${route.id}.`, {
        field: 'ctx.route_id',
      });
    }
    // Only conversation starts count: a continue belongs to a call that was already admitted. Public routes
    // (anonymous /status) have their own bucket, so their traffic never throttles IGNY8's calls.
    const decision = await deps.rateLimiter.take(route.auth === 'public' ? `${auth.sid}#public` : auth.sid);
    if (!decision.allowed) {
      throw new AppError('RATE_LIMITED', 'Too many requests for this site; retry later.', {
        retryAfterSeconds: decision.retryAfterSeconds,
      });
    }
    const body = parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0));
    // On a route with contract reads the body is their results, not a caller's body.
    const payload = route.reads === undefined ? { body, reads: [] } : { body: undefined, reads: readResults(body, route.reads.length) };
    res.locals.activityContentId = contentIdOfBody(payload.body);
    const reply = await deps.runner.start(route.id, {
      sid: auth.sid,
      ctx,
      method: req.method,
      params: ctx.params,
      query: ctx.query,
      ...payload,
      kid: auth.keys.kid,
    }, res.locals.receivedAt);
    await deps.writeReply(res, reply, auth);
  });

  return router;
}
