/**
 * Rotating the credentials key (docs/hosted-sidecar.md, Secret rotation). Every sealed value names the id of the key
 * that sealed it (credential-cipher.ts), so a new key can seal from now on while the previous keys still open what
 * they sealed. Re-sealing moves each value to the current key, one value at a time and compare-and-swap: a value
 * changed meanwhile is left to its writer (it sealed with its own current key), so a run can be interrupted and run
 * again, and a second run finds nothing to do. Once no value names a previous key, that key can be retired; a start
 * with a value whose key is not given refuses (CredentialKeyMissingError) instead of serving sites whose secrets do
 * not open.
 *
 * What is sealed: a site's IGNY8 credentials in its key/value state (`credential:<site>:<field>`, SQLite or
 * PostgreSQL) and, hosted, each site's signing secret in `igny8_sites` (site-registry.ts). A settings save's staged
 * secrets travel in the conversation state for one exchange only: keep the previous key until those have expired.
 */
import { CredentialCipher, CredentialDecryptError } from './credential-cipher.ts';
import type { Awaitable } from './queue-store.ts';

const SLOT_PREFIX = 'credential:';

/** The key/value key of a site's sealed IGNY8 credential field. */
export const credentialSlot = (site: string, field: string): string => `${SLOT_PREFIX}${site}:${field}`;

/** The site and field a key/value key holds a sealed credential of, or undefined for any other key. */
export function parseCredentialSlot(key: string): { site: string; field: string } | undefined {
  if (!key.startsWith(SLOT_PREFIX)) {
    return undefined;
  }
  const at = key.lastIndexOf(':');
  return at <= SLOT_PREFIX.length ? undefined : { site: key.slice(SLOT_PREFIX.length, at), field: key.slice(at + 1) };
}

/** What one re-seal pass did. */
export interface ResealCounts {
  /** Sealed again with the current key. */
  resealed: number;
  /** Sealed with the current key already. */
  current: number;
  /** Naming a key the ring does not hold: left as they are (they open nowhere until that key is given). */
  missingKey: number;
  /** Not opening with the key they name (tampered, or not a sealed value): left as they are. */
  unreadable: number;
  /** Changed by another writer between the read and the write: left to that writer (run again to check them). */
  changed: number;
}

export const noReseal = (): ResealCounts => ({ resealed: 0, current: 0, missingKey: 0, unreadable: 0, changed: 0 });

export function addReseal(total: ResealCounts, more: ResealCounts): ResealCounts {
  for (const key of Object.keys(total) as Array<keyof ResealCounts>) {
    total[key] += more[key];
  }
  return total;
}

export type ResealOutcome = keyof ResealCounts;

/**
 * Re-seals one stored value: `replace(next)` writes it only if the stored value is still `stored`, and says whether
 * it did. The outcome counts where the value went.
 */
export async function resealOne(
  cipher: CredentialCipher,
  at: { site: string; field: string },
  stored: string,
  replace: (next: string) => Awaitable<boolean>,
): Promise<ResealOutcome> {
  let sealed: unknown;
  try {
    sealed = JSON.parse(stored);
  } catch {
    return 'unreadable';
  }
  const kid = CredentialCipher.sealedKid(sealed);
  if (kid === undefined) {
    return 'unreadable';
  }
  if (kid === cipher.kid) {
    return 'current';
  }
  if (!cipher.has(kid)) {
    return 'missingKey';
  }
  let next;
  try {
    next = cipher.reseal(at.site, at.field, sealed);
  } catch (error) {
    if (error instanceof CredentialDecryptError) {
      return 'unreadable';
    }
    throw error;
  }
  if (next === undefined) {
    return 'current';
  }
  return (await replace(JSON.stringify(next))) ? 'resealed' : 'changed';
}

/** A site's key/value state as re-sealing needs it (both stores: adapters/sync-store.ts and pg-store.ts). */
export interface ResealableValues {
  values(): Awaitable<Array<[string, string]>>;
  /** Writes `value` only while the stored value is `expected`; whether it did. */
  replaceValue(key: string, expected: string, value: string): Awaitable<boolean>;
}

/** Re-seals every sealed IGNY8 credential of one site's key/value state with the current key. */
export async function resealValues(store: ResealableValues, cipher: CredentialCipher): Promise<ResealCounts> {
  const counts = noReseal();
  for (const [key, stored] of await store.values()) {
    const slot = parseCredentialSlot(key);
    if (slot !== undefined) {
      counts[await resealOne(cipher, slot, stored, (next) => store.replaceValue(key, stored, next))] += 1;
    }
  }
  return counts;
}

/** How many sealed values name each key id, from the stored (JSON) values. */
export function keyIdsOf(storedValues: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stored of storedValues) {
    let kid: string | undefined;
    try {
      kid = CredentialCipher.sealedKid(JSON.parse(stored));
    } catch {
      kid = undefined;
    }
    if (kid !== undefined) {
      counts.set(kid, (counts.get(kid) ?? 0) + 1);
    }
  }
  return counts;
}

/** The sealed credential values of a key/value listing. */
export const sealedCredentialValues = (entries: Iterable<[string, string]>): string[] =>
  [...entries].filter(([key]) => parseCredentialSlot(key) !== undefined).map(([, value]) => value);

/** Start-up refuses while a stored value names a credentials key the sidecar is not given. */
export class CredentialKeyMissingError extends Error {
  readonly missing: ReadonlyArray<{ kid: string; count: number }>;

  constructor(missing: ReadonlyArray<{ kid: string; count: number }>, how: string) {
    const total = missing.reduce((sum, entry) => sum + entry.count, 0);
    super(
      `${total} sealed value${total === 1 ? '' : 's'} name${total === 1 ? 's' : ''} a credentials key this sidecar is not given ` +
        `(${missing.map((entry) => `key id ${entry.kid}: ${entry.count}`).join('; ')}). ` +
        `Give the key that sealed them in IGNY8_SIDECAR_CREDENTIALS_KEY_PREVIOUS (or _FILE), beside the current key, and ${how}; ` +
        `retire it only once no value names it. A lost key cannot be recovered: the sites concerned must enrol and enter their IGNY8 credentials again.`,
    );
    this.name = 'CredentialKeyMissingError';
    this.missing = missing;
  }
}

/** Throws CredentialKeyMissingError when `counts` (key id → values) names a key id the ring does not hold. */
export function requireKeys(counts: ReadonlyMap<string, number>, cipher: CredentialCipher, how: string): void {
  const missing = [...counts].filter(([kid]) => !cipher.has(kid)).map(([kid, count]) => ({ kid, count }));
  if (missing.length > 0) {
    throw new CredentialKeyMissingError(missing, how);
  }
}
