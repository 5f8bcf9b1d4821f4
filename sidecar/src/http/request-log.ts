/**
 * One log line per request: method, path (no query), status, duration, request_id and route. Never bodies,
 * headers, query strings or tokens.
 */
import type { RequestHandler } from 'express';

import type { Logger } from '../logger.ts';

export function logRequests(logger: Logger): RequestHandler {
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
