import sidecarPackage from '../package.json' with { type: 'json' };

/** The sidecar's package version (reported by /status and /healthz). */
export const SIDECAR_VERSION: string = sidecarPackage.version;
