import { describe, expect, it } from 'vitest';

import { htmlToBlocks } from '../../../src/mapping/blocks/convert.ts';
import { withoutBlockDelimiters } from '../../../src/mapping/blocks/delimiters.ts';

describe('stored content → HTML for IGNY8 (issue #13 §4)', () => {
  it('removes block delimiters (with attributes, self-closing, nested) and keeps the markup and other comments', () => {
    const stored = [
      '<!-- wp:heading {"level":3} -->\n<h3 class="wp-block-heading">Title</h3>\n<!-- /wp:heading -->',
      '<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>One <em>a</em></li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->',
      '<!-- wp:separator /-->',
      '<!-- a note -->',
    ].join('\n\n');
    expect(withoutBlockDelimiters(stored)).toBe('<h3 class="wp-block-heading">Title</h3>\n<ul>\n<li>One <em>a</em></li>\n</ul>\n<!-- a note -->');
  });

  it('turns what the block converter wrote back into the HTML IGNY8 sent (round trip of a simple article)', () => {
    const sent = '<h2>Intro</h2><p>Text with <a href="https://x.test/">a link</a>.</p><blockquote><p>Quote</p></blockquote>';
    const back = withoutBlockDelimiters(htmlToBlocks(sent, '6.1.9'));
    expect(back).not.toContain('wp:');
    expect(back).toContain('<p>Text with <a href="https://x.test/">a link</a>.</p>');
    expect(back).toContain('Quote');
  });

  it('leaves HTML without delimiters as it is', () => {
    expect(withoutBlockDelimiters('<p>plain</p>')).toBe('<p>plain</p>');
  });
});
