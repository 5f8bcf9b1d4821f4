/**
 * Vitest setup: outbound network is blocked for every test file, except loopback (the sidecar under test, local
 * fixtures). A blocked connect throws before any packet or DNS query leaves the machine.
 */
import net from 'node:net';

export const GUARD_MARK = Symbol.for('igny8.test.network-guard');

export function isLoopbackTarget(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}

type Connect = (...args: unknown[]) => unknown;

/** Where a `Socket#connect` call goes: a unix path (always local) or a host. */
export function connectTarget(args: unknown[]): { path: string } | { host: string; port: unknown } {
  // net.connect() passes its normalized arguments as an array: [options, callback].
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { path?: unknown; host?: unknown; port?: unknown };
    if (typeof options.path === 'string') {
      return { path: options.path };
    }
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: options.port };
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) {
    return { path: first };
  }
  return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
}

export function guardConnect(original: Connect): Connect {
  const guarded = function (this: unknown, ...args: unknown[]) {
    const target = connectTarget(args);
    if ('host' in target && !isLoopbackTarget(target.host)) {
      throw new Error(`test network guard: outbound connection to ${target.host}:${String(target.port)} blocked`);
    }
    return original.apply(this, args);
  };
  Object.defineProperty(guarded, GUARD_MARK, { value: true });
  return guarded;
}

const proto = net.Socket.prototype as unknown as { connect: Connect };
if (!(GUARD_MARK in proto.connect)) {
  proto.connect = guardConnect(proto.connect);
}
