/**
 * Writes a sidecar reply: the JSON text is built once, hashed, signed, and exactly those bytes are sent.
 */
import type { Response } from 'express';

import { jwtParams } from '../contract/contract.ts';
import type { SidecarReply } from '../protocol/messages.ts';
import { signSidecarReply, type Clock } from '../protocol/shim-requests.ts';
import type { ShimAuth } from './locals.ts';

export type ReplyWriter = (res: Response, reply: SidecarReply, auth: ShimAuth) => Promise<void>;

export function createReplyWriter(clock: Clock): ReplyWriter {
  return async (res, reply, auth) => {
    const bytes = Buffer.from(JSON.stringify(reply), 'utf8');
    const token = await signSidecarReply({
      keys: auth.keys,
      sid: auth.sid,
      requestJti: auth.jti,
      body: bytes,
      nowSec: Math.floor(clock() / 1000),
    });
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', String(bytes.byteLength));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader(jwtParams.header, token);
    res.end(bytes);
  };
}
