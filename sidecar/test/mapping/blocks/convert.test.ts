import { describe, expect, it } from 'vitest';

import { htmlToBlocks } from '../../../src/mapping/blocks/convert.ts';

const V61 = '6.1.9';
const V65 = '6.5.5';
const V66 = '6.6-RC3';

/** Block names in order, nested ones included (`core/list>core/list-item`). */
const names = (serialized: string): string[] =>
  [...serialized.matchAll(/<!-- wp:([a-z-]+(?:\/[a-z-]+)?)/g)].map((m) => (m[1]!.includes('/') ? m[1]! : `core/${m[1]}`));

describe('htmlToBlocks', () => {
  it('writes a paragraph with its inline markup inside', () => {
    const out = htmlToBlocks('<p>A <strong>b</strong> <em>c</em> <a href="https://e.test/?a=1&amp;b=2">d</a> <code>e</code><br>f<sup>2</sup><sub>3</sub></p>', V61);
    expect(out).toBe(
      '<!-- wp:paragraph -->\n<p>A <strong>b</strong> <em>c</em> <a href="https://e.test/?a=1&amp;b=2">d</a> <code>e</code><br>f<sup>2</sup><sub>3</sub></p>\n<!-- /wp:paragraph -->',
    );
  });

  it('writes headings with their level, and the wp-block-heading class from 6.2 on', () => {
    expect(htmlToBlocks('<h2>Two</h2>', V61)).toBe('<!-- wp:heading -->\n<h2>Two</h2>\n<!-- /wp:heading -->');
    expect(htmlToBlocks('<h3>Three</h3>', V61)).toBe('<!-- wp:heading {"level":3} -->\n<h3>Three</h3>\n<!-- /wp:heading -->');
    for (const v of [V65, V66]) {
      expect(htmlToBlocks('<h1>One</h1>', v)).toBe('<!-- wp:heading {"level":1} -->\n<h1 class="wp-block-heading">One</h1>\n<!-- /wp:heading -->');
    }
  });

  it('writes lists as core/list with core/list-item inner blocks, nested lists inside their item; wp-block-list only on 6.6', () => {
    const html = '<ul><li>one<ul><li>nested <b>x</b></li></ul></li><li>two</li></ul><ol start="3"><li><p>para item</p></li></ol>';
    const v61 = htmlToBlocks(html, V61);
    expect(names(v61)).toEqual(['core/list', 'core/list-item', 'core/list', 'core/list-item', 'core/list-item', 'core/list', 'core/list-item']);
    expect(v61).toContain('<li>one<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>nested <b>x</b></li>');
    expect(v61).toContain('<!-- wp:list {"ordered":true,"start":3} -->\n<ol start="3"><!-- wp:list-item -->\n<li>para item</li>');
    expect(htmlToBlocks(html, V65)).toBe(v61);
    const v66 = htmlToBlocks(html, V66);
    expect(v66).toContain('<ul class="wp-block-list"><!-- wp:list-item -->');
    expect(v66).toContain('<ol class="wp-block-list" start="3">');
  });

  it('writes a blockquote as core/quote with inner paragraphs and its citation', () => {
    expect(htmlToBlocks('<blockquote>Loose <em>text</em><cite>Ada</cite></blockquote>', V61)).toBe(
      '<!-- wp:quote -->\n<blockquote class="wp-block-quote"><!-- wp:paragraph -->\n<p>Loose <em>text</em></p>\n<!-- /wp:paragraph --><cite>Ada</cite></blockquote>\n<!-- /wp:quote -->',
    );
  });

  it('turns an imported body image (wp-image-N) into core/image with its id, alt, link and caption', () => {
    expect(htmlToBlocks('<figure><img class="wp-image-12 alignnone" src="http://site.test/a.png" alt="A &quot;cat&quot;"><figcaption>Cap <em>x</em></figcaption></figure>', V61)).toBe(
      '<!-- wp:image {"id":12} -->\n<figure class="wp-block-image"><img src="http://site.test/a.png" alt="A &quot;cat&quot;" class="wp-image-12"/><figcaption class="wp-element-caption">Cap <em>x</em></figcaption></figure>\n<!-- /wp:image -->',
    );
    expect(htmlToBlocks('<p><a href="https://e.test/"><img src="https://cdn.test/b.jpg"></a></p>', V66)).toBe(
      '<!-- wp:image {"linkDestination":"custom"} -->\n<figure class="wp-block-image"><a href="https://e.test/"><img src="https://cdn.test/b.jpg" alt=""/></a></figure>\n<!-- /wp:image -->',
    );
    // An image inside running text stays inline.
    expect(names(htmlToBlocks('<p>see <img src="https://cdn.test/c.png" alt=""> here</p>', V61))).toEqual(['core/paragraph']);
  });

  it('writes tables with head, body, foot and caption; spans only where the version keeps them', () => {
    const html = '<table><caption>T</caption><thead><tr><th scope="col">H</th><th>I</th></tr></thead><tr><td colspan="2">c</td></tr><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table>';
    expect(htmlToBlocks(html, V61)).toBe(
      '<!-- wp:table -->\n<figure class="wp-block-table"><table><thead><tr><th scope="col">H</th><th>I</th></tr></thead><tbody><tr><td>c</td></tr></tbody><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table><figcaption class="wp-element-caption">T</figcaption></figure>\n<!-- /wp:table -->',
    );
    expect(htmlToBlocks(html, V65)).toContain('<td colspan="2">c</td>');
  });

  it('writes pre>code as core/code (escaped like its save()) and other pre as core/preformatted', () => {
    expect(htmlToBlocks('<pre><code>a[0] &lt; b\nhttps://example.com/x</code></pre>', V61)).toBe(
      '<!-- wp:code -->\n<pre class="wp-block-code"><code>a&#91;0] &lt; b\nhttps:&#47;&#47;example.com/x</code></pre>\n<!-- /wp:code -->',
    );
    expect(htmlToBlocks('<pre>  keep\n  spacing</pre>', V61)).toBe(
      '<!-- wp:preformatted -->\n<pre class="wp-block-preformatted">  keep\n  spacing</pre>\n<!-- /wp:preformatted -->',
    );
  });

  it('writes hr as core/separator', () => {
    expect(htmlToBlocks('<hr>', V61)).toBe('<!-- wp:separator -->\n<hr class="wp-block-separator has-alpha-channel-opacity"/>\n<!-- /wp:separator -->');
  });

  it('turns a YouTube, Vimeo or X URL on its own line into core/embed, and leaves URLs in text alone', () => {
    const out = htmlToBlocks('Intro line\nhttps://www.youtube.com/watch?v=abc\n<p>https://vimeo.com/123</p><p><a href="https://x.com/a/status/1">https://x.com/a/status/1</a></p><p>see https://youtu.be/abc now</p>', V61);
    expect(names(out)).toEqual(['core/paragraph', 'core/embed', 'core/embed', 'core/embed', 'core/paragraph']);
    expect(out).toContain(
      '<!-- wp:embed {"url":"https://www.youtube.com/watch?v=abc","type":"video","providerNameSlug":"youtube","responsive":true} -->\n<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube"><div class="wp-block-embed__wrapper">\nhttps://www.youtube.com/watch?v=abc\n</div></figure>',
    );
    // X posts are stored as twitter.com, the host core's oEmbed knows (the 6.6 editor rewrites x.com itself).
    expect(out).toContain('<!-- wp:embed {"url":"https://twitter.com/a/status/1","type":"rich","providerNameSlug":"twitter","responsive":true} -->');
    expect(out).toContain('\nhttps://twitter.com/a/status/1\n');
    expect(out).toContain('<p>see https://youtu.be/abc now</p>');
    // Other hosts, and X URLs that are not a post, stay text.
    expect(names(htmlToBlocks('<p>https://example.com/video</p><p>https://x.com/home</p>', V61))).toEqual(['core/paragraph', 'core/paragraph']);
  });

  it('makes everything else core/html, never core/freeform, and unwraps plain wrappers', () => {
    const out = htmlToBlocks('<div><p>in div</p></div><div class="callout"><p>kept</p></div><dl><dt>t</dt></dl><iframe src="https://e.test"></iframe>loose', V61);
    expect(names(out)).toEqual(['core/paragraph', 'core/html', 'core/html', 'core/html', 'core/paragraph']);
    expect(out).toContain('<!-- wp:html -->\n<div class="callout"><p>kept</p></div>\n<!-- /wp:html -->');
    expect(out).not.toContain('wp:freeform');
  });

  it('drops script, style and comments, and keeps content that already has block delimiters', () => {
    expect(htmlToBlocks('<p>a</p><script>alert(1)</script><style>p{}</style><!-- note -->', V61)).toBe('<!-- wp:paragraph -->\n<p>a</p>\n<!-- /wp:paragraph -->');
    const blocks = '<!-- wp:paragraph -->\n<p>mine</p>\n<!-- /wp:paragraph -->';
    expect(htmlToBlocks(blocks, V66)).toBe(blocks);
  });

  it('escapes block attribute JSON as WordPress does, so the comment cannot close early', () => {
    const out = htmlToBlocks('<p>https://www.youtube.com/watch?v=a--b&amp;c=&lt;d&gt;</p>', V61);
    expect(out).toContain('"url":"https://www.youtube.com/watch?v=a\\u002d\\u002db\\u0026c=\\u003cd\\u003e"');
    expect(out.split('-->').length).toBe(3);
  });

  it('gives an empty or whitespace-only body no block at all', () => {
    expect(htmlToBlocks('  \n <p> </p> ', V61)).toBe('');
  });
});
