/**
 * The sidecar is not a web server for browsers: no CORS, any `Origin` header is refused, and the `Host` header
 * must be one we serve (DNS-rebinding defence, SPEC §9).
 */
import type { RequestHandler } from 'express';

import { AppError } from '../contract/errors.ts';

export class HostAllowList {
  private readonly explicit: ReadonlySet<string> | undefined;

  /** `explicit` = SIDECAR_ALLOWED_HOSTS; undefined = loopback names on the port the request came in on. */
  constructor(explicit: readonly string[] | undefined) {
    this.explicit = explicit === undefined ? undefined : new Set(explicit.map((host) => host.toLowerCase()));
  }

  allows(hostHeader: string | undefined, localPort: number | undefined): boolean {
    if (hostHeader === undefined || hostHeader === '') {
      return false;
    }
    const host = hostHeader.toLowerCase();
    if (this.explicit !== undefined) {
      return this.explicit.has(host);
    }
    return localPort !== undefined && [`127.0.0.1:${localPort}`, `localhost:${localPort}`, `[::1]:${localPort}`].includes(host);
  }
}

export function refuseBrowserOrigins(): RequestHandler {
  return (req, _res, next) => {
    if (req.headers.origin !== undefined) {
      next(new AppError('FORBIDDEN', 'Requests with an Origin header are not served.'));
      return;
    }
    next();
  };
}

export function requireAllowedHost(allowList: HostAllowList): RequestHandler {
  return (req, _res, next) => {
    if (!allowList.allows(req.headers.host, req.socket.localPort)) {
      next(new AppError('FORBIDDEN', 'Host header not allowed.'));
      return;
    }
    next();
  };
}
