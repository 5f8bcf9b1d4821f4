/** Public entry of the sidecar package for other workspaces (e2e, simulator, scripts). */
export { createApp, type AppDeps } from './http/app.ts';
export { ConfigError, loadConfig, type Config } from './config.ts';
export { contract, type ErrorCode } from './contract/contract.ts';
export { AppError } from './contract/errors.ts';
export { closeGracefully, keyRingFromConfig, startSidecar, type RunningSidecar } from './http/listen.ts';
export { createLogCapture, createLogger, findCanaries, type LogCapture } from './logger.ts';
export { SIDECAR_VERSION } from './version.ts';
