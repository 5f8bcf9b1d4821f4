/**
 * `content_html` → serialized native blocks, so a published post opens in the block editor as real blocks and
 * never as one Classic (`core/freeform`) block. Pure: the HTML is parsed with parse5, walked, and each element is
 * written the way the site's WordPress version's block `save()` writes it (see `markup.ts`), so every block
 * validates. What has no native block becomes `core/html`. Content that already carries block delimiters is kept.
 */
import type { DefaultTreeAdapterMap } from 'parse5';

import { parse5 } from '../parse5.ts';
import { blockMarkup, type BlockMarkup } from './markup.ts';
import { delimitBlock, escapeAttribute, type BlockAttributes } from './serialize.ts';

type Node = DefaultTreeAdapterMap['node'];
type ChildNode = DefaultTreeAdapterMap['childNode'];
type Element = DefaultTreeAdapterMap['element'];
type TextNode = DefaultTreeAdapterMap['textNode'];

/** Phrasing content that stays inside the block around it. */
const INLINE = new Set([
  'a', 'abbr', 'b', 'bdi', 'bdo', 'br', 'cite', 'code', 'data', 'del', 'dfn', 'em', 'i', 'img', 'ins', 'kbd', 'mark',
  'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'wbr',
]);
/** Wrappers without meaning of their own: their children are converted in their place. */
const TRANSPARENT = new Set(['div', 'section', 'article', 'main']);
/** Never content: removed before kses, which would keep their text. */
const DROPPED = new Set(['script', 'style', 'noscript', 'template']);

const isElement = (node: Node): node is Element => 'tagName' in node;
const isText = (node: Node): node is TextNode => node.nodeName === '#text';
const isBlank = (node: Node): boolean => node.nodeName === '#comment' || (isText(node) && node.value.trim() === '');
const isInline = (node: Node): boolean => isText(node) || (isElement(node) && INLINE.has(node.tagName));
const attr = (el: Element, name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;
const children = (el: Element): ChildNode[] =>
  el.tagName === 'template' ? [] : el.childNodes.filter((n) => !(isElement(n) && DROPPED.has(n.tagName)));

/** The HTML of a run of sibling nodes (parse5 escapes text and attributes). */
function html(nodes: ChildNode[]): string {
  const fragment: DefaultTreeAdapterMap['documentFragment'] = { nodeName: '#document-fragment', childNodes: nodes };
  return parse5().serialize(fragment);
}

function textOf(node: Node): string {
  if (isText(node)) return node.value;
  return isElement(node) ? children(node).map(textOf).join('') : '';
}

interface EmbedProvider {
  slug: string;
  type: 'video' | 'rich';
  hosts: string[];
  path?: RegExp;
}

const EMBED_PROVIDERS: EmbedProvider[] = [
  { slug: 'youtube', type: 'video', hosts: ['youtube.com', 'www.youtube.com', 'm.youtube.com', 'youtu.be'] },
  { slug: 'vimeo', type: 'video', hosts: ['vimeo.com', 'www.vimeo.com', 'player.vimeo.com'] },
  { slug: 'twitter', type: 'rich', hosts: ['twitter.com', 'www.twitter.com', 'mobile.twitter.com', 'x.com', 'www.x.com'], path: /^\/[^/]+\/status\/\d+/ },
];

function embedProvider(text: string): { url: string; provider: EmbedProvider } | undefined {
  const candidate = text.trim();
  if (candidate === '' || /\s/.test(candidate)) return undefined;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const provider = EMBED_PROVIDERS.find((p) => p.hosts.includes(url.hostname.toLowerCase()) && (!p.path || p.path.test(url.pathname)));
  return provider && url.pathname.length > 1 ? { url: candidate, provider } : undefined;
}

/** An embed URL standing alone: bare text, or a link whose text is its own URL. */
function soleEmbed(nodes: ChildNode[]): { url: string; provider: EmbedProvider } | undefined {
  const meaningful = nodes.filter((n) => !isBlank(n));
  if (meaningful.length !== 1) return undefined;
  const [node] = meaningful;
  if (node === undefined) return undefined;
  if (isText(node)) return embedProvider(node.value);
  if (isElement(node) && node.tagName === 'a') {
    const found = embedProvider(textOf(node));
    return found && attr(node, 'href')?.trim() === found.url ? found : undefined;
  }
  return undefined;
}

/** One image standing alone (optionally inside a link): a `core/image`, not a paragraph. */
function soleImage(nodes: ChildNode[]): { img: Element; link?: Element } | undefined {
  const meaningful = nodes.filter((n) => !isBlank(n) && !(isElement(n) && n.tagName === 'br'));
  if (meaningful.length !== 1) return undefined;
  const [node] = meaningful;
  if (node === undefined || !isElement(node)) return undefined;
  if (node.tagName === 'img') return { img: node };
  if (node.tagName === 'a') {
    const inner = children(node).filter((n) => !isBlank(n));
    const [img] = inner;
    if (inner.length === 1 && img && isElement(img) && img.tagName === 'img') return { img, link: node };
  }
  return undefined;
}

class Converter {
  private readonly markup: BlockMarkup;

  constructor(markup: BlockMarkup) {
    this.markup = markup;
  }

  /** Sibling nodes in a block context → serialized blocks. */
  blocks(nodes: ChildNode[]): string[] {
    const out: string[] = [];
    let run: ChildNode[] = [];
    const flush = (): void => {
      out.push(...this.inlineRun(run));
      run = [];
    };
    for (const node of nodes) {
      if (node.nodeName === '#comment' || (isElement(node) && DROPPED.has(node.tagName))) continue;
      if (isInline(node)) {
        run.push(node);
        continue;
      }
      flush();
      if (isElement(node)) out.push(...this.element(node));
    }
    flush();
    return out;
  }

  /**
   * Loose phrasing content between blocks: paragraphs, split at every embed URL that stands on its own line and at
   * a lone image.
   */
  private inlineRun(nodes: ChildNode[]): string[] {
    const out: string[] = [];
    let current: ChildNode[] = [];
    const flush = (): void => {
      if (current.some((n) => !isBlank(n))) out.push(this.paragraphLike(current));
      current = [];
    };
    nodes.forEach((node, index) => {
      if (!isText(node) || !node.value.includes('\n')) {
        current.push(node);
        return;
      }
      const lines = node.value.split('\n');
      lines.forEach((line, i) => {
        const startsLine = i > 0 || current.every(isBlank);
        const endsLine = i < lines.length - 1 || index === nodes.length - 1;
        const embed = startsLine && endsLine ? embedProvider(line) : undefined;
        if (embed) {
          flush();
          out.push(this.embed(embed.url, embed.provider));
        } else if (line !== '') {
          current.push({ ...node, value: i < lines.length - 1 ? `${line}\n` : line });
        }
      });
    });
    flush();
    return out;
  }

  /** Inline content of a `<p>` or of loose text: an embed, an image, or a paragraph. */
  private paragraphLike(nodes: ChildNode[]): string {
    const embed = soleEmbed(nodes);
    if (embed) return this.embed(embed.url, embed.provider);
    const image = soleImage(nodes);
    if (image) return this.image(image.img, image.link, undefined);
    return delimitBlock('core/paragraph', {}, `<p>${html(nodes).trim()}</p>`);
  }

  private element(el: Element): string[] {
    const tag = el.tagName;
    if (/^h[1-6]$/.test(tag)) return [this.heading(el)];
    if (TRANSPARENT.has(tag) && el.attrs.length === 0) return this.blocks(children(el));
    switch (tag) {
      case 'p':
        return children(el).some((n) => !isBlank(n)) ? [this.paragraphLike(children(el))] : [];
      case 'ul':
      case 'ol':
        return [this.list(el)];
      case 'blockquote':
        return [this.quote(el)];
      case 'figure':
        return [this.figure(el)];
      case 'table':
        return [this.table(el, undefined)];
      case 'pre':
        return [this.pre(el)];
      case 'hr':
        return [delimitBlock('core/separator', {}, '<hr class="wp-block-separator has-alpha-channel-opacity"/>')];
      default:
        return [this.rawHtml(el)];
    }
  }

  private rawHtml(el: Element): string {
    return delimitBlock('core/html', {}, parse5().serializeOuter(el));
  }

  private heading(el: Element): string {
    const level = Number(el.tagName.slice(1));
    const cls = this.markup.headingClass ? ' class="wp-block-heading"' : '';
    return delimitBlock('core/heading', level === 2 ? {} : { level }, `<${el.tagName}${cls}>${html(children(el)).trim()}</${el.tagName}>`);
  }

  private list(el: Element): string {
    const ordered = el.tagName === 'ol';
    const attributes: BlockAttributes = ordered ? { ordered: true } : {};
    const start = ordered ? Number.parseInt(attr(el, 'start') ?? '', 10) : Number.NaN;
    if (Number.isInteger(start)) attributes.start = start;
    const items = children(el).filter((n): n is Element => isElement(n) && n.tagName === 'li').map((li) => this.listItem(li));
    const cls = this.markup.listClass ? ' class="wp-block-list"' : '';
    const startAttr = attributes.start === undefined ? '' : ` start="${attributes.start}"`;
    return delimitBlock('core/list', attributes, `<${el.tagName}${cls}${startAttr}>${items.join('\n\n')}</${el.tagName}>`);
  }

  /** `<li>` text stays its RichText content; nested lists become inner `core/list` blocks after it. */
  private listItem(li: Element): string {
    const content: ChildNode[] = [];
    const nested: string[] = [];
    for (const node of children(li)) {
      if (isElement(node) && (node.tagName === 'ul' || node.tagName === 'ol')) {
        nested.push(this.list(node));
      } else if (isElement(node) && node.tagName === 'p') {
        // A paragraph inside an item is a line of its text.
        if (content.some((n) => !isBlank(n))) content.push(brElement());
        content.push(...children(node));
      } else {
        content.push(node);
      }
    }
    return delimitBlock('core/list-item', {}, `<li>${html(content).trim()}${nested.join('\n\n')}</li>`);
  }

  private quote(el: Element): string {
    const inner = children(el);
    const cite = inner.find((n): n is Element => isElement(n) && n.tagName === 'cite');
    const blocks = this.blocks(inner.filter((n) => n !== cite));
    const citation = cite ? html(children(cite)).trim() : '';
    return delimitBlock('core/quote', {}, `<blockquote class="wp-block-quote">${blocks.join('\n\n')}${citation ? `<cite>${citation}</cite>` : ''}</blockquote>`);
  }

  private figure(el: Element): string {
    const inner = children(el);
    const caption = inner.find((n): n is Element => isElement(n) && n.tagName === 'figcaption');
    const rest = inner.filter((n) => n !== caption);
    const image = soleImage(rest);
    if (image) return this.image(image.img, image.link, caption);
    const tables = rest.filter((n) => !isBlank(n));
    const [table] = tables;
    if (tables.length === 1 && table && isElement(table) && table.tagName === 'table') return this.table(table, caption);
    return this.rawHtml(el);
  }

  private caption(caption: Element | undefined): string {
    const content = caption ? html(children(caption)).trim() : '';
    return content ? `<figcaption class="wp-element-caption">${content}</figcaption>` : '';
  }

  /** `core/image`: the `wp-image-{id}` class (set by the body-image import) becomes the block's `id`. */
  private image(img: Element, link: Element | undefined, caption: Element | undefined): string {
    const src = attr(img, 'src') ?? '';
    const alt = attr(img, 'alt') ?? '';
    const title = attr(img, 'title');
    const idClass = (attr(img, 'class') ?? '').split(/\s+/).map((c) => /^wp-image-(\d+)$/.exec(c)).find((m) => m !== null);
    const id = idClass ? Number(idClass[1]) : undefined;
    const attributes: BlockAttributes = {};
    if (id !== undefined) attributes.id = id;
    const href = link ? attr(link, 'href') : undefined;
    if (href !== undefined) attributes.linkDestination = 'custom';
    let tag = `<img src="${escapeAttribute(src)}" alt="${escapeAttribute(alt)}"`;
    if (id !== undefined) tag += ` class="wp-image-${id}"`;
    if (title !== undefined) tag += ` title="${escapeAttribute(title)}"`;
    tag += '/>';
    if (href !== undefined) tag = `<a href="${escapeAttribute(href)}">${tag}</a>`;
    return delimitBlock('core/image', attributes, `<figure class="wp-block-image">${tag}${this.caption(caption)}</figure>`);
  }

  private table(table: Element, figcaption: Element | undefined): string {
    const sections: Record<'thead' | 'tbody' | 'tfoot', string[]> = { thead: [], tbody: [], tfoot: [] };
    let caption = figcaption;
    const addRow = (section: keyof typeof sections, tr: Element): void => {
      const cells = children(tr).filter((n): n is Element => isElement(n) && (n.tagName === 'td' || n.tagName === 'th'));
      sections[section].push(`<tr>${cells.map((cell) => this.cell(cell)).join('')}</tr>`);
    };
    for (const node of children(table)) {
      if (!isElement(node)) continue;
      if (node.tagName === 'caption' && caption === undefined) caption = node;
      if (node.tagName === 'tr') addRow('tbody', node);
      if (node.tagName === 'thead' || node.tagName === 'tbody' || node.tagName === 'tfoot') {
        for (const tr of children(node)) {
          if (isElement(tr) && tr.tagName === 'tr') addRow(node.tagName, tr);
        }
      }
    }
    const body = (['thead', 'tbody', 'tfoot'] as const)
      .filter((s) => sections[s].length > 0)
      .map((s) => `<${s}>${sections[s].join('')}</${s}>`)
      .join('');
    if (body === '') return this.rawHtml(table);
    return delimitBlock('core/table', {}, `<figure class="wp-block-table"><table>${body}</table>${this.caption(caption)}</figure>`);
  }

  private cell(cell: Element): string {
    let attrs = '';
    const scope = attr(cell, 'scope');
    if (cell.tagName === 'th' && scope !== undefined) attrs += ` scope="${escapeAttribute(scope)}"`;
    if (this.markup.tableSpans) {
      for (const span of ['colspan', 'rowspan']) {
        const value = attr(cell, span);
        if (value !== undefined && /^\d+$/.test(value)) attrs += ` ${span}="${value}"`;
      }
    }
    return `<${cell.tagName}${attrs}>${html(children(cell)).trim()}</${cell.tagName}>`;
  }

  /** `pre > code` → `core/code` (escaped as its `save()` does), any other `pre` → `core/preformatted`. */
  private pre(pre: Element): string {
    const inner = children(pre).filter((n) => !isBlank(n));
    const [code] = inner;
    if (inner.length === 1 && code && isElement(code) && code.tagName === 'code') {
      return delimitBlock('core/code', {}, `<pre class="wp-block-code"><code>${escapeCode(html(children(code)))}</code></pre>`);
    }
    return delimitBlock('core/preformatted', {}, `<pre class="wp-block-preformatted">${html(children(pre))}</pre>`);
  }

  private embed(sentUrl: string, provider: EmbedProvider): string {
    const url = twitterHost(sentUrl);
    const attributes: BlockAttributes = { url, type: provider.type, providerNameSlug: provider.slug, responsive: true };
    const cls = `wp-block-embed is-type-${provider.type} is-provider-${provider.slug} wp-block-embed-${provider.slug}`;
    return delimitBlock('core/embed', attributes, `<figure class="${cls}"><div class="wp-block-embed__wrapper">\n${escapeAttribute(url)}\n</div></figure>`);
  }
}

/**
 * core's oEmbed knows X posts only as twitter.com (6.1–6.6), and the 6.6 editor rewrites an x.com embed it cannot
 * preview to twitter.com, which leaves the post modified on open. Store the URL the way both end up.
 */
function twitterHost(url: string): string {
  const parsed = new URL(url);
  if (parsed.hostname !== 'x.com' && parsed.hostname !== 'www.x.com') return url;
  parsed.hostname = 'twitter.com';
  return parsed.toString();
}

function brElement(): Element {
  return { nodeName: 'br', tagName: 'br', attrs: [], namespaceURI: 'http://www.w3.org/1999/xhtml' as Element['namespaceURI'], childNodes: [], parentNode: null };
}

/** The code block's `save()` escape: `[` (no shortcodes) and the `//` of a URL alone on a line (no auto-embed). */
function escapeCode(content: string): string {
  return content.replaceAll('[', '&#91;').replace(/^(\s*https?:)\/\/([^\s<>"]+\s*)$/m, '$1&#47;&#47;$2');
}

/** Whether the HTML already carries block delimiters (then it is stored as sent). */
export function hasBlocks(html: string): boolean {
  return html.includes('<!-- wp:');
}

export function htmlToBlocks(content: string, wpVersion: string): string {
  if (hasBlocks(content)) return content;
  const fragment = parse5().parseFragment(content);
  return new Converter(blockMarkup(wpVersion)).blocks(fragment.childNodes).join('\n\n');
}
