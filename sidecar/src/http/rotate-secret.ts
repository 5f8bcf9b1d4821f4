/**
 * `POST /_shim/rotate` (contract `sidecar_paths.rotate`, multi-site only): a hosted site replaces its signing secret.
 * The request is signed with the current secret (verified by the site's pipeline before this runs) and carries the
 * new one; the reply is signed with the current one too, so the shim switches only once it knows the sidecar did.
 * From then on only the new secret verifies (the site's runtime is reopened with it on its next request).
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';

import { successEnvelope } from '../contract/envelope.ts';
import { AppError } from '../contract/errors.ts';
import { decodeSecret, keyId } from '../protocol/keys.ts';
import { parseJsonBody } from './json-body.ts';
import { requireShim } from './locals.ts';
import type { ReplyWriter } from './signed-reply.ts';

const RotateBody = z.strictObject({ secret: z.string().min(1).max(100), key_id: z.string().regex(/^[0-9a-f]{16}$/) });

export function rotateSecretRoute(rotate: (keyId: string, secret: string) => Promise<boolean>, writeReply: ReplyWriter): RequestHandler {
  return async (_req, res) => {
    const { auth } = requireShim(res);
    const parsed = RotateBody.safeParse(parseJsonBody(res.locals.rawBody ?? Buffer.alloc(0)));
    let kid: string | undefined;
    try {
      kid = parsed.success ? keyId(decodeSecret(parsed.data.secret)) : undefined;
    } catch {
      kid = undefined;
    }
    if (!parsed.success || kid === undefined || kid !== parsed.data.key_id) {
      throw new AppError('BAD_REQUEST', 'The new secret must be 32 random bytes as base64url, sent with its key id.', { field: 'secret' });
    }
    if (kid === auth.keys.kid) {
      throw new AppError('BAD_REQUEST', 'The new secret is the current one.', { field: 'secret' });
    }
    if (!(await rotate(kid, parsed.data.secret.trim()))) {
      throw new AppError('SIDECAR_AUTH_MISMATCH', 'This site is no longer enrolled on the sidecar.');
    }
    await writeReply(res, { kind: 'respond', status: 200, body: successEnvelope(auth.requestId, { key_id: kid }) }, auth);
  };
}
