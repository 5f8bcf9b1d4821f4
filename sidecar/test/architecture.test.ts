/**
 * The layering, checked on the import graph (transitively, runtime imports only; `import type` is erased):
 *
 * - SPEC §3 rule 1: while PHP waits on the sidecar, the sidecar must not call WordPress. Nothing on the request path
 *   (contract/, protocol/, handlers/, mapping/, http/) may reach the WordPress client or the background sync machinery
 *   that uses it; only sync/ and server.ts do.
 * - mapping/ is pure: it reaches only mapping/, contract/ (and the contract file), the wire schemas of protocol/, zod
 *   and the HTML parser parse5 (through its lazy loader mapping/parse5.ts): no Node built-in, no other package, no I/O.
 */
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The runtime import specifiers of one file. */
function runtimeImports(file: string): string[] {
  const source = fs.readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1] ?? '');
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) {
    return undefined;
  }
  const target = path.resolve(path.dirname(from), spec);
  if (target.endsWith('.json')) {
    return target;
  }
  const base = target.replace(/\.(js|ts)$/, '');
  return fs.existsSync(`${base}.ts`) ? `${base}.ts` : undefined;
}

/** Every module `file` reaches at run time: local files plus bare package / node: specifiers. */
function reach(file: string, seen = new Set<string>(), leaves = new Set<string>()): Set<string> {
  for (const spec of runtimeImports(file)) {
    const local = resolveLocal(file, spec);
    const key = local ?? spec;
    if (!seen.has(key)) {
      seen.add(key);
      if (local !== undefined && local.endsWith('.ts') && !leaves.has(local)) {
        reach(local, seen, leaves);
      }
    }
  }
  return seen;
}

const rel = (file: string) => path.relative(SRC, file);
const filesIn = (...dirs: string[]) => dirs.flatMap((dir) => sourceFiles(path.join(SRC, dir)));

describe('request path', () => {
  const requestPath = filesIn('contract', 'protocol', 'handlers', 'mapping', 'http');
  const forbidden = /(adapters\/wp-internal-client|sync\/(worker|reconciler|structure|create-sync|site-state))\.ts$/;

  it('is not empty (the check looks at real files)', () => {
    expect(requestPath.length).toBeGreaterThan(30);
  });

  it('the check sees through an intermediate module (server.ts reaches the WordPress client via sync/)', () => {
    expect([...reach(path.join(SRC, 'server.ts'))].some((m) => forbidden.test(m))).toBe(true);
  });

  it.each(requestPath.map((file) => [rel(file), file]))('%s never reaches the WordPress client', (_name, file) => {
    expect([...reach(file)].filter((m) => forbidden.test(m)).map(rel)).toEqual([]);
  });
});

describe('mapping/ is pure', () => {
  // parse5 is loaded on first use (RSS at idle, issue #15) by mapping/parse5.ts, whose one runtime import is
  // node:module (createRequire); the purity walk treats that loader as parse5 itself.
  const loader = path.join(SRC, 'mapping/parse5.ts');

  it('the parse5 loader imports node:module and nothing else', () => {
    expect(runtimeImports(loader)).toEqual(['node:module']);
  });

  it.each(filesIn('mapping').filter((file) => file !== loader).map((file) => [rel(file), file]))('%s reaches only mapping/, contract/, protocol/, zod and parse5', (_name, file) => {
    const allowed = (m: string) =>
      /\/sidecar\/src\/(mapping|contract|protocol)\//.test(m) || m.endsWith('/contract/igny8-contract.json') || m === 'zod' || m === 'parse5';
    const outside = [...reach(file, new Set(), new Set([loader]))].filter((m) => !allowed(m));
    expect(outside).toEqual([]);
  });
});
