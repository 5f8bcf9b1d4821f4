/**
 * Raw body capture and JSON parsing. The body is read as bytes for every content type (the `bh` claim hashes
 * exactly those bytes), capped at `limits.max_body_bytes`, checked for nesting depth by scanning the bytes, and
 * only then parsed.
 */
import type { RequestHandler } from 'express';

import { limits } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';

const EMPTY = Buffer.alloc(0);

const tooLarge = () => new AppError('PAYLOAD_TOO_LARGE', 'Request body is larger than the contract allows.');

/**
 * Reads the request body into `res.locals.rawBody` (an empty buffer when there is none), at most `limit` bytes: 413
 * PAYLOAD_TOO_LARGE, from the Content-Length before any byte is read when it declares more. A Content-Encoding
 * other than identity is refused (400): the shim forwards bytes unchanged and never sets one, and inflated bytes
 * would not match its bh. Node's HTTP parser has already refused malformed framing (CL + TE, bad chunks). A plain
 * reader, not body-parser: it ran ~0.2 ms per shim exchange here (type checks, stream piping) for the same bytes.
 */
export function captureRawBody(limit: number = limits.max_body_bytes): RequestHandler {
  return (req, res, next) => {
    // A refused body is still read to its end (and dropped) before the answer, so the client, still sending, reads
    // the error instead of a reset connection.
    const refuse = (error: AppError) => {
      let answered = false;
      const answer = () => {
        if (!answered) {
          answered = true;
          next(error);
        }
      };
      if (req.complete || req.destroyed) {
        answer();
        return;
      }
      req.once('end', answer);
      req.once('close', answer);
      req.once('error', answer);
      req.resume();
    };
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      refuse(new AppError('BAD_REQUEST', 'A Content-Encoding is not accepted: send the body as it is.'));
      return;
    }
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] === undefined) {
      res.locals.rawBody = EMPTY;
      next();
      return;
    }
    if (declared !== undefined && Number(declared) > limit) {
      refuse(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: AppError) => {
      if (settled) {
        return;
      }
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      if (error !== undefined) {
        refuse(error);
        return;
      }
      res.locals.rawBody = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      next();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        settle(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle();
    const cutOff = () => settle(new AppError('BAD_REQUEST', 'The request body could not be read.'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', cutOff);
    req.once('close', () => {
      if (!req.complete) {
        cutOff();
      }
    });
  };
}

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * True when objects/arrays nest deeper than `maxDepth` (`[]` is depth 1; PHP json_decode's depth counts the
 * same way). Brackets inside strings do not count; escapes inside strings are honoured. UTF-8 continuation
 * bytes are all ≥ 0x80, so scanning bytes is safe.
 */
export function jsonNestingExceeds(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (byte === BACKSLASH) {
        escaped = true;
      } else if (byte === QUOTE) {
        inString = false;
      }
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > maxDepth) {
        return true;
      }
    } else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && depth > 0) {
      depth -= 1;
    }
  }
  return false;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const hasLoneSurrogate = (text: string): boolean => text.search(LONE_SURROGATE) !== -1;

/**
 * The path of the first string (key or value) holding an unpaired UTF-16 surrogate (`"\ud800"` is valid JSON
 * syntax), or undefined. Such a string cannot be sent on: PHP's json_decode refuses it, so a plan carrying it
 * would fail in the shim as a bad sidecar reply (5xx) instead of being refused here as bad input.
 */
export function findLoneSurrogate(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') {
    return hasLoneSurrogate(value) ? path : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findLoneSurrogate(value[i], path === '' ? String(i) : `${path}.${i}`);
      if (found !== undefined) {
        return found;
      }
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      // The path is echoed as `field`: it must not carry the surrogate on to PHP itself.
      const here = (path === '' ? key : `${path}.${key}`).replace(LONE_SURROGATE, '\uFFFD');
      if (hasLoneSurrogate(key)) {
        return here;
      }
      const found = findLoneSurrogate(item, here);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}

/** Parsed JSON, or undefined for an empty body. Throws JSON_TOO_DEEP or INVALID_JSON. */
export function parseJsonBody(raw: Uint8Array, maxDepth: number = limits.max_json_depth): unknown {
  if (raw.byteLength === 0) {
    return undefined;
  }
  if (jsonNestingExceeds(raw, maxDepth)) {
    throw new AppError('JSON_TOO_DEEP', `JSON nested deeper than ${maxDepth} levels.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(raw));
  } catch {
    throw new AppError('INVALID_JSON', 'Request body is not valid JSON.');
  }
  const lone = findLoneSurrogate(parsed);
  if (lone !== undefined) {
    throw new AppError('INVALID_JSON', 'Request body holds a string with an unpaired UTF-16 surrogate (\\uD800-\\uDFFF).', {
      field: lone === '' ? undefined : lone,
    });
  }
  return parsed;
}
