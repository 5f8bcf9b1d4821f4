/**
 * The outbound HTTP the sidecar needs (IGNY8 and WordPress calls), on node:http / node:https.
 *
 * The global `fetch` would do, but loading it (undici) costs about 14 MiB of resident memory for the whole life of
 * a process that is mostly idle. This implements the subset of `fetch` the adapters use, with its signature, so
 * tests can still pass any `fetch`: method, string headers, a string body, `redirect: 'manual'` (never follows),
 * an AbortSignal; the reply's status, headers.get() and text(). https verifies certificates (Node's defaults).
 */
import http from 'node:http';
import https from 'node:https';

/** Largest reply body read (IGNY8 and WordPress replies are small JSON envelopes). */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

export const httpRequest: typeof fetch = (input, init) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      reject(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    // Plain objects only: the global Headers class would load undici too.
    const headers: Record<string, string> = {};
    const given = init?.headers;
    if (Array.isArray(given)) {
      for (const [name, value] of given as Array<[string, string]>) {
        headers[name.toLowerCase()] = value;
      }
    } else if (given !== undefined && typeof (given as { forEach?: unknown }).forEach === 'function') {
      (given as { forEach(cb: (value: string, name: string) => void): void }).forEach((value, name) => {
        headers[name.toLowerCase()] = value;
      });
    } else if (given !== undefined) {
      for (const [name, value] of Object.entries(given as Record<string, string>)) {
        headers[name.toLowerCase()] = value;
      }
    }
    const body = typeof init?.body === 'string' ? Buffer.from(init.body) : undefined;
    if (init?.body !== undefined && init.body !== null && body === undefined) {
      reject(new TypeError('only string bodies are supported'));
      return;
    }
    if (body !== undefined) {
      headers['content-length'] = String(body.byteLength);
    }
    const request = (url.protocol === 'https:' ? https : http).request(url, {
      method: init?.method ?? 'GET',
      headers,
      ...(signal === undefined ? {} : { signal }),
    });
    request.once('error', reject);
    request.once('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > MAX_REPLY_BYTES) {
          response.destroy(new Error('reply too large'));
          return;
        }
        chunks.push(chunk);
      });
      response.once('error', reject);
      response.once('end', () => {
        const raw = response.headers;
        const replyHeaders = {
          get: (name: string): string | null => {
            const value = raw[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value);
          },
          has: (name: string): boolean => raw[name.toLowerCase()] !== undefined,
        };
        const status = response.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        // A Response-shaped object: no undici. Only what the adapters read is real.
        resolve({
          status,
          ok: status >= 200 && status < 300,
          statusText: response.statusMessage ?? '',
          headers: replyHeaders,
          redirected: false,
          url: url.href,
          text: async () => text,
          json: async () => JSON.parse(text) as unknown,
          arrayBuffer: async () => new TextEncoder().encode(text).buffer,
        } as unknown as Response);
      });
    });
    request.end(body);
  });
