/**
 * Process entry: `tsx src/server.ts`. Loads config (fails fast), starts the sidecar, and owns the process:
 * SIGTERM/SIGINT close gracefully; an uncaught error or a catastrophic AppError is logged and ends the process
 * (a supervisor restarts it; in-memory state is only caches).
 */
import { ConfigError, loadConfig, loadMultiSiteConfig, multiSiteRequested } from './config.ts';
import type { AppError } from './contract/errors.ts';
import { CredentialKeyMissingError } from './adapters/credential-reseal.ts';
import { isSharedStore } from './adapters/queue-store.ts';
import { StoreLockedError } from './adapters/sync-store.ts';
import { keyRingFromConfig, startSidecar, type RunningSidecar } from './http/listen.ts';
import { createLogger, type Logger } from './logger.ts';
import { createSync, SINGLE_SITE_STORE_ID, type SyncRuntime } from './sync/create-sync.ts';
import { operatorMetrics } from './http/metrics-route.ts';
import { siteQueueSource } from './metrics/queue-sources.ts';
import { SIDECAR_VERSION } from './version.ts';

/** The configuration, or the process ends with its problem on stderr (EX_CONFIG). */
function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`igny8-sidecar: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/**
 * The process's one shutdown: `close` runs once, then the buffered log is written out (the pino destination is
 * asynchronous) and the process exits with the first code asked for.
 */
function shutdownOnce(logger: Logger, close: () => Promise<unknown>): (code: number) => void {
  let stopping = false;
  return (code) => {
    if (stopping) {
      return;
    }
    stopping = true;
    const exit = () => {
      const leave = setTimeout(() => process.exit(code), 1000);
      leave.unref();
      logger.flush(() => process.exit(code));
    };
    close().then(exit, exit);
  };
}

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
  const config = configOrExit(loadMultiSiteConfig);
  const logger = createLogger({ level: config.logLevel });
  const { startMultiSite } = await import('./hosted/start.ts');
  let running: Awaited<ReturnType<typeof startMultiSite>> | undefined;
  const shutdown = shutdownOnce(logger, async () => running?.close());
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
  const config = configOrExit(loadConfig);
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
  // The server first (no new requests), then the sync, even when the server's close failed.
  const shutdown = shutdownOnce(logger, async () => {
    await running?.close().catch(() => undefined);
    await sync.close();
  });
  installProcessHandlers(logger, shutdown);

  running = await startSidecar(config, {
    logger,
    keyRing,
    sync: sync.service,
    activity: sync.activity,
    // Replicas on PostgreSQL share the seen jtis and the rate limits (adapters/pg-guards.ts); SQLite keeps them in memory.
    ...(isSharedStore(sync.store) ? sync.store.requestGuards(config.rateLimitPerMin) : {}),
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
  if (error instanceof CredentialKeyMissingError) {
    process.stderr.write(`igny8-sidecar: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`igny8-sidecar: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
