/**
 * The unified JSON envelope every IGNY8 caller sees (SPEC §4, architecture.md §5).
 */
import type { AppError } from './errors.ts';
import type { ErrorEnvelope, SuccessEnvelope } from '../protocol/messages.ts';

export function successEnvelope(requestId: string, data: unknown, message?: string): SuccessEnvelope {
  return message === undefined
    ? { success: true, data, request_id: requestId }
    : { success: true, data, message, request_id: requestId };
}

export function errorEnvelope(requestId: string, error: AppError): ErrorEnvelope {
  const envelope: ErrorEnvelope = {
    success: false,
    error: error.message,
    code: error.code,
    request_id: requestId,
  };
  if (error.field !== undefined) {
    envelope.field = error.field;
  }
  if (error.retryAfterSeconds !== undefined) {
    envelope.retry_after = error.retryAfterSeconds;
  }
  return { ...envelope, ...error.details };
}
