/**
 * Authenticates a shim request (JWT over method, route and raw body) and reads its context.
 */
import { randomUUID } from 'node:crypto';

import type { RequestHandler } from 'express';

import { AppError } from '../contract/errors.ts';
import { ShimContext } from '../protocol/messages.ts';
import type { ShimRequestVerifier } from '../protocol/shim-requests.ts';

export function authenticateShim(verifier: ShimRequestVerifier): RequestHandler {
  return async (req, res, next) => {
    const { keys, claims } = await verifier.verify({
      authorization: req.headers.authorization,
      method: req.method,
      path: req.path,
      rawBody: res.locals.rawBody ?? Buffer.alloc(0),
    });
    const rawCtx = claims.ctx as { request_id?: unknown } | null;
    const requestId =
      typeof rawCtx?.request_id === 'string' && rawCtx.request_id !== '' ? rawCtx.request_id.slice(0, 128) : randomUUID();
    // From here on the caller is trusted: every answer, errors included, is a signed reply.
    res.locals.shimAuth = { sid: claims.sid, jti: claims.jti, keys, requestId };
    res.locals.requestId = requestId;

    const ctx = ShimContext.safeParse(claims.ctx);
    if (!ctx.success) {
      const issue = ctx.error.issues[0];
      const path = ['ctx', ...(issue?.path ?? [])].join('.');
      throw new AppError('BAD_REQUEST', `Invalid request context from the shim (${path}: ${issue?.message ?? 'invalid'}).`, {
        field: path,
      });
    }
    res.locals.shimContext = ctx.data;
    res.locals.routeId = ctx.data.route_id;
    next();
  };
}
