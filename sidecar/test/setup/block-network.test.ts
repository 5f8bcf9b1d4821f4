import net from 'node:net';

import { describe, expect, it } from 'vitest';

import { GUARD_MARK, guardConnect, isLoopbackTarget } from './block-network.ts';

describe('test network guard', () => {
  it('is installed on net.Socket for every test file', () => {
    expect(GUARD_MARK in (net.Socket.prototype.connect as object)).toBe(true);
  });

  it('refuses non-loopback targets before calling the real connect', () => {
    const calls: unknown[][] = [];
    const connect = guardConnect((...args: unknown[]) => calls.push(args));
    expect(() => connect({ host: '203.0.113.7', port: 443 })).toThrow(/blocked/);
    expect(() => connect([{ host: 'api.igny8.example', port: 443 }, () => undefined])).toThrow(/blocked/);
    expect(() => connect(80, 'example.org')).toThrow(/blocked/);
    expect(calls).toHaveLength(0);
  });

  it('lets loopback and unix sockets through', () => {
    const calls: unknown[][] = [];
    const connect = guardConnect((...args: unknown[]) => calls.push(args));
    connect({ host: '127.0.0.1', port: 8787 });
    connect([{ host: 'localhost', port: 8787 }, () => undefined]);
    connect({ host: '::1', port: 8787 });
    connect({ path: '/tmp/some.sock' });
    connect(8787);
    expect(calls).toHaveLength(5);
    expect(isLoopbackTarget('10.0.0.1')).toBe(false);
    expect(isLoopbackTarget('127.1.2.3')).toBe(true);
  });

  it('really blocks fetch to a remote host, before any DNS lookup', async () => {
    const failure = await fetch('http://igny8-network-guard.invalid/').then(
      () => undefined,
      (error: unknown) => error as Error & { cause?: Error },
    );
    // A DNS failure (ENOTFOUND) here would mean the guard did not run.
    expect(failure?.cause?.message).toMatch(/test network guard/);
  });
});
