/**
 * What each WordPress version's block `save()` writes where it differs, read from core's own
 * `wp-includes/js/dist/block-library.js` of 6.1.9, 6.2–6.5.5 and 6.6-RC3. A block whose stored markup differs from
 * its `save()` output opens as "invalid content", so the serializer follows these exactly.
 */
export interface BlockMarkup {
  /** `core/heading` supports className since 6.2: `<h2 class="wp-block-heading">`. */
  headingClass: boolean;
  /** `core/list` supports className since 6.6: `<ul class="wp-block-list">`. */
  listClass: boolean;
  /** `core/table` cells keep `colspan` / `rowspan` since 6.2. */
  tableSpans: boolean;
}

/** `6.1.9`, `6.6-RC3` → [6, 1], [6, 6]; an unreadable version gets the newest markup. */
function majorMinor(wpVersion: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(wpVersion);
  return match ? [Number(match[1]), Number(match[2])] : [Number.MAX_SAFE_INTEGER, 0];
}

const atLeast = ([major, minor]: [number, number], wantMajor: number, wantMinor: number): boolean =>
  major > wantMajor || (major === wantMajor && minor >= wantMinor);

export function blockMarkup(wpVersion: string): BlockMarkup {
  const version = majorMinor(wpVersion);
  return {
    headingClass: atLeast(version, 6, 2),
    listClass: atLeast(version, 6, 6),
    tableSpans: atLeast(version, 6, 2),
  };
}
