/**
 * The contract is the one dictionary (issue #10): meta keys, sync states and operation names are read from
 * plugin-php-shim/contract/igny8-contract.json, never typed again on the TypeScript side.
 *
 * - No meta key the contract registers appears as a literal (string or property name) in the sidecar or the editor,
 *   outside the contract modules (sidecar/src/contract/, editor-ui/src/common/contract.ts): code says
 *   `igny8Meta.content_id` or `seoMetaKeys('title')`.
 * - The same holds for the PHP shim: outside Contract.php, code says `Contract::meta_key( 'content_id' )`.
 * - No file re-lists the sync states (three or more of them in one list or union); their type is the contract's.
 * - The operation schemas of the protocol (protocol/messages.ts) name exactly the contract's proxy operations, and the
 *   internal client's operations exactly the internal ones: adding or renaming one in the contract fails here until
 *   the sidecar follows.
 */
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { contract, igny8Meta, syncStates } from '../../src/contract/contract.ts';
import { Operation } from '../../src/protocol/messages.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CONTRACT_MODULES = [/^sidecar\/src\/contract\//, /^editor-ui\/src\/common\/contract\.ts$/];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    return entry.isDirectory() ? sourceFiles(rel) : /\.tsx?$/.test(entry.name) ? [rel] : [];
  });
}

function phpFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    return entry.isDirectory() ? phpFiles(rel) : entry.name.endsWith('.php') ? [rel] : [];
  });
}

/** The code of a file without its comments (a doc comment may name a key; code may not). */
function code(file: string): string {
  return fs
    .readFileSync(path.join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const checked = [...sourceFiles('sidecar/src'), ...sourceFiles('editor-ui/src')].filter(
  (file) => !CONTRACT_MODULES.some((pattern) => pattern.test(file)),
);
const metaKeys = Object.keys(contract.meta.post);
/** Three or more quoted words in a row, separated by commas or `|`: a list or a union of literals. */
const LIST = /'[a-z_]+'(?:\s*[,|]\s*'[a-z_]+'){2,}/g;

describe('the contract is the one dictionary', () => {
  it('looks at real files, and the contract has what the check needs', () => {
    expect(checked.length).toBeGreaterThan(60);
    expect(metaKeys).toContain(igny8Meta.content_id);
    expect(syncStates).toContain('pending_manual');
  });

  it('no file outside the contract modules types a meta key', () => {
    const offenders = checked.flatMap((file) => {
      const source = code(file);
      return metaKeys.filter((key) => new RegExp(`(['"\`.]|\\b)${key}\\b`).test(source)).map((key) => `${file}: ${key}`);
    });
    expect(offenders).toEqual([]);
  });

  it('no PHP file outside Contract.php types a contract meta key (PHP says Contract::meta_key( role ))', () => {
    const php = phpFiles('plugin-php-shim/includes').filter((file) => !file.endsWith('/Contract.php'));
    expect(php.length).toBeGreaterThan(40);
    const offenders = php.flatMap((file) => {
      const source = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
      return metaKeys.filter((key) => source.includes(`'${key}'`) || source.includes(`"${key}"`)).map((key) => `${file}: ${key}`);
    });
    expect(offenders).toEqual([]);
  });

  it('no file outside the contract modules re-lists the sync states', () => {
    const offenders = checked.flatMap((file) =>
      (code(file).match(LIST) ?? []).filter((list) => syncStates.filter((state) => list.includes(`'${state}'`)).length >= 3).map((list) => `${file}: ${list}`),
    );
    expect(offenders).toEqual([]);
  });

  it('the protocol schemas name exactly the contract operations', () => {
    const proxy = Operation.options.map((option) => option.shape.op.value).sort();
    expect(proxy).toEqual([...contract.operations.proxy].sort());
    const internal = [...code('sidecar/src/adapters/wp-internal-client.ts').matchAll(/\{ op: '([a-z_]+)'/g)].map((m) => m[1]).sort();
    expect(internal).toEqual([...contract.operations.internal].sort());
  });

  it('the check would catch a typed key and a re-listed union', () => {
    const typed = "const key = '_igny8_content_id';";
    expect(metaKeys.filter((key) => new RegExp(`(['"\`.]|\\b)${key}\\b`).test(typed))).toEqual(['_igny8_content_id']);
    const union = "type S = 'never' | 'pending' | 'synced';";
    const lists = union.match(LIST) ?? [];
    expect(lists.some((list) => syncStates.filter((state) => list.includes(`'${state}'`)).length >= 3)).toBe(true);
  });
});
