/**
 * Block delimiters as WordPress's own serializer writes them (`@wordpress/blocks` `serializeBlock`): the attribute
 * JSON escapes `--`, `<`, `>`, `&` and `\"` so that the comment cannot close early and kses leaves it alone.
 */
export type BlockAttributes = Record<string, string | number | boolean>;

function serializeAttributes(attributes: BlockAttributes): string {
  return JSON.stringify(attributes)
    .replace(/--/g, '\\u002d\\u002d')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\\"/g, '\\u0022');
}

/** `core/paragraph` → `<!-- wp:paragraph -->\n…\n<!-- /wp:paragraph -->`. */
export function delimitBlock(name: string, attributes: BlockAttributes, html: string): string {
  const short = name.startsWith('core/') ? name.slice('core/'.length) : name;
  const attrs = Object.keys(attributes).length > 0 ? ` ${serializeAttributes(attributes)}` : '';
  return `<!-- wp:${short}${attrs} -->\n${html}\n<!-- /wp:${short} -->`;
}

/** Text for an HTML attribute value (double-quoted). */
export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
