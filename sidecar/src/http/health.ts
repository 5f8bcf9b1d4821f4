/**
 * `GET /healthz`: liveness for process managers and the start script. Unauthenticated, so loopback callers only,
 * and it says nothing but "alive" and the version. A hosted (multi-site) sidecar answers it to anyone: its sites'
 * settings cards check it over the network, and it names no site.
 */
import type { RequestHandler } from 'express';

import { isLoopbackHost } from '../config.ts';
import { AppError } from '../contract/errors.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';

export function healthCheck(version: string, options: { public?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    if (options.public !== true && !isLoopbackHost(req.socket.remoteAddress ?? '')) {
      next(new AppError('FORBIDDEN', 'Health is served to loopback callers only.'));
      return;
    }
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ok: true, version, protocol: PROTOCOL_VERSION, ...(options.public === true ? { mode: 'multi-site' } : {}) });
  };
}
