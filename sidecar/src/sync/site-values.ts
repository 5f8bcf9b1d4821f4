/**
 * A site's key/value state (settings snapshot, circuit breaker, connection report, sealed credentials, structure
 * push facts) read synchronously from memory: loaded from the store once when the site's sync opens, written
 * through on every change. The values are small and read on every request and delivery; the queue itself is never
 * cached (every job call goes to the store).
 *
 * With the SQLite store a write lands before the call returns. With PostgreSQL writes are queued in order and
 * `flush()` waits for them (the sync's close awaits it); a failed write is logged, the memory copy stays.
 *
 * Replicas (issue #16 §4): another process's write is announced (sync/replica-link.ts) and `refresh()` reads the
 * key again, unless a write of that key from here is still on its way (it lands later, so it is the newer one; the
 * others then read it). Listeners (`onChange`) re-derive what they keep from a value (the site snapshot, the breaker).
 */
import type { QueueStore } from '../adapters/queue-store.ts';
import type { Logger } from '../logger.ts';

export class SiteValues {
  private readonly values: Map<string, string>;
  private readonly store: QueueStore;
  private readonly logger: Logger | undefined;
  private readonly synchronous: boolean;
  private pending: Promise<void> = Promise.resolve();
  /** Local writes per key not yet in the store. */
  private readonly writing = new Map<string, number>();
  /** Counts local writes, so a re-read that raced one of them is dropped. */
  private localWrites = 0;
  private readonly listeners = new Set<(key: string) => void>();
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(store: QueueStore, values: Iterable<[string, string]>, synchronous: boolean, logger: Logger | undefined) {
    this.store = store;
    this.values = new Map(values);
    this.synchronous = synchronous;
    this.logger = logger;
  }

  static async load(store: QueueStore, logger?: Logger): Promise<SiteValues> {
    const values = store.values();
    return values instanceof Promise ? new SiteValues(store, await values, false, logger) : new SiteValues(store, values, true, logger);
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  getJson<T>(key: string): T | undefined {
    const value = this.values.get(key);
    if (value === undefined) {
      return undefined;
    }
    try {
      return JSON.parse(value) as T;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: string): void {
    this.values.set(key, value);
    this.write(key, () => this.store.setValue(key, value));
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    if (!this.values.delete(key)) {
      return;
    }
    this.write(key, () => this.store.deleteValue(key));
  }

  /** Called with the key after another process changed it here (not for this process's own writes). */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Another process changed `key` (null: any key): reads it from the store again. Refreshes run one at a time, in
   * the order they were asked for; resolves when this one is applied.
   */
  refresh(key: string | null): Promise<void> {
    this.refreshing = this.refreshing.then(
      () => this.reread(key),
      () => this.reread(key),
    );
    return this.refreshing;
  }

  private async reread(key: string | null): Promise<void> {
    const before = this.localWrites;
    let fresh: Map<string, string | undefined>;
    try {
      if (key === null) {
        const all = new Map<string, string | undefined>(await this.store.values());
        for (const known of this.values.keys()) {
          if (!all.has(known)) {
            all.set(known, undefined);
          }
        }
        fresh = all;
      } else {
        fresh = new Map([[key, await this.store.getValue(key)]]);
      }
    } catch (error) {
      this.logger?.error({ err: error }, 'reading sync state changed by another replica failed');
      return;
    }
    if (this.localWrites !== before) {
      // A write from here happened meanwhile: it may be newer than what was read. Read again after it lands.
      await this.pending;
      return this.reread(key);
    }
    for (const [name, value] of fresh) {
      if ((this.writing.get(name) ?? 0) > 0 || this.values.get(name) === value) {
        continue;
      }
      if (value === undefined) {
        this.values.delete(name);
      } else {
        this.values.set(name, value);
      }
      for (const listener of this.listeners) {
        listener(name);
      }
    }
  }

  /** Resolves when every write so far reached the store. */
  flush(): Promise<void> {
    return this.pending;
  }

  /** In order: a set and a delete of one key must reach PostgreSQL in the order they were made. */
  private write(key: string, work: () => unknown): void {
    if (this.synchronous) {
      work();
      return;
    }
    this.localWrites += 1;
    this.writing.set(key, (this.writing.get(key) ?? 0) + 1);
    const done = () => {
      const left = (this.writing.get(key) ?? 1) - 1;
      if (left > 0) {
        this.writing.set(key, left);
      } else {
        this.writing.delete(key);
      }
    };
    this.pending = this.pending.then(work).then(
      () => done(),
      (error: unknown) => {
        done();
        this.logger?.error({ err: error }, 'writing sync state to the store failed');
      },
    );
  }
}
