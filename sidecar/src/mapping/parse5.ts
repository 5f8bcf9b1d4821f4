/**
 * parse5, loaded on first use. Only a publish (HTML → blocks, body images) parses HTML; an idle sidecar never
 * does, and the parser's code cost the idle process about 6 MiB of RSS (issue #15: idle ≤ 70 MiB from the release
 * build). parse5 7 ships CommonJS beside ESM, so a synchronous require keeps the mapping code synchronous.
 */
import { createRequire } from 'node:module';

import type * as Parse5 from 'parse5';

let loaded: typeof Parse5 | undefined;

export function parse5(): typeof Parse5 {
  loaded ??= createRequire(import.meta.url)('parse5') as typeof Parse5;
  return loaded;
}
