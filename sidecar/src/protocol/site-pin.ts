/**
 * The one WordPress site a single-site sidecar serves (issue #12 item 7). Every shim request's `sid` claim must equal
 * it, and the transport keys are derived from it (keys.ts), so on a multisite network whose subsites share one
 * IGNY8_SIDECAR_SECRET a subsite cannot drive another subsite's sidecar.
 *
 * The id is IGNY8_SIDECAR_SITE_ID when configured (Settings → IGNY8 → Sidecar prints it with the other env lines). Without it
 * the sidecar pins the id of the first request that passes every check, and keeps it in `site-id` in its data folder
 * across restarts (trust on first use).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SITE_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class SitePin {
  private sid: string | undefined;
  private readonly file: string | undefined;
  /** True when IGNY8_SIDECAR_SITE_ID fixed the id (nothing is learned or written). */
  readonly configured: boolean;

  /**
   * @param options.configured IGNY8_SIDECAR_SITE_ID, already validated.
   * @param options.dataDir    Where the learned id is kept; undefined = in memory only (tests, `check`).
   */
  constructor(options: { configured?: string | undefined; dataDir?: string | undefined } = {}) {
    this.configured = options.configured !== undefined;
    this.file = options.dataDir === undefined ? undefined : join(options.dataDir, 'site-id');
    this.sid = options.configured ?? this.readFile();
  }

  /** The pinned site id; undefined until the first verified request when IGNY8_SIDECAR_SITE_ID is not set. */
  get(): string | undefined {
    return this.sid;
  }

  /** Pins `sid` if nothing is pinned yet (called only once a request passed every check). */
  learn(sid: string): void {
    if (this.sid !== undefined) {
      return;
    }
    this.sid = sid;
    if (this.file !== undefined) {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, `${sid}\n`, { mode: 0o600 });
      renameSync(tmp, this.file);
    }
  }

  private readFile(): string | undefined {
    if (this.file === undefined) {
      return undefined;
    }
    try {
      const text = readFileSync(this.file, 'utf8').trim();
      return text.length > 0 && text.length <= 100 ? text : undefined;
    } catch {
      return undefined;
    }
  }
}
