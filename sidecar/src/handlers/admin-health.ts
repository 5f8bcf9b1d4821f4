/**
 * `GET /admin/health` (`manage_options`): the sidecar's side of Site Health and `wp igny8 doctor` (issue #14 §2).
 * One exchange: that it verifies proves the sidecar answers, speaks the shim's protocol and holds the same key; the
 * body adds the version, the IGNY8 connection (circuit breaker), the queue and the reconciler. The PHP shim turns
 * the facts into checks (plugin-php-shim/includes/Health/Health_Checks.php). Never a secret.
 */
import { respond, type RouteHandler } from '../protocol/conversation.ts';
import { successEnvelope } from '../contract/envelope.ts';
import { PROTOCOL_VERSION } from '../protocol/version.ts';
import type { OperationsHealth } from '../sync/ports.ts';

export function createAdminHealthRoute(deps: { sidecarVersion: string; startedAt: number; health: () => Promise<OperationsHealth> }): RouteHandler {
  return {
    id: 'admin_health',
    async start({ ctx, kid }) {
      const health = await deps.health();
      return respond(
        200,
        successEnvelope(ctx.request_id, {
          sidecar: {
            version: deps.sidecarVersion,
            protocol: PROTOCOL_VERSION,
            kid: kid ?? null,
            uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000),
          },
          ...health,
        }),
      );
    },
  };
}

/**
 * `POST /settings/reconcile` (`wp igny8 reconcile`): starts a reconciler pass AFTER this reply is written (the pass
 * calls WordPress, which must not happen while PHP waits on us: SPEC §3 rule 1) and answers when it was asked for;
 * the caller follows `reconciler.last_run_at` on `GET /admin/health`.
 */
export function createReconcileRoute(deps: { reconcile: () => void }): RouteHandler {
  return {
    id: 'settings_reconcile',
    start({ ctx }) {
      const requestedAt = new Date().toISOString();
      setTimeout(deps.reconcile, 50).unref();
      return respond(202, successEnvelope(ctx.request_id, { requested_at: requestedAt }, 'Reconcile started.'));
    },
  };
}
