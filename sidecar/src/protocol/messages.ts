/**
 * One zod schema per shim ⇄ sidecar message (architecture.md §2–4); TypeScript types come from `z.infer`.
 *
 * PHP quirks handled at this edge, because PHP produces them naturally:
 * - `json_decode($x, true)` + `json_encode` turns an empty object `{}` into `[]` → `phpObject` accepts `[]`.
 * - numbers read from the database or options arrive as numeric strings (`"17"`) → `phpInt` accepts them.
 */
import { z } from 'zod';

import { jwtParams } from '../contract/contract.ts';

// ---------------------------------------------------------------- PHP-tolerant primitives

/** An integer, or a string of digits as wpdb / get_option return them. */
export const phpInt = z.union([
  z.int(),
  z.string().regex(/^-?\d{1,15}$/).transform(Number),
]);

/** A number, or a numeric string (e.g. `gmt_offset` = "5.5"). */
export const phpNumber = z.union([
  z.number(),
  z.string().regex(/^-?\d{1,15}(\.\d+)?$/).transform(Number),
]);

/** An object that PHP may have re-encoded as `[]` when it was empty. */
export function phpObject<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (Array.isArray(value) && value.length === 0 ? {} : value), schema);
}

const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A JSON object (or PHP's `[]` for an empty one), its members unchecked: a plain-object test, not a record schema
 * that visits and copies every member (this schema reads the settings, query and state of every shim message).
 */
export const JsonObject = phpObject(z.custom<Record<string, unknown>>(isJsonObject, 'expected an object'));
export type JsonObject = Record<string, unknown>;

// ---------------------------------------------------------------- JWT claims

const Jti = z.string().regex(/^[0-9a-f]{32}$/, 'jti must be 32 lowercase hex characters');
const NumericDate = z.int().nonnegative();
const BodyHash = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'bh must be base64url SHA-256');
const SiteId = z.string().min(1).max(100);

/** Claims of a shim → sidecar request (the proxied route or /_shim/continue). */
export const ShimRequestClaims = z.object({
  iss: z.literal(jwtParams.shim.iss),
  aud: z.literal(jwtParams.audiences.sidecar),
  iat: NumericDate,
  exp: NumericDate,
  jti: Jti,
  sid: SiteId,
  htm: z.string().min(1),
  htu: z.string().startsWith('/'),
  bh: BodyHash,
  /** Protocol version (MAJOR.MINOR); checked after the signature, a mismatch is 503 SIDECAR_VERSION_MISMATCH. */
  pv: z.string().max(16).optional(),
  ctx: z.unknown(),
});
export type ShimRequestClaims = z.infer<typeof ShimRequestClaims>;

/** Claims of the `X-IGNY8-Signature` JWT on every sidecar reply. */
export const SidecarReplyClaims = z.object({
  iss: z.literal(jwtParams.sidecar.iss),
  aud: z.literal(jwtParams.audiences.shim),
  iat: NumericDate,
  exp: NumericDate,
  jti: Jti,
  sid: SiteId,
  req: Jti,
  bh: BodyHash,
  pv: z.string().max(16).optional(),
});
export type SidecarReplyClaims = z.infer<typeof SidecarReplyClaims>;

// ---------------------------------------------------------------- request context (`ctx` claim)

export const ShimSite = z.object({
  home_url: z.string(),
  timezone: z.string(),
  gmt_offset: phpNumber,
  locale: z.string(),
  wp_version: z.string(),
  plugin_version: z.string(),
  structure_rev: phpInt,
});

export const ShimFacts = z.looseObject({
  api_key_present: z.boolean(),
  connection_enabled: z.boolean(),
  woocommerce: z.boolean(),
  aioseo_table: z.boolean(),
});

export const ShimContext = z.object({
  request_id: z.string().min(1).max(128),
  route_id: z.string().min(1).max(64),
  params: phpObject(z.record(z.string(), z.union([z.string(), z.number()]).transform(String))),
  query: JsonObject,
  user_id: phpInt.optional(),
  site: ShimSite,
  settings: JsonObject,
  facts: ShimFacts,
});
export type ShimContext = z.infer<typeof ShimContext>;

// ---------------------------------------------------------------- envelope (what IGNY8 finally sees)

export const SuccessEnvelope = z.object({
  success: z.literal(true),
  data: z.unknown(),
  message: z.string().optional(),
  request_id: z.string(),
});
export type SuccessEnvelope = z.infer<typeof SuccessEnvelope>;

export const ErrorEnvelope = z.looseObject({
  success: z.literal(false),
  error: z.string(),
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  request_id: z.string(),
  field: z.string().optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export const Envelope = z.union([SuccessEnvelope, ErrorEnvelope]);
export type Envelope = z.infer<typeof Envelope>;

// ---------------------------------------------------------------- operations and their results

export const SiteInfoOp = z.object({ op: z.literal('site_info') });
/** Every operation the sidecar may ask the shim to run; grows with the publish/settings tasks. */
export const FindPostsOp = z.object({
  op: z.literal('find_posts'),
  meta_key: z.string(),
  meta_value: z.string().optional(),
  post_id: z.int().positive().optional(),
  limit: z.int().positive().optional(),
  /** false: the posts come without their terms (`terms` is `{}`); the lookups do not use them. */
  terms: z.boolean().optional(),
});
export const SaveSettingsOp = z.object({ op: z.literal('save_settings'), settings: z.record(z.string(), z.unknown()) });
/** The key itself travels to PHP (which keeps only its HMAC); it is never logged or echoed. */
export const SetApiKeyOp = z.object({ op: z.literal('set_api_key'), key: z.string().optional(), keep_previous: z.boolean().optional(), clear: z.boolean().optional() });
/** The write plan of a publish; its full TypeScript type is `UpsertPostOp` in mapping/publish/plan.ts. */
export const UpsertPostOp = z.looseObject({ op: z.literal('upsert_post'), content_id: z.int().positive() });
/** Body images of a publish, imported before the `upsert_post` round (mapping/publish/body-images.ts). */
export const ImportImagesOp = z.object({
  op: z.literal('import_images'),
  images: z.array(z.object({ url: z.string(), alt: z.string().optional(), caption: z.string().optional() })).min(1),
});
/** One page of the managed posts by ascending id (a full re-sync: sync/resync.ts). */
export const ListManagedOp = z.object({ op: z.literal('list_managed'), limit: z.int().positive().optional(), after_id: z.int().nonnegative().optional() });
export const Operation = z.discriminatedUnion('op', [SiteInfoOp, FindPostsOp, ImportImagesOp, UpsertPostOp, SaveSettingsOp, SetApiKeyOp, ListManagedOp]);
export type Operation = z.infer<typeof Operation>;

export const OpError = z.looseObject({ code: z.string(), message: z.string() });

/** Either `{ok:true, ...}` or `{ok:false, error}`; a bare `{error}` (architecture.md §3 wording) is a failure too. */
export const OpFailure = z.looseObject({ ok: z.literal(false).optional(), error: OpError });
export type OpFailure = z.infer<typeof OpFailure>;

export function opFailure(result: unknown): OpFailure | undefined {
  const parsed = OpFailure.safeParse(result);
  if (parsed.success) {
    return parsed.data;
  }
  if (typeof result === 'object' && result !== null && (result as { ok?: unknown }).ok === false) {
    return { ok: false, error: { code: 'OPERATION_FAILED', message: 'operation failed without details' } };
  }
  return undefined;
}

const PostTypeInfo = z.object({
  name: z.string(),
  label: z.string(),
  count: phpInt,
  supports: z.union([
    z.array(z.string()),
    // get_all_post_type_supports() shape: {feature: true}
    phpObject(z.record(z.string(), z.unknown())).transform((map) => Object.keys(map).filter((k) => map[k] !== false)),
  ]).optional(),
});

const TermInfo = z.object({
  id: phpInt,
  name: z.string(),
  slug: z.string(),
  count: phpInt,
  parent: phpInt,
  igny8_id: z.union([phpInt, z.literal(''), z.null()]).optional(),
});

const TaxonomyInfo = z.object({
  name: z.string(),
  label: z.string(),
  count: phpInt,
  terms: z.array(TermInfo).optional(),
  /** Set by the shim when it listed fewer terms than `count` (it caps the list). */
  terms_truncated: z.boolean().optional(),
});

/** Result of `site_info {}` (architecture.md §4). */
export const SiteInfoResult = z.object({
  ok: z.literal(true),
  site_info: z.object({
    name: z.string(),
    url: z.string(),
    description: z.string(),
    language: z.string(),
    timezone: z.string(),
  }),
  post_types: z.array(PostTypeInfo),
  taxonomies: z.array(TaxonomyInfo),
  plugins: phpObject(z.record(z.string(), z.boolean())),
});
export type SiteInfoResult = z.infer<typeof SiteInfoResult>;

// ---------------------------------------------------------------- sidecar replies and the continue body

export const RespondReply = z.object({
  kind: z.literal('respond'),
  status: z.int().min(100).max(599),
  body: Envelope,
});
export type RespondReply = z.infer<typeof RespondReply>;

export const ExecuteReply = z.object({
  kind: z.literal('execute'),
  ops: z.array(Operation).min(1),
  state: JsonObject,
});
export type ExecuteReply = z.infer<typeof ExecuteReply>;

export const SidecarReply = z.discriminatedUnion('kind', [RespondReply, ExecuteReply]);
export type SidecarReply = z.infer<typeof SidecarReply>;

/** Body of `POST /_shim/continue`: the state echoed back plus one result per op, in op order. */
export const ContinueBody = z.object({
  route_id: z.string().min(1).max(64),
  state: JsonObject,
  results: z.array(z.unknown()),
});
export type ContinueBody = z.infer<typeof ContinueBody>;

/** The first request of a route with contract `reads`: PHP ran them and sends one result per read, in order. */
export const ReadsBody = z.object({ reads: z.array(z.unknown()) });
