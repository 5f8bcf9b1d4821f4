/**
 * The shim ⇄ sidecar wire protocol version (contract `protocol_version`, MAJOR.MINOR), carried as the `pv` claim of
 * every signed message in both directions. Plugin and sidecar interoperate when the majors are equal and the minors
 * at most one apart, so either side can be upgraded first.
 */
import { contract } from '../contract/contract.ts';
import { AppError } from '../contract/errors.ts';
import { SIDECAR_VERSION } from '../version.ts';

export const PROTOCOL_VERSION: string = contract.protocol_version;

export function protocolCompatible(a: string, b: string): boolean {
  const parse = (v: string) => (/^\d+\.\d+$/.test(v) ? v.split('.').map(Number) : undefined);
  const [x, y] = [parse(a), parse(b)];
  return x !== undefined && y !== undefined && x[0] === y[0] && Math.abs((x[1] as number) - (y[1] as number)) <= 1;
}

/** 503 SIDECAR_VERSION_MISMATCH naming both versions (the shim shows it to IGNY8 and in settings). */
export function versionMismatch(pluginProtocol: string | undefined, pluginVersion?: string): AppError {
  const plugin = `${pluginVersion === undefined ? 'the plugin' : `the plugin ${pluginVersion}`} speaks protocol ${pluginProtocol ?? '(none: older than 1.0)'}`;
  return new AppError(
    'SIDECAR_VERSION_MISMATCH',
    `Plugin and sidecar versions do not match: ${plugin}, the sidecar ${SIDECAR_VERSION} speaks protocol ${PROTOCOL_VERSION}. Install the plugin and the sidecar of the same release (one minor version apart works).`,
    {
      details: {
        plugin_protocol: pluginProtocol ?? 'none',
        sidecar_protocol: PROTOCOL_VERSION,
        sidecar_version: SIDECAR_VERSION,
      },
    },
  );
}
