/**
 * One log line per request: method, path (no query), status, duration, request_id and route, all scalars. Never
 * bodies, headers, query strings or tokens.
 */
import type { RequestHandler } from 'express';

import { scalarLineLogger, type Logger } from '../logger.ts';

export function logRequests(parent: Logger): RequestHandler {
  // Every field below is a scalar: the top-level secret keys are redacted as on any line, and no deeper path can match.
  const logger = scalarLineLogger(parent);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          request_id: res.locals.requestId,
          route_id: res.locals.routeId,
          sid: res.locals.shimAuth?.sid,
        },
        'request',
      );
    });
    next();
  };
}
