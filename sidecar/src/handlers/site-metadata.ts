/**
 * `GET /site-metadata/` (SPEC §4): site structure for IGNY8. The shim's `site_info` operation gathers it; the
 * sidecar shapes it and caches it per site and structure revision (the shim bumps `structure_rev` when posts,
 * terms or the structure change), so a repeat call within the TTL needs no operation round at all.
 */
import { contract } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { SiteInfoResult, opFailure } from '../protocol/messages.ts';
import { execute, respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';

export interface SiteMetadataTerm {
  id: number;
  name: string;
  slug: string;
  count: number;
  parent: number;
  igny8_id?: number;
}

export interface SiteMetadata {
  site_info: { name: string; url: string; description: string; language: string; timezone: string };
  post_types: Array<{ name: string; label: string; count: number; supports: string[] }>;
  taxonomies: Array<{ name: string; label: string; count: number; terms?: SiteMetadataTerm[]; terms_truncated?: boolean }>;
  /** Exactly the keys of `plugins_detected` in the contract; absent ones are false. */
  plugins: Record<string, boolean>;
}

/** Port: where shaped metadata is kept between calls. */
export interface SiteMetadataStore {
  get(sid: string, structureRev: number): SiteMetadata | undefined;
  set(sid: string, structureRev: number, metadata: SiteMetadata): void;
}

export function toSiteMetadata(result: SiteInfoResult): SiteMetadata {
  const plugins: Record<string, boolean> = {};
  for (const key of Object.keys(contract.plugins_detected)) {
    plugins[key] = result.plugins[key] === true;
  }
  return {
    site_info: { ...result.site_info },
    post_types: result.post_types.map((type) => ({
      name: type.name,
      label: type.label,
      count: type.count,
      supports: type.supports ?? [],
    })),
    taxonomies: result.taxonomies.map((taxonomy) => ({
      name: taxonomy.name,
      label: taxonomy.label,
      count: taxonomy.count,
      ...(taxonomy.terms === undefined
        ? {}
        : {
            terms: taxonomy.terms.map((term) => ({
              id: term.id,
              name: term.name,
              slug: term.slug,
              count: term.count,
              parent: term.parent,
              ...(typeof term.igny8_id === 'number' ? { igny8_id: term.igny8_id } : {}),
            })),
          }),
      ...(taxonomy.terms_truncated === true ? { terms_truncated: true } : {}),
    })),
    plugins,
  };
}

export function createSiteMetadataRoute(deps: { store: SiteMetadataStore }): RouteHandler {
  return {
    id: 'site_metadata',
    start({ sid, ctx }) {
      const cached = deps.store.get(sid, ctx.site.structure_rev);
      if (cached !== undefined) {
        return respond(200, successEnvelope(ctx.request_id, cached));
      }
      return execute([{ op: 'site_info' }]);
    },
    resume({ sid, ctx }, _state, results) {
      const [result] = results;
      const failure = opFailure(result);
      if (failure !== undefined) {
        throw new AppError('OPERATION_FAILED', `Reading site information failed: ${failure.error.message}`);
      }
      const parsed = SiteInfoResult.safeParse(result);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError(
          'OPERATION_FAILED',
          `site_info returned an unexpected shape (${issue?.path.join('.') || 'result'}: ${issue?.message ?? 'invalid'}).`,
        );
      }
      const metadata = toSiteMetadata(parsed.data);
      deps.store.set(sid, ctx.site.structure_rev, metadata);
      return respond(200, successEnvelope(ctx.request_id, metadata));
    },
  };
}
