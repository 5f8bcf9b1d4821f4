/**
 * Contract route paths are WordPress route regexes with PCRE named groups: `/post-status/(?P<content_id>[^/]+)`.
 * WordPress matches them as `@^{route}$@i` against the untrailingslashed route; the sidecar matches the same
 * regex, case-insensitively, with an optional trailing slash (the shim may forward either form).
 */
import { restRoutePrefix } from '../contract/contract.ts';

/** PCRE constructs with no JavaScript equivalent: back-references by name, atomic groups, inline flags, \A \Z. */
const PCRE_ONLY = /\(\?P[=>]|\(\?>|\(\?'|\\[AZzG]|\(\?[a-zA-Z-]+\)|[+*?}]\+/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function convertPcrePattern(path: string): string {
  if (PCRE_ONLY.test(path)) {
    throw new Error(`contract route ${path} uses PCRE syntax the sidecar does not translate`);
  }
  return path.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>');
}

export function compileRoutePattern(path: string, prefix: string = restRoutePrefix): RegExp {
  const source = `^${escapeRegExp(prefix)}${convertPcrePattern(path).replace(/\/$/, '')}/?$`;
  return new RegExp(source, 'i');
}
