/**
 * A private PostgreSQL 15 for the store's tests (scripts/pg-runtime.sh: Debian's binaries, loopback port, private
 * data dir, never the system service). Port: IGNY8_PG_PORT, else IGNY8_TEST_PORT_BASE + 95 (default 8995).
 */
import { execFileSync } from 'node:child_process';

const script = new URL('../../../scripts/pg-runtime.sh', import.meta.url).pathname;

export const pgPort = (): number => Number(process.env.IGNY8_PG_PORT ?? Number(process.env.IGNY8_TEST_PORT_BASE ?? 8900) + 95);

const env = () => ({ ...process.env, PG_PORT: String(pgPort()) });
const running = () => {
  try {
    execFileSync('/usr/lib/postgresql/15/bin/pg_isready', ['-q', '-h', '127.0.0.1', '-p', String(pgPort())], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Starts the server unless it runs already; `stop` stops it only if this call started it. */
export function startPostgres(): { url: string; stop: () => void } {
  const started = !running();
  execFileSync('bash', [script, 'start'], { env: env(), stdio: ['ignore', 'ignore', 'inherit'], timeout: 600_000 });
  const url = execFileSync('bash', [script, 'url'], { env: env(), encoding: 'utf8' }).trim();
  return { url, stop: () => (started ? void execFileSync('bash', [script, 'stop'], { env: env(), stdio: 'ignore' }) : undefined) };
}
