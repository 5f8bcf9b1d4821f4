/**
 * The replica tests' real processes (sidecars, the simulator, nginx) and their private database: each process in its
 * own process group so the clean-up ends all of it, its output kept for the failure message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';

import pg from 'pg';

export const ROOT = new URL('../../../', import.meta.url).pathname;

export interface Proc {
  child: ChildProcess;
  output: string;
}

export class Processes {
  private readonly procs: Proc[] = [];

  start(command: string, args: string[], env: Record<string, string>, cwd = ROOT): Proc {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const proc: Proc = { child, output: '' };
    child.stdout?.on('data', (chunk: Buffer) => (proc.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (proc.output += chunk.toString()));
    this.procs.push(proc);
    return proc;
  }

  /** SIGKILL to every process group started here, then waits for the exits. */
  async stopAll(): Promise<void> {
    for (const { child } of this.procs) {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await Promise.all(this.procs.map(({ child }) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
  }
}

export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string, proc?: Proc): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${proc === undefined ? '' : `\n--- output ---\n${proc.output.slice(-3000)}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const ok = async (url: string): Promise<true | undefined> => ((await fetch(url)).ok ? true : undefined);

/** A database of its own on the suite's PostgreSQL (the other suites' rows stay theirs); `drop()` removes it. */
export async function privateDatabase(serverUrl: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
