/**
 * SPEC §3 rule 1, kept by structure: while PHP waits on the sidecar, the sidecar must not call WordPress. The code
 * that answers the shim (http/, routes/, domain/) therefore never imports the WordPress client; only the
 * asynchronous sync machinery (sync/) does.
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

describe('request path', () => {
  const requestPath = ['http', 'routes', 'domain'].flatMap((dir) => sourceFiles(path.join(SRC, dir)));

  it('is not empty (the check looks at real files)', () => {
    expect(requestPath.length).toBeGreaterThan(10);
  });

  it.each(requestPath.map((file) => [path.relative(SRC, file), file]))('%s never imports the WordPress client', (_name, file) => {
    const imports = [...fs.readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((spec) => /wp-internal-client|\/sync\/(worker|reconciler|structure)\.ts$/.test(spec ?? ''))).toEqual([]);
  });
});
