/**
 * The one status table (SPEC §5), from the contract, with the site's overrides from settings on top.
 */
import { contract } from '../contract/contract.ts';

export interface StatusMap {
  igny8ToWp: Record<string, string>;
  wpToIgny8: Record<string, string>;
}

const WP_STATUSES = new Set(contract.status_maps.wp_statuses);

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {};
  }
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** The active map: contract defaults, overridden per key by `igny8_status_map_*` settings. */
export function activeStatusMap(settings: Record<string, unknown> = {}): StatusMap {
  const igny8ToWp = { ...contract.status_maps.igny8_to_wp, ...stringRecord(settings.igny8_status_map_igny8_to_wp) };
  // An override may only produce statuses WordPress has; anything else falls back to the default.
  for (const [key, wp] of Object.entries(igny8ToWp)) {
    if (!WP_STATUSES.has(wp)) {
      igny8ToWp[key] = contract.status_maps.igny8_to_wp_default;
    }
  }
  return {
    igny8ToWp,
    wpToIgny8: { ...contract.status_maps.wp_to_igny8, ...stringRecord(settings.igny8_status_map_wp_to_igny8) },
  };
}

export function igny8ToWp(map: StatusMap, igny8Status: string): string {
  return map.igny8ToWp[igny8Status.toLowerCase()] ?? contract.status_maps.igny8_to_wp_default;
}

export function wpToIgny8(map: StatusMap, wpStatus: string): string {
  return map.wpToIgny8[wpStatus] ?? contract.status_maps.wp_to_igny8_default;
}

/** IGNY8 statuses the maps know: the IGNY8 → WordPress keys and the WordPress → IGNY8 results. */
export const IGNY8_STATUSES: readonly string[] = [
  ...new Set([...Object.keys(contract.status_maps.igny8_to_wp), ...Object.values(contract.status_maps.wp_to_igny8)]),
];

/**
 * Why an override of the settings screen cannot be saved, or undefined: each direction keeps the contract's keys,
 * IGNY8 → WordPress may only produce statuses WordPress receives, WordPress → IGNY8 only statuses IGNY8 knows.
 */
export function statusMapProblem(direction: 'igny8_to_wp' | 'wp_to_igny8', overrides: Record<string, string>): string | undefined {
  const keys = Object.keys(contract.status_maps[direction]);
  const values = direction === 'igny8_to_wp' ? contract.status_maps.wp_statuses : IGNY8_STATUSES;
  for (const [key, value] of Object.entries(overrides)) {
    if (!keys.includes(key)) {
      return `"${key}" is not a status this map has (${keys.join(', ')}).`;
    }
    if (!values.includes(value)) {
      return `"${key}" cannot map to "${value}": choose one of ${values.join(', ')}.`;
    }
  }
  return undefined;
}
