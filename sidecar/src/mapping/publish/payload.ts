/**
 * The publish payload (SPEC §5): both spellings IGNY8 has sent, normalised into one `PublishRequest`.
 *
 * Spelling A is the integration reference (`meta_title`, `cluster_id`, `featured_image {url}`); spelling B is the
 * publishing task (`seo_title`, `focus_keywords`, `clusters[]`, `featured_image_url`, `published_at`). Optional
 * fields may be `null` (Python `None`), which means absent. Unknown fields are reported as warnings, never errors.
 */
import { z } from 'zod';

import { publishBounds } from '../../contract/contract.ts';
import { AppError } from '../../contract/errors.ts';

export interface PublishWarning {
  code: string;
  message: string;
  field?: string;
  /** LOCAL_EDITS_OVERWRITTEN: the revision that keeps the editor's version (null when none could be kept). */
  revision_id?: number | null;
}

export interface TermRef {
  id?: number;
  name?: string;
}

export interface ImageRef {
  url: string;
  alt?: string;
  caption?: string;
}

export interface PublishRequest {
  contentId: number;
  taskId?: number;
  title: string;
  html: string;
  excerpt?: string;
  seoTitle?: string;
  seoDescription?: string;
  primaryKeyword?: string;
  secondaryKeywords?: string[];
  keywordIds?: number[];
  contentType: 'post' | 'page' | 'product' | 'taxonomy';
  contentStructure?: string;
  status?: string;
  publishedAt?: Date;
  clusters?: TermRef[];
  sectors?: TermRef[];
  categories?: string[];
  tags?: string[];
  featuredImage?: ImageRef;
  gallery?: ImageRef[];
  authorEmail?: string;
  authorName?: string;
  /** Overwrite WordPress edits even when the republish policy keeps them (`"force": true`). */
  force: boolean;
  warnings: PublishWarning[];
}

const MAX_ID = Number.MAX_SAFE_INTEGER;
/** Positive integer ids; IGNY8 (Python) may send them as digit strings. */
const Id = z.union(
  [
    z.int().positive().max(MAX_ID),
    z
      .string()
      .regex(/^[1-9]\d{0,15}$/)
      .transform(Number)
      .pipe(z.int().positive().max(MAX_ID)),
  ],
  { error: 'must be a positive integer (a number or a string of digits)' },
);
const Text = (max: number) => z.string().max(max);
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const NameList = z
  .array(
    z.union([Text(publishBounds.termName), z.looseObject({ name: Text(publishBounds.termName) }).transform((o) => o.name)], {
      error: 'must be a name or an object with a name',
    }),
  )
  .max(100);
const TermList = z
  .array(
    z.union([
      Text(publishBounds.termName).transform((name): TermRef => ({ name })),
      z
        .looseObject({ id: opt(Id), name: opt(Text(publishBounds.termName)) })
        .transform((o): TermRef => ({ id: o.id, name: o.name })),
    ], { error: 'must be a term name or an object with an id and/or a name' }),
  )
  .max(publishBounds.termsPerTaxonomy);
const Url = Text(publishBounds.imageUrl);
const Image = z.union(
  [Url.transform((url): ImageRef => ({ url })), z.looseObject({ url: Url, alt: opt(Text(500)), caption: opt(Text(publishBounds.imageText)) })],
  { error: 'must be an image URL or an object with a url' },
);

const PayloadSchema = z.object({
  content_id: Id,
  task_id: opt(Id),
  title: Text(publishBounds.title).refine((t) => t.trim().length > 0, 'must not be empty'),
  content_html: z.string(),
  excerpt: opt(Text(10_000)),
  meta_title: opt(Text(1000)),
  seo_title: opt(Text(1000)),
  meta_description: opt(Text(5000)),
  seo_description: opt(Text(5000)),
  primary_keyword: opt(Text(500)),
  secondary_keywords: opt(z.array(Text(500)).max(100)),
  focus_keywords: opt(z.array(Text(500)).max(100)),
  keyword_ids: opt(z.array(Id).max(1000)),
  content_type: opt(z.enum(['post', 'page', 'product', 'taxonomy'])),
  content_structure: opt(Text(100)),
  status: opt(Text(50)),
  published_at: opt(
    Text(64).refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time'),
  ),
  cluster_id: opt(Id),
  cluster_name: opt(Text(200)),
  clusters: opt(TermList),
  sector_id: opt(Id),
  sector_name: opt(Text(200)),
  sectors: opt(TermList),
  categories: opt(NameList),
  tags: opt(NameList),
  featured_image: opt(Image),
  featured_image_url: opt(Url),
  gallery_images: opt(z.array(Image).max(50)),
  author_email: opt(Text(publishBounds.authorEmail)),
  author_name: opt(Text(200)),
  force: opt(z.boolean()),
});

const KNOWN_FIELDS = new Set(Object.keys(PayloadSchema.shape));

/** The value at `path` in a decoded JSON body (undefined when a step is missing). */
function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return value;
}

/** Parses an already JSON-decoded body. Throws `AppError` (422 VALIDATION_FAILED, with `field`) on bad input. */
export function parsePublishPayload(body: unknown): PublishRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'The body must be a JSON object.');
  }
  const parsed = PayloadSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    // zod leaves the input out of its issues: whether the field was sent at all (null is absent) is read from the body.
    const message =
      issue !== undefined && issue.path.length > 0 && valueAt(body, issue.path) == null
        ? `${field} is required.`
        : `${field ?? 'body'}: ${issue?.message ?? 'invalid value'}.`;
    throw new AppError('VALIDATION_FAILED', message, field === undefined ? {} : { field });
  }
  const p = parsed.data;
  const warnings: PublishWarning[] = Object.keys(body)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .slice(0, 50)
    .map((key) => ({ code: 'UNKNOWN_FIELD', message: `Ignored unknown field "${key.slice(0, 100)}".`, field: key.slice(0, 100) }));

  const focus = p.focus_keywords ?? [];
  const single = (id: number | undefined, name: string | undefined): TermRef[] | undefined =>
    id === undefined && name === undefined ? undefined : [{ id, name }];

  return {
    contentId: p.content_id,
    taskId: p.task_id,
    title: p.title,
    html: p.content_html,
    excerpt: p.excerpt,
    seoTitle: p.meta_title ?? p.seo_title,
    seoDescription: p.meta_description ?? p.seo_description,
    primaryKeyword: p.primary_keyword ?? focus[0],
    secondaryKeywords: p.secondary_keywords ?? (focus.length > 1 ? focus.slice(1) : undefined),
    keywordIds: p.keyword_ids,
    contentType: p.content_type ?? 'post',
    contentStructure: p.content_structure,
    status: p.status,
    publishedAt: p.published_at === undefined ? undefined : new Date(p.published_at),
    clusters: single(p.cluster_id, p.cluster_name) ?? p.clusters,
    sectors: single(p.sector_id, p.sector_name) ?? p.sectors,
    categories: p.categories,
    tags: p.tags,
    featuredImage: p.featured_image ?? (p.featured_image_url ? { url: p.featured_image_url } : undefined),
    gallery: p.gallery_images,
    authorEmail: p.author_email,
    authorName: p.author_name,
    force: p.force === true,
    warnings,
  };
}
