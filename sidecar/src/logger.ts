/**
 * pino logger with secret redaction. The code never logs bodies, headers, tokens or JWTs in the first place;
 * redaction is the second line of defence for anything that slips into a log object.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, at any of the first three nesting levels. */
export const SECRET_KEYS = [
  'authorization',
  'x-igny8-api-key',
  'x-igny8-signature',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'token',
  'access',
  'access_token',
  'refresh',
  'refresh_token',
  'jwt',
  'secret',
  'api_key',
  'apiKey',
  'key',
  'ctx',
  'body',
  'rawBody',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const joiner = segment.startsWith('[') ? '' : '.';
    paths.push(segment.startsWith('[') ? segment : key, `*${joiner}${segment}`, `*.*${joiner}${segment}`);
  }
  return paths;
}

export const REDACTED = '[redacted]';

/**
 * The same logger for lines whose every field is a scalar (string, number, boolean, undefined), such as the request
 * line: the top-level secret keys are still redacted, the deeper paths (`*.key`, `*.*.key`) are dropped because a
 * scalar has no nested key to match. Those wildcard paths make pino pass every value of a line, strings included,
 * through the redactor (~75 µs a line, once per request); for a scalar line the output is the same without them.
 */
export function scalarLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [...SECRET_KEYS].map((key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`)), censor: REDACTED } });
}

export function createLogger(options: { level?: LogLevel; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'igny8-sidecar',
      level: options.level ?? 'info',
      redact: { paths: redactPaths(), censor: REDACTED },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Test helper: a logger whose output is kept in memory, to grep for canary secrets. */
export interface LogCapture {
  logger: Logger;
  /** Everything written so far, one JSON line per entry. */
  text(): string;
  lines(): Array<Record<string, unknown>>;
}

export function createLogCapture(level: LogLevel = 'trace'): LogCapture {
  const chunks: string[] = [];
  const destination: DestinationStream = {
    write(chunk: string) {
      chunks.push(chunk);
    },
  };
  const logger = createLogger({ level, destination });
  return {
    logger,
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Returns the canaries that occur in `text` (raw, or base64/base64url/URL-encoded as they might be smuggled). */
export function findCanaries(text: string, canaries: readonly string[]): string[] {
  return canaries.filter((canary) => {
    const forms = [
      canary,
      encodeURIComponent(canary),
      Buffer.from(canary).toString('base64'),
      Buffer.from(canary).toString('base64url'),
      JSON.stringify(canary).slice(1, -1),
    ];
    return forms.some((form) => form.length >= 8 && text.includes(form));
  });
}
