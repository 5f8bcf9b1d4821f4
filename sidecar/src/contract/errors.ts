/**
 * The one error type of the sidecar. Its `status` always comes from the contract's `error_codes`, so the shim and
 * the sidecar can never disagree about which HTTP status a code carries.
 */
import { statusForErrorCode, type ErrorCode } from './contract.ts';

export interface AppErrorOptions {
  /** Name of the offending input field, echoed as `field` in the envelope. */
  field?: string;
  /** A programming or environment error the process should not survive (see server.ts). */
  catastrophic?: boolean;
  /** Seconds for `Retry-After` (429 / 503). */
  retryAfterSeconds?: number;
  /** Extra, non-secret members merged into the error envelope (e.g. `sidecar_kid`). */
  details?: Record<string, string | number | boolean | readonly string[]>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field: string | undefined;
  readonly catastrophic: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Readonly<Record<string, string | number | boolean | readonly string[]>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusForErrorCode(code);
    this.field = options.field;
    this.catastrophic = options.catastrophic ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details ?? {};
  }
}

/** Errors raised by the router (a malformed path) carry `status`; map them to contract codes. */
interface HttpLibraryError {
  status?: unknown;
  statusCode?: unknown;
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) {
    return error;
  }
  if (typeof error === 'object' && error !== null) {
    const httpError = error as HttpLibraryError;
    const status = typeof httpError.status === 'number' ? httpError.status : httpError.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new AppError('BAD_REQUEST', 'Malformed request.', { cause: error });
    }
  }
  return new AppError('INTERNAL_ERROR', 'Internal sidecar error.', { cause: error });
}
