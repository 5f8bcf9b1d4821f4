/**
 * The sidecar timing the e2e suites run with (both configs set them before the global setup starts any sidecar,
 * which inherits them): short sync retry timing, so outage tests finish in seconds, and "at most daily" site
 * structure pushes (SPEC §6) every few seconds, so the structure specs can watch them.
 */
export function applySidecarTestKnobs(): void {
	process.env.SIDECAR_SYNC_BACKOFF_BASE_MS ??= '200';
	process.env.SIDECAR_SYNC_BACKOFF_MAX_MS ??= '2000';
	process.env.SIDECAR_SYNC_RETRY_AFTER_CAP_MS ??= '3000';
	process.env.SIDECAR_SYNC_MAX_ATTEMPTS ??= '100';
	process.env.SIDECAR_STRUCTURE_MIN_INTERVAL_MS ??= '5000';
}
