/**
 * Stored post content → plain HTML for IGNY8, which sent HTML (issue #13 §4 content update sync): the block
 * delimiters (`<!-- wp:name {...} -->`, `<!-- /wp:name -->`) are removed, the markup between them is kept as it is.
 * Pure, over the parse5 tree (no regular expressions over HTML).
 */
import type { DefaultTreeAdapterMap } from 'parse5';

import { parse5 } from '../parse5.ts';

type ParentNode = DefaultTreeAdapterMap['parentNode'];
type ChildNode = DefaultTreeAdapterMap['childNode'];

const isDelimiter = (node: ChildNode): boolean => node.nodeName === '#comment' && /^\s*\/?wp:/.test((node as DefaultTreeAdapterMap['commentNode']).data);
const isBlankText = (node: ChildNode): boolean => node.nodeName === '#text' && (node as DefaultTreeAdapterMap['textNode']).value.trim() === '';

function strip(parent: ParentNode): void {
  parent.childNodes = parent.childNodes.filter((node) => !isDelimiter(node));
  for (const node of parent.childNodes) {
    if ('childNodes' in node) {
      strip(node);
    }
    if ('content' in node && node.content !== undefined) {
      strip(node.content);
    }
  }
}

export function withoutBlockDelimiters(content: string): string {
  const fragment = parse5().parseFragment(content);
  strip(fragment);
  // The blank lines that separated blocks become one line break between top-level elements.
  fragment.childNodes = fragment.childNodes.filter(
    (node, index, all) => !isBlankText(node) || (index > 0 && index < all.length - 1 && !isBlankText(all[index - 1] as ChildNode)),
  );
  for (const node of fragment.childNodes) {
    if (isBlankText(node)) {
      (node as DefaultTreeAdapterMap['textNode']).value = '\n';
    }
  }
  return parse5().serialize(fragment).trim();
}
