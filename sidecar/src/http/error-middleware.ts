/**
 * The one error middleware. Once the shim's JWT verified, an error becomes a signed `respond` reply carrying the
 * error envelope and the contract status (the shim relays it to IGNY8). Before that we do not trust the caller,
 * so the answer is a plain, unsigned envelope with the real HTTP status (the shim treats it as a failure).
 */
import { randomUUID } from 'node:crypto';

import type { ErrorRequestHandler } from 'express';

import { errorEnvelope } from '../contract/envelope.ts';
import { AppError, toAppError } from '../contract/errors.ts';
import type { Logger } from '../logger.ts';
import type { ReplyWriter } from './signed-reply.ts';

export function handleErrors(deps: {
  logger: Logger;
  writeReply: ReplyWriter;
  onCatastrophic: (error: AppError) => void;
}): ErrorRequestHandler {
  return async (error: unknown, req, res, next) => {
    const appError = toAppError(error);
    const logFields = { code: appError.code, status: appError.status, path: req.path, request_id: res.locals.requestId };
    if (appError.status >= 500 && appError.code !== 'SIDECAR_AUTH_MISMATCH') {
      deps.logger.error({ ...logFields, err: appError.cause ?? appError }, appError.message);
    } else {
      deps.logger.warn(logFields, appError.message);
    }

    if (res.headersSent) {
      next(error);
      return;
    }
    if (appError.retryAfterSeconds !== undefined) {
      res.setHeader('Retry-After', String(appError.retryAfterSeconds));
    }
    const auth = res.locals.shimAuth;
    try {
      if (auth !== undefined) {
        await deps.writeReply(res, { kind: 'respond', status: appError.status, body: errorEnvelope(auth.requestId, appError) }, auth);
      } else {
        const requestId = res.locals.requestId ?? randomUUID();
        res.locals.requestId = requestId;
        const bytes = Buffer.from(JSON.stringify(errorEnvelope(requestId, appError)), 'utf8');
        res.status(appError.status);
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', String(bytes.byteLength));
        res.setHeader('Cache-Control', 'no-store');
        res.end(bytes);
      }
    } finally {
      if (appError.catastrophic) {
        deps.onCatastrophic(appError);
      }
    }
  };
}
