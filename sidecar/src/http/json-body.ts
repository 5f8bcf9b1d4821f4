/**
 * Raw body capture and JSON parsing. The body is read as bytes for every content type (the `bh` claim hashes
 * exactly those bytes), capped at `limits.max_body_bytes`, checked for nesting depth by scanning the bytes, and
 * only then parsed.
 */
import express, { type RequestHandler } from 'express';

import { limits } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';

export function captureRawBody(): RequestHandler[] {
  return [
    // inflate:false — the shim forwards bytes unchanged and never sets Content-Encoding; hashing inflated bytes
    // would not match its bh.
    express.raw({ type: () => true, limit: limits.max_body_bytes, inflate: false }),
    (req, res, next) => {
      res.locals.rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      next();
    },
  ];
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
