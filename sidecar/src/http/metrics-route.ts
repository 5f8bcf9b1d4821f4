/**
 * `GET /metrics` (Prometheus text format) for the operator of a hosted sidecar. Mounted only when
 * IGNY8_SIDECAR_OPERATOR_TOKEN is set, before any shim authentication: it answers to that bearer token alone
 * (compared in constant time, as SHA-256 digests of equal length), so no site's keys or tokens open it. Without the
 * token it is 401 OPERATOR_UNAUTHORIZED (the unified error envelope) and says nothing; without the setting the path
 * does not exist (404).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';

import type { RequestHandler } from 'express';
import type { Registry } from 'prom-client';

import { errorEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';
import { metricsRegistry, type QueueSnapshotSource } from '../metrics/sync-metrics.ts';

export const METRICS_PATH = '/metrics';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** True when `header` is `Bearer <token>` for exactly this token. */
export function operatorAuthorized(header: string | undefined, token: string): boolean {
  const presented = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header ?? '')?.[1];
  // Compared even when absent, so a missing header takes the time of a wrong one.
  const same = timingSafeEqual(digest(presented ?? ''), digest(token));
  return presented !== undefined && same;
}

/** The route for the configured token, or undefined when none is configured (then `/metrics` is not served). */
export function operatorMetrics(token: string | undefined, source: QueueSnapshotSource): RequestHandler | undefined {
  return token === undefined ? undefined : metricsRoute({ token, registry: metricsRegistry(source) });
}

export function metricsRoute(options: { token: string; registry: Registry }): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    if (!operatorAuthorized(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="igny8-sidecar operator"');
      res.status(401).json(errorEnvelope(res.locals.requestId ?? randomUUID(), new AppError('OPERATOR_UNAUTHORIZED', 'The operator token is required.')));
      return;
    }
    options.registry.metrics().then((text) => {
      res.setHeader('Content-Type', options.registry.contentType);
      res.send(text);
    }, next);
  };
}
