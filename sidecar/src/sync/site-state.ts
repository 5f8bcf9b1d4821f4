/**
 * What the sync worker knows about the site between requests: its id (`sid`), the plugin settings and the site
 * clock, as the last verified shim message carried them (a proxied request's ctx, a sync event's ctx, or
 * `list_pending`). Persisted, so a restarted sidecar can deliver before WordPress calls again.
 */
import type { SiteClock } from '../mapping/site-time.ts';
import type { SiteValues } from './site-values.ts';

export interface SiteSnapshot {
  sid: string;
  settings: Record<string, unknown>;
  site: { home_url?: string; timezone?: string; gmt_offset?: number };
  updatedAt: number;
}

export type SyncMode = 'auto' | 'manual';
export type SyncTarget = 'tasks' | 'webhook';

export const SITE_STATE_KEY = 'site';
const KEY = SITE_STATE_KEY;

export class SiteState {
  private snapshot: SiteSnapshot | undefined;
  private readonly store: SiteValues;
  private readonly fallbackBaseUrl: string | undefined;
  private readonly clock: () => number;

  constructor(store: SiteValues, fallbackBaseUrl: string | undefined, clock: () => number = Date.now) {
    this.store = store;
    this.fallbackBaseUrl = fallbackBaseUrl;
    this.clock = clock;
    this.snapshot = store.getJson<SiteSnapshot>(KEY);
  }

  /** Another replica stored a newer snapshot (sync/replica-link.ts). */
  reload(): void {
    this.snapshot = this.store.getJson<SiteSnapshot>(KEY);
  }

  current(): SiteSnapshot | undefined {
    return this.snapshot;
  }

  sid(): string | undefined {
    return this.snapshot?.sid;
  }

  /**
   * Records what a verified shim message says; returns the sync mode change, if any, and whether the site itself
   * changed (another `sid`: a reinstalled site answering on the same address).
   */
  update(
    sid: string,
    settings: Record<string, unknown>,
    site: SiteSnapshot['site'],
  ): { modeChanged: SyncMode | undefined; siteChanged: boolean; settingsChanged: boolean } {
    const siteChanged = this.snapshot !== undefined && this.snapshot.sid !== sid;
    const before = this.syncMode();
    const next: SiteSnapshot = {
      sid,
      settings,
      site: { home_url: site.home_url, timezone: site.timezone, gmt_offset: site.gmt_offset },
      updatedAt: this.clock(),
    };
    const changed = JSON.stringify({ ...next, updatedAt: 0 }) !== JSON.stringify({ ...(this.snapshot ?? {}), updatedAt: 0 });
    const settingsChanged = JSON.stringify(settings) !== JSON.stringify(this.snapshot?.settings ?? {});
    this.snapshot = next;
    if (changed) {
      this.store.setJson(KEY, next);
    }
    const after = this.syncMode();
    return { modeChanged: before !== after ? after : undefined, siteChanged, settingsChanged };
  }

  settings(): Record<string, unknown> {
    return this.snapshot?.settings ?? {};
  }

  syncMode(): SyncMode {
    return this.settings().igny8_sync_mode === 'manual' ? 'manual' : 'auto';
  }

  target(): SyncTarget {
    return this.settings().igny8_sync_target === 'webhook' ? 'webhook' : 'tasks';
  }

  connectionEnabled(): boolean {
    return this.settings().igny8_connection_enabled !== false;
  }

  /** The IGNY8 API base URL from settings, else the sidecar's configured default (development). */
  baseUrl(): string | undefined {
    const configured = this.settings().igny8_api_base_url;
    if (typeof configured === 'string' && configured.trim() !== '') {
      return configured.trim();
    }
    return this.fallbackBaseUrl;
  }

  siteClock(): SiteClock {
    return { timezone: this.snapshot?.site.timezone, gmtOffsetHours: this.snapshot?.site.gmt_offset };
  }
}
