/**
 * What the HTTP layer learns about a request, kept on `res.locals` (typed here).
 */
import type { SiteKeys } from '../protocol/keys.ts';
import type { ShimContext } from '../protocol/messages.ts';
import { AppError } from '../contract/errors.ts';
import type { Response } from 'express';

/** Set once the shim's JWT verified: from then on every reply is signed. */
export interface ShimAuth {
  sid: string;
  /** jti of the request; the reply's `req` claim. */
  jti: string;
  /** Keys of the kid the shim used; the reply is signed with the same secret. */
  keys: SiteKeys;
  requestId: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      rawBody?: Buffer;
      shimAuth?: ShimAuth;
      shimContext?: ShimContext;
      /** request_id for the log line and error envelopes. */
      requestId?: string;
      routeId?: string;
      /** When the sidecar received this request (clock ms). */
      receivedAt?: number;
      /** When the conversation's first exchange arrived (from the signed continue state), for the activity log. */
      conversationStartedAt?: number;
      /** The content id the first exchange's body named (activity log). */
      activityContentId?: string;
    }
  }
}

export function requireShim(res: Response): { auth: ShimAuth; ctx: ShimContext } {
  const { shimAuth, shimContext } = res.locals;
  if (shimAuth === undefined || shimContext === undefined) {
    throw new AppError('INTERNAL_ERROR', 'Shim route reached without authentication.', { catastrophic: true });
  }
  return { auth: shimAuth, ctx: shimContext };
}
