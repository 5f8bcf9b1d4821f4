import { describe, expect, it } from 'vitest';

import { contract } from '../../../src/contract/contract.ts';
import { bodyImageWarnings, collectBodyImages, rewriteBodyImages } from '../../../src/mapping/publish/body-images.ts';

const html =
  '<p>Intro <img src="https://cdn.test/a.png" alt="A &amp; b"></p>' +
  '<figure class="wp-caption"><img src="https://cdn.test/b.png?x=1&amp;y=2" alt="B" srcset="https://cdn.test/b-2x.png 2x"><figcaption>Caption <em>B</em></figcaption></figure>' +
  '<p><img src="/relative.png"><img src="data:image/png;base64,AAAA"><img src="https://cdn.test/a.png" alt="again"></p>';

describe('collectBodyImages', () => {
  it('returns the distinct absolute http(s) images in order, with alt and the figcaption text', () => {
    expect(collectBodyImages(html)).toEqual({
      images: [
        { url: 'https://cdn.test/a.png', alt: 'A & b' },
        { url: 'https://cdn.test/b.png?x=1&y=2', alt: 'B', caption: 'Caption B' },
      ],
      warnings: [],
    });
  });

  it('imports at most the contract cap and names every skipped image in one TOO_MANY_IMAGES warning', () => {
    const cap = contract.limits.max_body_images_per_request;
    const many = Array.from({ length: cap + 2 }, (_, i) => `<img src="https://cdn.test/${i}.png">`).join('');
    const { images, warnings } = collectBodyImages(many);
    expect(images).toHaveLength(cap);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'TOO_MANY_IMAGES', field: 'content_html', message: expect.stringContaining(`https://cdn.test/${cap}.png, https://cdn.test/${cap + 1}.png`) }),
    ]);
  });
});

describe('rewriteBodyImages', () => {
  const imported = [
    { url: 'https://cdn.test/a.png', attachment_id: 7, src: 'http://site.test/wp-content/uploads/a.png', reused: false },
    { url: 'https://cdn.test/b.png?x=1&y=2', warning: { code: 'IMAGE_FAILED', message: 'The image could not be fetched.' } },
  ];

  it('points imported images at the attachment with wp-image-{id}, keeps alt and captions, leaves failed ones remote', () => {
    const out = rewriteBodyImages(html, imported);
    expect(out).toContain('<p>Intro <img src="http://site.test/wp-content/uploads/a.png" alt="A &amp; b" class="wp-image-7"></p>');
    expect(out).toContain('<img src="http://site.test/wp-content/uploads/a.png" alt="again" class="wp-image-7">');
    expect(out).toContain('<img src="https://cdn.test/b.png?x=1&amp;y=2" alt="B" srcset="https://cdn.test/b-2x.png 2x"><figcaption>Caption <em>B</em></figcaption>');
    expect(out).not.toContain('https://cdn.test/a.png');
  });

  it('replaces an existing wp-image class, keeps the others, and drops srcset/sizes of a rewritten image', () => {
    const out = rewriteBodyImages('<img class="left wp-image-3" src="https://cdn.test/a.png" srcset="https://cdn.test/a-2x.png 2x" sizes="10px">', imported);
    expect(out).toBe('<img class="left wp-image-7" src="http://site.test/wp-content/uploads/a.png">');
  });

  it('in content with block delimiters only the src changes (the delimiters hold the block attributes)', () => {
    const blocks = '<!-- wp:image --><figure class="wp-block-image"><img src="https://cdn.test/a.png" alt=""/></figure><!-- /wp:image -->';
    expect(rewriteBodyImages(blocks, imported)).toBe(
      '<!-- wp:image --><figure class="wp-block-image"><img src="http://site.test/wp-content/uploads/a.png" alt=""></figure><!-- /wp:image -->',
    );
  });

  it('returns the input unchanged when nothing was imported', () => {
    const odd = '<p>unclosed <b>bold';
    expect(rewriteBodyImages(odd, [])).toBe(odd);
    expect(rewriteBodyImages(odd, imported)).toBe(odd);
  });
});

describe('bodyImageWarnings', () => {
  it('names the image that was not imported, with the generic reason', () => {
    expect(bodyImageWarnings([{ url: 'https://cdn.test/x.png', warning: { code: 'IMAGE_FAILED', message: 'The image could not be fetched.' } }])).toEqual([
      {
        code: 'IMAGE_FAILED',
        field: 'content_html',
        message: 'Image https://cdn.test/x.png was not imported and keeps its remote URL: The image could not be fetched.',
      },
    ]);
  });
});
