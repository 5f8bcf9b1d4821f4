import { describe, expect, it } from 'vitest';

import { errorEnvelope, successEnvelope } from '../../src/contract/envelope.ts';
import { AppError } from '../../src/contract/errors.ts';

describe('envelope', () => {
  it('builds the success shape with an optional message', () => {
    expect(successEnvelope('r1', { a: 1 })).toEqual({ success: true, data: { a: 1 }, request_id: 'r1' });
    expect(successEnvelope('r1', null, 'Updated')).toEqual({ success: true, data: null, message: 'Updated', request_id: 'r1' });
  });

  it('builds the error shape with the contract status, field and retry hint', () => {
    const error = new AppError('VALIDATION_FAILED', 'title is required', { field: 'title' });
    expect(error.status).toBe(422);
    expect(errorEnvelope('r2', error)).toEqual({
      success: false,
      error: 'title is required',
      code: 'VALIDATION_FAILED',
      request_id: 'r2',
      field: 'title',
    });
    expect(errorEnvelope('r3', new AppError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 7 }))).toMatchObject({
      code: 'RATE_LIMITED',
      retry_after: 7,
    });
  });
});
