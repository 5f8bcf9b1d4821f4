/**
 * Binds createApp() to a socket (http on loopback, https elsewhere) and closes it gracefully.
 */
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { createApp, type AppDeps } from './app.ts';
import type { Config } from '../config.ts';
import { jwtParams } from '../contract/contract.ts';
import { KeyRing } from '../protocol/keys.ts';
import { SitePin } from '../protocol/site-pin.ts';

export interface RunningSidecar {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function keyRingFromConfig(config: Pick<Config, 'secret' | 'previousSecret' | 'siteId' | 'dataDir'>, startedAtMs = Date.now()): KeyRing {
  return new KeyRing({
    current: config.secret,
    previous: config.previousSecret,
    previousValidUntilMs: startedAtMs + jwtParams.previous_key_grace_seconds * 1000,
    site: new SitePin({ configured: config.siteId, dataDir: config.dataDir }),
  });
}

export async function startSidecar(
  config: Config,
  deps: Omit<AppDeps, 'keyRing' | 'allowedHosts' | 'rateLimitPerMin'> & Partial<Pick<AppDeps, 'keyRing'>>,
): Promise<RunningSidecar> {
  const app = createApp({
    ...deps,
    keyRing: deps.keyRing ?? keyRingFromConfig(config),
    allowedHosts: config.allowedHosts,
    rateLimitPerMin: config.rateLimitPerMin,
  });
  return listenApp(app, config);
}

/** Serves `app` on the configured host and port (https when TLS is configured). */
export async function listenApp(app: RequestListener, config: Pick<Config, 'tls' | 'host' | 'port'>): Promise<RunningSidecar> {
  const server: Server = config.tls === undefined ? createHttpServer(app) : createHttpsServer({ ...config.tls }, app);
  // The shim's total timeout is limits.sidecar_timeout_seconds; nothing legitimate takes longer here.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    server,
    port,
    url: `${config.tls === undefined ? 'http' : 'https'}://${hostForUrl}:${port}`,
    close: () => closeGracefully(server),
  };
}

/** Stops accepting, lets in-flight requests finish (up to `graceMs`), then drops what is left. */
export function closeGracefully(server: Server, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
