/**
 * From a validated `PublishRequest` to the one WordPress operation that writes it (`upsert_post`).
 * Pure: everything it needs comes in through `PublishContext`.
 */
import { contract, igny8Meta, seoMetaKeys, seoTableColumns } from '../../contract/contract.ts';
import { AppError } from '../../contract/errors.ts';
import { htmlToBlocks } from '../blocks/convert.ts';
import { localEditsArg, type LocalEditsArg, type RepublishPolicy } from '../local-edits.ts';
import { plainText, stripDangerousElements } from '../html.ts';
import { gmtDateTime, siteTime, type SiteClock } from '../site-time.ts';
import { igny8ToWp, type StatusMap } from '../status-map.ts';
import { rewriteBodyImages, type ImportedImage } from './body-images.ts';
import type { ImageRef, PublishRequest, PublishWarning, TermRef } from './payload.ts';

export type ContentFormat = 'blocks' | 'html';

export interface PublishContext {
  allowedPostTypes: string[];
  /** Setting `igny8_content_format`: `blocks` converts `content_html` to native blocks, `html` stores it as sent. */
  contentFormat: ContentFormat;
  /** The site's WordPress version: block markup follows its `save()` functions. */
  wpVersion: string;
  defaultStatus: string;
  statusMap: StatusMap;
  woocommerceActive: boolean;
  /** Setting `igny8_republish_policy`: what a republish does to WordPress edits (mapping/local-edits.ts). */
  republishPolicy: RepublishPolicy;
  clock: SiteClock;
  now: Date;
}

export type WritableTaxonomy = 'category' | 'post_tag' | 'igny8_clusters' | 'igny8_sectors';

export interface TermInput {
  name: string;
  /** IGNY8 id, stored in the term's meta (`_igny8_cluster_id` / `_igny8_sector_id`); found by it first. */
  igny8_id?: number;
  /** The name is a stand-in (`Cluster 45`) and must not rename an existing term. */
  placeholder?: boolean;
}

export type MetaValue = string | number | null;

export type UpsertPostOp = {
  op: 'upsert_post';
  content_id: number;
  post_type: string;
  post: {
    post_title: string;
    post_content: string;
    post_excerpt?: string;
    post_status: string;
    post_date_gmt?: string;
    author_email?: string;
  };
  meta: Record<string, MetaValue>;
  terms: Partial<Record<WritableTaxonomy, TermInput[]>>;
  featured_image?: ImageRef;
  gallery?: ImageRef[];
  /** SEO plugins' own tables (contract `seo_tables`): table → column → value; PHP writes them only where they exist. */
  seo_rows?: Record<string, Record<string, string>>;
  /** WordPress edits since IGNY8's last write: kept as a revision and overwritten, or the write is refused. */
  local_edits: LocalEditsArg;
};

export interface PublishPlan {
  op: UpsertPostOp;
  warnings: PublishWarning[];
}

const ID_META = {
  igny8_clusters: contract.taxonomies.registered.igny8_clusters.id_meta_key,
  igny8_sectors: contract.taxonomies.registered.igny8_sectors.id_meta_key,
} as const;

function resolvePostType(req: PublishRequest, ctx: PublishContext, warnings: PublishWarning[]): string {
  if (req.contentType === 'taxonomy') {
    throw new AppError('UNSUPPORTED_CONTENT_TYPE', 'content_type "taxonomy" is not supported yet.', { field: 'content_type' });
  }
  if (req.contentType === 'product') {
    if (!ctx.woocommerceActive) {
      throw new AppError('UNSUPPORTED_CONTENT_TYPE', 'content_type "product" needs WooCommerce, which is not active on this site.', { field: 'content_type' });
    }
    warnings.push({ code: 'PRODUCT_PRICE_NOT_SET', message: 'Published as a plain WooCommerce product: prices are not set.', field: 'content_type' });
  }
  if (!ctx.allowedPostTypes.includes(req.contentType)) {
    throw new AppError('POST_TYPE_NOT_ALLOWED', `Post type "${req.contentType}" is not allowed in this site's IGNY8 settings.`, { field: 'content_type' });
  }
  return req.contentType;
}

function resolveStatus(req: PublishRequest, ctx: PublishContext, warnings: PublishWarning[]): { status: string; dateGmt?: string } {
  let status = req.status === undefined ? ctx.defaultStatus : igny8ToWp(ctx.statusMap, req.status);
  if (req.publishedAt) {
    if (status === 'publish' || status === 'future') {
      status = req.publishedAt.getTime() > ctx.now.getTime() ? 'future' : 'publish';
    }
    return { status, dateGmt: gmtDateTime(req.publishedAt) };
  }
  if (status === 'future') {
    warnings.push({ code: 'SCHEDULE_WITHOUT_DATE', message: 'Scheduled without published_at: saved as a draft.', field: 'status' });
    status = 'draft';
  }
  return { status };
}

function igny8Terms(refs: TermRef[] | undefined, placeholderLabel: string): TermInput[] | undefined {
  if (refs === undefined) {
    return undefined;
  }
  return refs.flatMap((ref): TermInput[] => {
    const name = ref.name === undefined ? undefined : plainText(ref.name);
    if (name) {
      return [{ name, ...(ref.id === undefined ? {} : { igny8_id: ref.id }) }];
    }
    return ref.id === undefined ? [] : [{ name: `${placeholderLabel} ${ref.id}`, igny8_id: ref.id, placeholder: true }];
  });
}

const nameTerms = (names: string[] | undefined): TermInput[] | undefined =>
  names?.map(plainText).filter((name) => name.length > 0).map((name) => ({ name }));

function seoMeta(req: PublishRequest): Record<string, MetaValue> {
  const meta: Record<string, MetaValue> = {};
  if (req.seoTitle !== undefined) {
    const title = plainText(req.seoTitle);
    for (const key of [igny8Meta.meta_title, ...seoMetaKeys('title')]) {
      meta[key] = title;
    }
  }
  if (req.seoDescription !== undefined) {
    const description = plainText(req.seoDescription);
    for (const key of [igny8Meta.meta_description, ...seoMetaKeys('description')]) {
      meta[key] = description;
    }
  }
  const primary = req.primaryKeyword === undefined ? undefined : plainText(req.primaryKeyword);
  const secondary = req.secondaryKeywords?.map(plainText).filter(Boolean);
  if (primary !== undefined) {
    meta[igny8Meta.primary_keyword] = primary;
    for (const key of seoMetaKeys('focus_keyword')) {
      meta[key] = primary;
    }
  }
  if (secondary !== undefined) {
    meta[igny8Meta.secondary_keywords] = JSON.stringify(secondary);
  }
  if (primary !== undefined || secondary !== undefined) {
    // Rank Math and SEOPress read one comma-separated list of focus keywords.
    const all = [primary, ...(secondary ?? [])].filter((k): k is string => !!k).map((k) => k.replaceAll(',', ' '));
    for (const key of seoMetaKeys('focus_keywords')) {
      meta[key] = all.join(',');
    }
  }
  return meta;
}

const withSeoRows = (meta: Record<string, MetaValue>): Pick<UpsertPostOp, 'seo_rows'> => {
  const rows = seoRows(meta);
  return rows === undefined ? {} : { seo_rows: rows };
};

/** The row of each SEO table: AIOSEO 4 keeps title, description and keyphrases in `aioseo_posts`, not post meta. */
function seoRows(meta: Record<string, MetaValue>): UpsertPostOp['seo_rows'] {
  const title = meta[igny8Meta.meta_title];
  const description = meta[igny8Meta.meta_description];
  const primary = meta[igny8Meta.primary_keyword];
  const secondaryJson = meta[igny8Meta.secondary_keywords];
  const secondary = typeof secondaryJson === 'string' ? (JSON.parse(secondaryJson) as string[]) : undefined;
  const values: Partial<Record<'title' | 'description' | 'keyphrases', string>> = {};
  if (typeof title === 'string') values.title = title;
  if (typeof description === 'string') values.description = description;
  if (typeof primary === 'string' || secondary !== undefined) {
    values.keyphrases = JSON.stringify({
      focus: { keyphrase: typeof primary === 'string' ? primary : '' },
      additional: (secondary ?? []).map((keyphrase) => ({ keyphrase })),
    });
  }
  if (Object.keys(values).length === 0) return undefined;
  const rows: Record<string, Record<string, string>> = {};
  for (const [table, columns] of Object.entries(seoTableColumns())) {
    const row: Record<string, string> = {};
    for (const [role, value] of Object.entries(values)) {
      const column = columns[role as keyof typeof values];
      if (column !== undefined) row[column] = value;
    }
    if (Object.keys(row).length > 0) rows[table] = row;
  }
  return rows;
}

function images(req: PublishRequest, warnings: PublishWarning[]): Pick<UpsertPostOp, 'featured_image' | 'gallery'> {
  const budget = contract.limits.max_images_per_request;
  const valid = (image: ImageRef, field: string): ImageRef | undefined => {
    let url: URL;
    try {
      url = new URL(image.url);
    } catch {
      warnings.push({ code: 'IMAGE_REFUSED', message: 'Image URL is not a valid URL.', field });
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      warnings.push({ code: 'IMAGE_REFUSED', message: `Image URL scheme ${url.protocol} is not allowed.`, field });
      return undefined;
    }
    return {
      url: url.href,
      ...(image.alt === undefined ? {} : { alt: plainText(image.alt) }),
      ...(image.caption === undefined ? {} : { caption: plainText(image.caption) }),
    };
  };
  const featured = req.featuredImage && valid(req.featuredImage, 'featured_image');
  let gallery = req.gallery?.map((image, i) => valid(image, `gallery_images.${i}`)).filter((i): i is ImageRef => !!i);
  const room = budget - (featured ? 1 : 0);
  if (gallery && gallery.length > room) {
    warnings.push({ code: 'TOO_MANY_IMAGES', message: `Only ${budget} images are fetched per request; the rest were skipped.`, field: 'gallery_images' });
    gallery = gallery.slice(0, room);
  }
  return { ...(featured ? { featured_image: featured } : {}), ...(gallery ? { gallery } : {}) };
}

/** `bodyImages`: what `import_images` answered for the images of `content_html` (none in the first round). */
export function planPublish(req: PublishRequest, ctx: PublishContext, bodyImages: readonly ImportedImage[] = []): PublishPlan {
  const warnings = [...req.warnings];
  const postType = resolvePostType(req, ctx, warnings);
  const { status, dateGmt } = resolveStatus(req, ctx, warnings);
  const title = plainText(req.title);
  if (!title) {
    throw new AppError('VALIDATION_FAILED', 'title is empty once HTML is removed.', { field: 'title' });
  }

  const clusters = igny8Terms(req.clusters, 'Cluster');
  const sectors = igny8Terms(req.sectors, 'Sector');
  const meta: Record<string, MetaValue> = {
    [igny8Meta.content_id]: req.contentId,
    [igny8Meta.source]: 'igny8',
    [igny8Meta.content_type]: req.contentType,
    [igny8Meta.wordpress_status]: status,
    [igny8Meta.last_synced]: siteTime(ctx.clock, ctx.now),
    ...seoMeta(req),
  };
  if (req.taskId !== undefined) meta[igny8Meta.task_id] = req.taskId;
  if (req.contentStructure !== undefined) meta[igny8Meta.content_structure] = plainText(req.contentStructure);
  if (req.keywordIds !== undefined) meta[igny8Meta.keyword_ids] = JSON.stringify(req.keywordIds);
  const clusterId = clusters?.find((t) => t.igny8_id !== undefined)?.igny8_id;
  const sectorId = sectors?.find((t) => t.igny8_id !== undefined)?.igny8_id;
  if (clusterId !== undefined) meta[ID_META.igny8_clusters] = clusterId;
  if (sectorId !== undefined) meta[ID_META.igny8_sectors] = sectorId;

  const terms: UpsertPostOp['terms'] = {};
  const categories = nameTerms(req.categories);
  const tags = nameTerms(req.tags);
  if (categories) terms.category = categories;
  if (tags) terms.post_tag = tags;
  if (clusters) terms.igny8_clusters = clusters;
  if (sectors) terms.igny8_sectors = sectors;

  const safe = stripDangerousElements(req.html);
  if (safe !== req.html) {
    warnings.push({ code: 'CONTENT_SANITIZED', message: 'Removed <script> and <style> elements from content_html.', field: 'content_html' });
  }
  // Before any block conversion: the converter reads the local URL and `wp-image-{id}` this writes.
  const content = rewriteBodyImages(safe, bodyImages);
  const post: UpsertPostOp['post'] = {
    post_title: title,
    post_content: ctx.contentFormat === 'blocks' ? htmlToBlocks(content, ctx.wpVersion) : content,
    post_status: status,
  };
  if (req.excerpt !== undefined) post.post_excerpt = plainText(req.excerpt);
  if (dateGmt !== undefined) post.post_date_gmt = dateGmt;
  if (req.authorEmail !== undefined) post.author_email = req.authorEmail.trim().toLowerCase();

  return {
    op: {
      op: 'upsert_post',
      content_id: req.contentId,
      post_type: postType,
      post,
      meta,
      terms,
      ...images(req, warnings),
      ...withSeoRows(meta),
      local_edits: localEditsArg(ctx.republishPolicy, req.force),
    },
    warnings,
  };
}
