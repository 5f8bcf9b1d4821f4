/** Public entry of the sidecar package for other workspaces (e2e, simulator, scripts). */
export { createApp, type AppDeps } from './app.ts';
export { ConfigError, loadConfig, type Config } from './config.ts';
export { contract, type ErrorCode } from './contract.ts';
export { AppError } from './errors.ts';
export { closeGracefully, keyRingFromConfig, startSidecar, type RunningSidecar } from './listen.ts';
export { createLogCapture, createLogger, findCanaries, type LogCapture } from './logger.ts';
export { SIDECAR_VERSION } from './version.ts';
