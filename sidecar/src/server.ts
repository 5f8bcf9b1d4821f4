/**
 * Process entry: `tsx src/server.ts`. Loads config (fails fast), starts the sidecar, and owns the process:
 * SIGTERM/SIGINT close gracefully; an uncaught error or a catastrophic AppError is logged and ends the process
 * (a supervisor restarts it; in-memory state is only caches).
 */
import { ConfigError, loadConfig, loadMultiSiteConfig, multiSiteRequested } from './config.ts';
import type { AppError } from './contract/errors.ts';
import { StoreLockedError } from './adapters/sync-store.ts';
import { keyRingFromConfig, startSidecar, type RunningSidecar } from './http/listen.ts';
import { createLogger, type Logger } from './logger.ts';
import { createSync, SINGLE_SITE_STORE_ID, type SyncRuntime } from './sync/create-sync.ts';
import { operatorMetrics } from './http/metrics-route.ts';
import { siteQueueSource } from './metrics/queue-sources.ts';
import { SIDECAR_VERSION } from './version.ts';

function installProcessHandlers(logger: Logger, shutdown: (code: number) => void): void {
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    shutdown(1);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    shutdown(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      shutdown(0);
    });
  }
}

/** Multi-site mode (IGNY8_SIDECAR_MULTI_SITE=1, `start --multi-site`): every enrolled site, from PostgreSQL. */
async function mainMultiSite(): Promise<void> {
  let config;
  try {
    config = loadMultiSiteConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`igny8-sidecar: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const { startMultiSite } = await import('./hosted/start.ts');
  let running: Awaited<ReturnType<typeof startMultiSite>> | undefined;
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    const exit = () => {
      const leave = setTimeout(() => process.exit(code), 1000);
      leave.unref();
      logger.flush(() => process.exit(code));
    };
    (running?.close() ?? Promise.resolve()).then(exit, exit);
  };
  installProcessHandlers(logger, shutdown);
  running = await startMultiSite(config, {
    logger,
    onCatastrophic: (error: AppError) => {
      logger.fatal({ code: error.code }, 'catastrophic error, stopping');
      shutdown(1);
    },
  });
  logger.info({ url: running.url, version: SIDECAR_VERSION, mode: 'multi-site' }, 'igny8 sidecar listening');
}

async function main(): Promise<void> {
  if (multiSiteRequested()) {
    return mainMultiSite();
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`igny8-sidecar: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });
  const keyRing = keyRingFromConfig(config);
  let sync: SyncRuntime;
  try {
    sync = await createSync({ config, keyRing, logger });
  } catch (error) {
    if (error instanceof StoreLockedError) {
      process.stderr.write(`igny8-sidecar: ${error.message}\n`);
      process.exit(75); // EX_TEMPFAIL
    }
    throw error;
  }
  let running: RunningSidecar | undefined;
  let stopping = false;
  const shutdown = (code: number): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    const exit = () => {
      // The pino destination is asynchronous: write out what is buffered before leaving.
      const leave = setTimeout(() => process.exit(code), 1000);
      leave.unref();
      logger.flush(() => process.exit(code));
    };
    const closeSync = () => sync.close().then(exit, exit);
    if (running === undefined) {
      closeSync();
      return;
    }
    running.close().then(closeSync, closeSync);
  };
  installProcessHandlers(logger, shutdown);

  running = await startSidecar(config, {
    logger,
    keyRing,
    sync: sync.service,
    activity: sync.activity,
    ...(config.operatorToken === undefined
      ? {}
      : {
          metrics: operatorMetrics(
            config.operatorToken,
            siteQueueSource({ store: sync.store, circuitOpen: () => sync.worker.paused() !== undefined, siteId: () => config.siteId ?? SINGLE_SITE_STORE_ID }),
          ),
        }),
    onCatastrophic: (error: AppError) => {
      logger.fatal({ code: error.code }, 'catastrophic error, stopping');
      shutdown(1);
    },
  });
  sync.service.start();
  logger.info({ url: running.url, version: SIDECAR_VERSION }, 'igny8 sidecar listening');
}

main().catch((error: unknown) => {
  process.stderr.write(`igny8-sidecar: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
