import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { contract } from '../src/contract/contract.ts';
import { loadConfig } from '../src/config.ts';
import { keyRingFromConfig, startSidecar } from '../src/http/listen.ts';
import { createSync } from '../src/sync/create-sync.ts';
import { createLogCapture } from '../src/logger.ts';
import { fetchTransport, runShimConversation } from './helpers/shim-client.ts';
import { newSecret, shimContext, TEST_SID } from './helpers/harness.ts';

const sidecarDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));

function runEntry(env: Record<string, string>, afterStart?: (child: ReturnType<typeof spawn>, output: () => string) => void) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(tsx, ['src/server.ts'], {
      cwd: sidecarDir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (afterStart !== undefined && output.includes('listening')) {
        afterStart(child, () => output);
        afterStart = undefined;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('startSidecar (real listen on 127.0.0.1:0)', () => {
  it('serves a signed conversation over real HTTP and closes gracefully', async () => {
    const secret = newSecret();
    const logs = createLogCapture();
    const dir = mkdtempSync(join(tmpdir(), 'igny8-server-'));
    const config = loadConfig({ IGNY8_SIDECAR_SECRET: secret, SIDECAR_PORT: '0', SIDECAR_DATA_DIR: dir });
    const sync = await createSync({ config, keyRing: keyRingFromConfig(config), logger: logs.logger });
    const running = await startSidecar(config, { logger: logs.logger, sync: sync.service });
    try {
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const result = await runShimConversation({
        transport: fetchTransport(running.url),
        secret,
        sid: TEST_SID,
        method: 'GET',
        route: '/igny8/v1/status',
        ctx: shimContext(),
        executeOp: () => ({}),
      });
      expect(result).toMatchObject({ status: 200, body: { success: true, data: { sidecar: { reachable: true } } } });
    } finally {
      await running.close();
      await sync.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(running.server.listening).toBe(false);
  });
});

describe('process entry (src/server.ts)', () => {
  it('fails fast with a clear message on bad configuration, never echoing the secret', async () => {
    const short = Buffer.alloc(16, 9).toString('base64url');
    const { code, output } = await runEntry({ IGNY8_SIDECAR_SECRET: short });
    expect(code).toBe(78);
    expect(output).toMatch(/invalid sidecar configuration/);
    expect(output).toMatch(/32 random bytes/);
    expect(output).not.toContain(short);
  });

  it('starts, answers /healthz, and exits 0 on SIGTERM', async () => {
    let health: unknown;
    const { code, output } = await runEntry(
      { IGNY8_SIDECAR_SECRET: newSecret(), SIDECAR_PORT: '0', LOG_LEVEL: 'info' },
      (child, current) => {
        const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(current())?.[1];
        const stop = setTimeout(() => child.kill('SIGKILL'), 10_000);
        stop.unref();
        void fetch(`${url}/healthz`)
          .then((res) => res.json())
          .then(
            (body: unknown) => {
              health = body;
            },
            () => undefined,
          )
          .finally(() => child.kill('SIGTERM'));
      },
    );
    expect(health).toEqual({ ok: true, version: '0.1.0', protocol: contract.protocol_version });
    expect(output).toMatch(/shutting down/);
    expect(code).toBe(0);
  }, 20_000);
});
