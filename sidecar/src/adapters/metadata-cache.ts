/**
 * In-memory SiteMetadataStore: key = site id + structure revision, TTL 300 s (the original plugin's 5-minute
 * transient). A new structure_rev makes old entries unreachable; they age out or are evicted oldest-first.
 */
import type { SiteMetadata, SiteMetadataStore } from '../handlers/site-metadata.ts';

export class SiteMetadataCache implements SiteMetadataStore {
  private readonly entries = new Map<string, { expiresAtMs: number; metadata: SiteMetadata }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(options: { ttlSeconds?: number; maxEntries?: number; clock?: () => number } = {}) {
    this.ttlMs = (options.ttlSeconds ?? 300) * 1000;
    this.maxEntries = options.maxEntries ?? 256;
    this.clock = options.clock ?? Date.now;
  }

  private static key(sid: string, structureRev: number): string {
    return `${sid}\u0000${structureRev}`;
  }

  get(sid: string, structureRev: number): SiteMetadata | undefined {
    const key = SiteMetadataCache.key(sid, structureRev);
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.expiresAtMs <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.metadata;
  }

  set(sid: string, structureRev: number, metadata: SiteMetadata): void {
    const key = SiteMetadataCache.key(sid, structureRev);
    this.entries.delete(key);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) {
        break;
      }
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, { expiresAtMs: this.clock() + this.ttlMs, metadata });
  }

  get size(): number {
    return this.entries.size;
  }
}
