/**
 * Images inside `content_html` (#13 §2). Pure functions over the parse5 tree, no regular expressions over HTML:
 *
 * - `collectBodyImages`: the distinct absolute http(s) `<img src>` URLs, in order, with alt and the caption of a
 *   `<figure>`'s `<figcaption>`. The first `max_body_images_per_request` go to PHP's `import_images`; the rest keep
 *   their remote URL with a `TOO_MANY_IMAGES` warning naming them.
 * - `rewriteBodyImages`: every `<img>` whose URL was imported points at the local attachment and carries the
 *   `wp-image-{id}` class (the blocks converter reads it as the `core/image` block's `id`; `html` mode stores it as
 *   is). `srcset` / `sizes` name remote files and are dropped. Content that already carries block delimiters keeps
 *   its classes (the delimiters hold the block's attributes) and only gets the local `src`.
 * - `bodyImageWarnings`: one warning per image that could not be imported, naming its URL, with PHP's generic reason.
 */
import type { DefaultTreeAdapterTypes as T } from 'parse5';

import { parse5 } from '../parse5.ts';

import { contract } from '../../contract/contract.ts';
import { plainText } from '../html.ts';
import type { ImageRef, PublishWarning } from './payload.ts';

/** What `import_images` answers per URL. */
export type ImportedImage =
  | { url: string; attachment_id: number; src: string; reused: boolean }
  | { url: string; warning: { code: string; message: string } };

export interface BodyImages {
  /** Sent to `import_images` (at most the contract cap). */
  images: ImageRef[];
  warnings: PublishWarning[];
}

const FIELD = 'content_html';

const isElement = (node: T.Node): node is T.Element => 'tagName' in node;

function* elements(node: T.ParentNode): Generator<T.Element> {
  for (const child of node.childNodes) {
    if (isElement(child)) {
      yield child;
      yield* elements(child.tagName === 'template' ? (child as T.Template).content : child);
    }
  }
}

const attr = (element: T.Element, name: string): string | undefined => element.attrs.find((a) => a.name === name)?.value;

/** Sets (in place, keeping the attribute order), adds (at the end) or, with `undefined`, removes an attribute. */
function setAttr(element: T.Element, name: string, value: string | undefined): void {
  if (value === undefined) {
    element.attrs = element.attrs.filter((a) => a.name !== name);
  } else if (element.attrs.some((a) => a.name === name)) {
    element.attrs = element.attrs.map((a) => (a.name === name ? { ...a, value } : a));
  } else {
    element.attrs = [...element.attrs, { name, value }];
  }
}

function textOf(node: T.ParentNode): string {
  return node.childNodes.map((child) => ('value' in child && child.nodeName === '#text' ? child.value : isElement(child) ? textOf(child) : '')).join('');
}

/** The URL an `<img src>` is imported under (`URL.href`), or undefined when it is not absolute http(s). */
function imageUrl(src: string | undefined): string | undefined {
  if (src === undefined) return undefined;
  try {
    const url = new URL(src.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function captionOf(img: T.Element): string | undefined {
  for (let node: T.ParentNode | null = img.parentNode; node !== null && isElement(node); node = node.parentNode) {
    if (node.tagName === 'figure') {
      const figcaption = node.childNodes.find((child): child is T.Element => isElement(child) && child.tagName === 'figcaption');
      const caption = figcaption === undefined ? '' : plainText(textOf(figcaption));
      return caption === '' ? undefined : caption;
    }
  }
  return undefined;
}

export function collectBodyImages(html: string): BodyImages {
  const seen = new Map<string, ImageRef>();
  for (const element of elements(parse5().parseFragment(html))) {
    const url = element.tagName === 'img' ? imageUrl(attr(element, 'src')) : undefined;
    if (url === undefined || seen.has(url)) continue;
    const alt = attr(element, 'alt');
    const caption = captionOf(element);
    seen.set(url, { url, ...(alt === undefined ? {} : { alt: plainText(alt) }), ...(caption === undefined ? {} : { caption }) });
  }
  const all = [...seen.values()];
  const cap = contract.limits.max_body_images_per_request;
  const skipped = all.slice(cap).map((image) => image.url);
  const warnings: PublishWarning[] =
    skipped.length === 0
      ? []
      : [
          {
            code: 'TOO_MANY_IMAGES',
            message: `Only ${cap} images in content_html are imported per request; these keep their remote URL: ${skipped.join(', ')}`,
            field: FIELD,
          },
        ];
  return { images: all.slice(0, cap), warnings };
}

export function rewriteBodyImages(html: string, imported: readonly ImportedImage[]): string {
  const local = new Map<string, { id: number; src: string }>();
  for (const image of imported) {
    if ('attachment_id' in image && image.src !== '') local.set(image.url, { id: image.attachment_id, src: image.src });
  }
  if (local.size === 0) return html;
  const fragment = parse5().parseFragment(html);
  const keepClasses = html.includes('<!-- wp:');
  let changed = false;
  for (const element of elements(fragment)) {
    const url = element.tagName === 'img' ? imageUrl(attr(element, 'src')) : undefined;
    const target = url === undefined ? undefined : local.get(url);
    if (target === undefined) continue;
    changed = true;
    setAttr(element, 'src', target.src);
    setAttr(element, 'srcset', undefined);
    setAttr(element, 'sizes', undefined);
    if (!keepClasses) {
      const classes = (attr(element, 'class') ?? '').split(/\s+/).filter((c) => c !== '' && !/^wp-image-\d+$/.test(c));
      setAttr(element, 'class', [...classes, `wp-image-${target.id}`].join(' '));
    }
  }
  return changed ? parse5().serialize(fragment) : html;
}

export function bodyImageWarnings(imported: readonly ImportedImage[]): PublishWarning[] {
  return imported.flatMap((image): PublishWarning[] =>
    'warning' in image
      ? [{ code: image.warning.code, message: `Image ${image.url} was not imported and keeps its remote URL: ${image.warning.message}`, field: FIELD }]
      : [],
  );
}
