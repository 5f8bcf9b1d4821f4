import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import express, { type ErrorRequestHandler } from 'express';
import { describe, expect, it } from 'vitest';

import { AppError, toAppError } from '../../src/contract/errors.ts';
import { captureRawBody, jsonNestingExceeds, parseJsonBody } from '../../src/http/json-body.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
}

describe('JSON depth scan (before parsing)', () => {
  it('allows exactly the contract depth and refuses one more', () => {
    expect(jsonNestingExceeds(bytes(nested(32)), 32)).toBe(false);
    expect(jsonNestingExceeds(bytes(nested(33)), 32)).toBe(true);
    expect(jsonNestingExceeds(bytes(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`), 32)).toBe(true);
  });

  it('counts depth, not the total number of containers', () => {
    const wide = `[${Array.from({ length: 1000 }, () => '[{}]').join(',')}]`;
    expect(jsonNestingExceeds(bytes(wide), 3)).toBe(false);
  });

  it('ignores brackets inside strings, honouring escapes', () => {
    expect(jsonNestingExceeds(bytes(JSON.stringify({ a: '['.repeat(100) })), 32)).toBe(false);
    expect(jsonNestingExceeds(bytes(JSON.stringify({ a: `\\"${'{'.repeat(100)}` })), 32)).toBe(false);
    expect(jsonNestingExceeds(bytes(`["\\\\", ${nested(32)}]`), 32)).toBe(true);
    expect(jsonNestingExceeds(bytes(JSON.stringify({ a: 'Ünïcødé ["' })), 1)).toBe(false);
  });

  it('refuses deep input that is also invalid JSON as too deep (checked first)', () => {
    expect(codeOf(() => parseJsonBody(bytes('['.repeat(10_000))))).toBe('JSON_TOO_DEEP');
  });
});

describe('parseJsonBody', () => {
  it('returns undefined for an empty body and the value otherwise', () => {
    expect(parseJsonBody(new Uint8Array())).toBeUndefined();
    expect(parseJsonBody(bytes('{"content_id":42}'))).toEqual({ content_id: 42 });
  });

  it.each([
    ['truncated JSON', bytes('{"a":')],
    ['a form body', bytes('a=1&b=2')],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
    ['a BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('{}')])],
  ])('answers %s with INVALID_JSON', (_name, raw) => {
    expect(codeOf(() => parseJsonBody(raw))).toBe('INVALID_JSON');
  });

  it.each([
    ['a lone high surrogate in a value', '{"title":"a\\ud800b"}', 'title'],
    ['a lone low surrogate deep in a list', '{"tags":["ok","\\udc00"]}', 'tags.1'],
    ['a lone surrogate in a key', '{"x":{"\\ud83d":1}}', 'x.\ufffd'],
  ])('refuses %s (PHP could not decode it) with INVALID_JSON naming the field', (_name, text, field) => {
    let error: unknown;
    try {
      parseJsonBody(bytes(text));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'INVALID_JSON', field });
  });

  it('keeps paired surrogates (emoji) and other unicode', () => {
    expect(parseJsonBody(bytes('{"t":"\\ud83d\\ude00 \\u202e \\u0000 é"}'))).toEqual({ t: '\u{1F600} \u202e \u0000 é' });
  });
});

describe('captureRawBody (the bytes the bh claim hashes)', () => {
  const serve = async (limit: number) => {
    const app = express();
    app.use(captureRawBody(limit));
    app.use((_req, res) => {
      res.json({ bytes: (res.locals.rawBody as Buffer).toString('base64') });
    });
    app.use(((error, _req, res, _next) => {
      const appError = toAppError(error);
      res.status(appError.status).json({ code: appError.code });
    }) as ErrorRequestHandler);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/`,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  };

  it('reads the exact bytes, an empty buffer without a body, and chunked bodies', async () => {
    const s = await serve(64);
    try {
      const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x7d, 0x00, 0xff]);
      const sent = await fetch(s.url, { method: 'POST', body: bytes, headers: { 'Content-Type': 'text/plain' } });
      expect(Buffer.from(((await sent.json()) as { bytes: string }).bytes, 'base64').equals(bytes)).toBe(true);
      const none = await fetch(s.url);
      expect(await none.json()).toEqual({ bytes: '' });
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"a":'));
          controller.enqueue(new TextEncoder().encode('1}'));
          controller.close();
        },
      });
      const chunked = await fetch(s.url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
      expect(Buffer.from(((await chunked.json()) as { bytes: string }).bytes, 'base64').toString()).toBe('{"a":1}');
    } finally {
      await s.close();
    }
  });

  it('refuses more than the limit (declared or streamed) with 413 and any Content-Encoding with 400', async () => {
    const s = await serve(8);
    try {
      const declared = await fetch(s.url, { method: 'POST', body: '0123456789' });
      expect([declared.status, await declared.json()]).toEqual([413, { code: 'PAYLOAD_TOO_LARGE' }]);
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('01234'));
          controller.enqueue(new TextEncoder().encode('56789'));
          controller.close();
        },
      });
      const streamed = await fetch(s.url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
      expect([streamed.status, await streamed.json()]).toEqual([413, { code: 'PAYLOAD_TOO_LARGE' }]);
      const gzip = await fetch(s.url, { method: 'POST', body: 'x', headers: { 'Content-Encoding': 'gzip' } });
      expect([gzip.status, await gzip.json()]).toEqual([400, { code: 'BAD_REQUEST' }]);
      const exact = await fetch(s.url, { method: 'POST', body: '01234567' });
      expect(exact.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
