/**
 * Vitest global setup: a private PostgreSQL 15 for the store's tests (scripts/pg-runtime.sh: Debian's binaries,
 * loopback port, private data dir, never the system service), started once per run before the test files and
 * stopped after them when this run started it. Port: IGNY8_PG_PORT, else IGNY8_TEST_PORT_BASE + 95 (default 8995).
 * Test files read the URL with `inject('pgUrl')`.
 */
import { execFileSync } from 'node:child_process';

import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

const script = new URL('../../../scripts/pg-runtime.sh', import.meta.url).pathname;
const port = () => Number(process.env.IGNY8_PG_PORT ?? Number(process.env.IGNY8_TEST_PORT_BASE ?? 8900) + 95);
const env = () => ({ ...process.env, PG_PORT: String(port()) });

function running(): boolean {
  try {
    execFileSync('/usr/lib/postgresql/15/bin/pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(port())], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export default function setup(project: TestProject): () => void {
  const started = !running();
  execFileSync('bash', [script, 'start'], { env: env(), stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  project.provide('pgUrl', execFileSync('bash', [script, 'url'], { env: env(), encoding: 'utf8' }).trim());
  return () => {
    if (started) {
      execFileSync('bash', [script, 'stop'], { env: env(), stdio: 'ignore' });
    }
  };
}
