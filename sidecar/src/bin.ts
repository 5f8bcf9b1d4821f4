#!/usr/bin/env node
/** Entry of the `igny8-sidecar` bin (compiled into the release tarball by scripts/release.ts). */
import { runCli } from './cli.ts';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`igny8-sidecar: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
