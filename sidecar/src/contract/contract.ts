/**
 * Typed view of the one contract file shared with the PHP shim.
 *
 * The JSON is imported (never copied) and validated once at module load, so a contract edit that breaks the
 * sidecar's assumptions fails at start-up instead of in the middle of a request.
 */
import { z } from 'zod';

import rawContract from '../../../plugin-php-shim/contract/igny8-contract.json' with { type: 'json' };

const HttpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
export type HttpMethod = z.infer<typeof HttpMethod>;

/**
 * An operation PHP runs before the first exchange of a route (so reading WordPress costs no extra round trip).
 * A string argument written `{name}` is replaced by the route parameter `name`.
 */
const RouteRead = z.object({
  op: z.string(),
  args: z.record(z.string(), z.union([z.string(), z.int(), z.boolean()])),
});
export type RouteRead = z.infer<typeof RouteRead>;

const RouteSpec = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  methods: z.array(HttpMethod).min(1),
  path: z.string().startsWith('/'),
  auth: z.enum(['public', 'api_key', 'edit_post', 'manage_options']),
  cache_seconds: z.int().positive().optional(),
  degraded_when_unavailable: z.boolean().optional(),
  /** Read-only operations whose results are the signed body of the first exchange (`{"reads":[result…]}`). */
  reads: z.array(RouteRead).min(1).optional(),
  /** The only operations an `execute` reply may ask for on this route; PHP enforces the same list. */
  operations: z.array(z.string()),
  /** What callers without the API key see of `data` (PHP filters; dotted paths go one level down). */
  public_fields: z.array(z.string()).optional(),
});
export type RouteSpec = z.infer<typeof RouteSpec>;

const JwtTestVector = z.object({
  direction: z.enum(['shim->sidecar', 'sidecar->shim']),
  body: z.string(),
  bh: z.string(),
  header: z.record(z.string(), z.string()),
  claims: z.record(z.string(), z.unknown()),
  token: z.string(),
});

const RegisteredTaxonomy = z.looseObject({
  label: z.string(),
  singular: z.string(),
  hierarchical: z.boolean(),
  id_meta_key: z.string(),
});

const ContractSchema = z.looseObject({
  contract_version: z.literal(1),
  plugin_version: z.string().min(1),
  /** Shim ⇄ sidecar wire protocol MAJOR.MINOR, carried as `pv` in every signed message; one minor of skew works. */
  protocol_version: z.string().regex(/^\d+\.\d+$/),
  rest_namespace: z.string().regex(/^[a-z0-9-]+\/v\d+$/),
  limits: z.looseObject({
    max_body_bytes: z.int().positive(),
    max_json_depth: z.int().positive(),
    max_images_per_request: z.int().positive(),
    max_body_images_per_request: z.int().positive(),
    body_images_time_budget_seconds: z.int().positive(),
    max_rounds: z.int().positive(),
    sidecar_timeout_seconds: z.number().positive(),
    sidecar_connect_timeout_seconds: z.number().positive(),
  }),
  routes: z.array(RouteSpec).min(1),
  internal_route: z.object({ path: z.string(), methods: z.array(HttpMethod) }),
  /** The sidecar's own paths: the shim's (continue, events, health, enrol, rotate) and the operator API's prefix (operator). */
  sidecar_paths: z.object({ continue: z.string(), events: z.string(), health: z.string(), enrol: z.string(), rotate: z.string(), operator: z.string() }),
  jwt: z.object({
    alg: z.literal('HS256'),
    max_ttl_seconds: z.int().positive(),
    leeway_seconds: z.int().nonnegative(),
    previous_key_grace_seconds: z.int().nonnegative(),
    header: z.string(),
    shim: z.object({ iss: z.string(), derive: z.literal('shim->sidecar') }),
    sidecar: z.object({ iss: z.string(), derive: z.literal('sidecar->shim') }),
    audiences: z.object({ sidecar: z.string(), shim: z.string(), shim_internal: z.string() }),
    test_vectors: z.object({
      secret: z.string(),
      /** The site id the vector keys are derived for. */
      sid: z.string(),
      kid: z.string(),
      k_shim_hex: z.string(),
      k_sidecar_hex: z.string(),
      vectors: z.array(JwtTestVector).min(1),
    }),
  }),
  post_types: z.array(z.string()),
  taxonomies: z.looseObject({
    writable: z.array(z.string()),
    registered: z.object({ igny8_clusters: RegisteredTaxonomy, igny8_sectors: RegisteredTaxonomy }),
  }),
  plugins_detected: z.record(z.string(), z.string()),
  status_maps: z.looseObject({
    igny8_to_wp: z.record(z.string(), z.string()),
    igny8_to_wp_default: z.string(),
    wp_to_igny8: z.record(z.string(), z.string()),
    wp_to_igny8_default: z.string(),
    wp_statuses: z.array(z.string()),
  }),
  meta: z.looseObject({
    post: z.record(
      z.string(),
      z.looseObject({ type: z.string(), rest: z.boolean(), seo: z.enum(['title', 'description', 'focus_keyword', 'focus_keywords']).optional() }),
    ),
    lookup_keys: z.array(z.string()),
    pending_marker_key: z.string(),
  }),
  sync: z.looseObject({
    deleted_status: z.string(),
    states: z.record(z.string(), z.string()),
  }),
  /** SEO plugins' own tables (AIOSEO 4's aioseo_posts): one row per post, written by upsert_post's seo_rows. */
  seo_tables: z.record(
    z.string(),
    z.union([
      z.string(),
      z.looseObject({
        post_column: z.string(),
        columns: z.record(z.string(), z.object({ type: z.enum(['text', 'json']), seo: z.enum(['title', 'description', 'keyphrases']) })),
      }),
    ]),
  ),
  options: z.record(z.string(), z.looseObject({ type: z.string() })),
  operations: z.object({ proxy: z.array(z.string()).min(1), internal: z.array(z.string()) }),
  /** JSON Schema of every operation's arguments (PHP validates with core's rest_validate_value_from_schema). */
  operation_args: z.record(z.string(), z.unknown()),
  error_codes: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.int().min(400).max(599)),
  /** Tools → IGNY8 Activity: which routes are logged as calls in, the delivery kinds out, outcomes, page limits. */
  activity: z.looseObject({
    inbound_routes: z.record(z.string(), z.string()),
    outbound_kinds: z.array(z.string()).min(1),
    outcomes: z.record(z.string(), z.string()),
    page_size_max: z.int().positive(),
    export_max_rows: z.int().positive(),
    purge_interval_seconds: z.int().positive(),
  }),
});
export type Contract = z.infer<typeof ContractSchema>;

/** Every error code the contract knows; `AppError` accepts only these. */
export type ErrorCode = keyof typeof rawContract.error_codes;

/** Every post meta key the contract registers (IGNY8's own `_igny8_*` keys and the SEO plugins' keys). */
export type MetaKey = keyof typeof rawContract.meta.post;
/** IGNY8's own meta keys by role: `content_id` for `_igny8_content_id`. */
type RoleOf<Key> = Key extends `_igny8_${infer Role}` ? Role : never;
export type MetaRole = RoleOf<MetaKey>;

/** The outcomes of an activity row (the contract's `activity.outcomes`). */
export type { ActivityOutcome } from './wire-types.ts';

/** The sync states of a post (the contract's `sync.states`). */
export type SyncState = keyof typeof rawContract.sync.states;

function loadContract(): Contract {
  const parsed = ContractSchema.safeParse(rawContract);
  if (!parsed.success) {
    throw new Error(`plugin-php-shim/contract/igny8-contract.json does not match what the sidecar expects:\n${z.prettifyError(parsed.error)}`);
  }
  const readsOutsideVocabulary = parsed.data.routes.flatMap((route) => route.reads ?? []).filter((read) => !parsed.data.operations.proxy.includes(read.op));
  if (readsOutsideVocabulary.length > 0) {
    throw new Error(`contract route reads use operations outside operations.proxy: ${readsOutsideVocabulary.map((read) => read.op).join(', ')}`);
  }
  for (const route of parsed.data.routes) {
    const outside = route.operations.filter((op) => !parsed.data.operations.proxy.includes(op));
    if (outside.length > 0) {
      throw new Error(`contract route ${route.id} lists operations outside operations.proxy: ${outside.join(', ')}`);
    }
    const settings = route.operations.filter((op) => (SETTINGS_OPERATIONS as readonly string[]).includes(op));
    if (settings.length > 0 && route.auth !== 'manage_options') {
      throw new Error(`contract route ${route.id} (auth ${route.auth}) lists settings operations: ${settings.join(', ')}`);
    }
  }
  return parsed.data;
}

/** Operations that change the connection's settings or credentials: manage_options routes only (as in PHP). */
export const SETTINGS_OPERATIONS = ['save_settings', 'set_api_key'] as const;

export const contract: Contract = loadContract();

export const limits = contract.limits;

/**
 * IGNY8's own meta keys by role, read from the contract: `igny8Meta.content_id` is `'_igny8_content_id'`. Code uses
 * these instead of typing a key; a role the contract does not have does not compile.
 */
export const igny8Meta = Object.fromEntries(
  Object.keys(contract.meta.post).flatMap((key) => (key.startsWith('_igny8_') ? [[key.slice('_igny8_'.length), key]] : [])),
) as { readonly [Role in MetaRole]: `_igny8_${Role}` };

/** The SEO plugins' meta keys that carry one kind of value (`seo` in `meta.post`), in contract order. */
export function seoMetaKeys(role: 'title' | 'description' | 'focus_keyword' | 'focus_keywords'): MetaKey[] {
  return Object.entries(contract.meta.post).flatMap(([key, spec]) => (spec.seo === role ? [key as MetaKey] : []));
}

export type SeoColumnRole = 'title' | 'description' | 'keyphrases';

/** Each SEO table of the contract with its column for every role it stores: `{aioseo_posts: {title: 'title', …}}`. */
export function seoTableColumns(): Record<string, Partial<Record<SeoColumnRole, string>>> {
  const tables: Record<string, Partial<Record<SeoColumnRole, string>>> = {};
  for (const [table, spec] of Object.entries(contract.seo_tables)) {
    if (typeof spec === 'string') continue; // $comment
    tables[table] = Object.fromEntries(Object.entries(spec.columns).map(([column, { seo }]) => [seo, column]));
  }
  return tables;
}

/** A number in an operation's argument schema, e.g. `opArgBound('upsert_post', 'post.post_title', 'maxLength')`. */
export function opArgBound(op: string, path: string, keyword: 'maxLength' | 'maxItems' | 'minimum' | 'maximum'): number {
  let node: unknown = contract.operation_args[op];
  for (const name of path.split('.')) {
    const schema = node as { properties?: Record<string, unknown>; additionalProperties?: unknown; items?: unknown } | undefined;
    node = name === '*' ? (schema?.additionalProperties ?? schema?.items) : schema?.properties?.[name];
  }
  const bound = (node as Record<string, unknown> | undefined)?.[keyword];
  if (typeof bound !== 'number') {
    throw new Error(`the contract's operation_args.${op} has no ${keyword} at ${path}`);
  }
  return bound;
}

/** The bounds of a publish that the sidecar's payload validation shares with PHP's upsert_post schema. */
export const publishBounds = {
  title: opArgBound('upsert_post', 'post.post_title', 'maxLength'),
  authorEmail: opArgBound('upsert_post', 'post.author_email', 'maxLength'),
  termsPerTaxonomy: opArgBound('upsert_post', 'terms.*', 'maxItems'),
  termName: opArgBound('upsert_post', 'terms.*.*.name', 'maxLength'),
  imageUrl: opArgBound('upsert_post', 'featured_image.url', 'maxLength'),
  imageText: opArgBound('upsert_post', 'featured_image.caption', 'maxLength'),
};

/** The contract's sync states, in contract order. */
export const syncStates = Object.keys(contract.sync.states) as SyncState[];
export const jwtParams = contract.jwt;

/** HTTP status for a contract error code (the one table PHP uses too). */
export function statusForErrorCode(code: ErrorCode): number {
  const status = contract.error_codes[code];
  if (status === undefined) {
    throw new Error(`error code ${code} is missing from the contract`);
  }
  return status;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(contract.error_codes, value);
}

/** Distinct route ids, in contract order (`publish_content` has two paths but one id). */
export const contractRouteIds: readonly string[] = [...new Set(contract.routes.map((route) => route.id))];

export function isProxyOperation(name: string): boolean {
  return contract.operations.proxy.includes(name);
}

/** Whether an `execute` reply on this route may ask for this operation (contract `routes[].operations`). */
export function isRouteOperation(routeId: string, name: string): boolean {
  return isProxyOperation(name) && contract.routes.some((route) => route.id === routeId && route.operations.includes(name));
}

/** The operations of a route's `reads`, with `{name}` arguments filled from the route parameters (as PHP does). */
export function routeReadOps(reads: readonly RouteRead[], params: Readonly<Record<string, string>>): Array<{ op: string } & Record<string, string | number | boolean>> {
  return reads.map((read) => {
    const args = Object.fromEntries(
      Object.entries(read.args).map(([name, value]) => {
        const param = typeof value === 'string' ? /^\{([a-z_]+)\}$/.exec(value)?.[1] : undefined;
        return [name, param === undefined ? value : (params[param] ?? '')];
      }),
    );
    return { ...args, op: read.op };
  });
}

/** Full REST route prefix as WordPress's `get_route()` reports it, e.g. `/igny8/v1`. */
export const restRoutePrefix = `/${contract.rest_namespace}`;
