/**
 * A site's key/value state (settings snapshot, circuit breaker, connection report, sealed credentials, structure
 * push facts) read synchronously from memory: loaded from the store once when the site's sync opens, written
 * through on every change. The values are small and read on every request and delivery; the queue itself is never
 * cached (every job call goes to the store).
 *
 * With the SQLite store a write lands before the call returns. With PostgreSQL writes are queued in order and
 * `flush()` waits for them (the sync's close awaits it); a failed write is logged, the memory copy stays.
 */
import type { QueueStore } from '../adapters/queue-store.ts';
import type { Logger } from '../logger.ts';

export class SiteValues {
  private readonly values: Map<string, string>;
  private readonly store: QueueStore;
  private readonly logger: Logger | undefined;
  private readonly synchronous: boolean;
  private pending: Promise<void> = Promise.resolve();

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
    this.write(() => this.store.setValue(key, value));
  }

  setJson(key: string, value: unknown): void {
    this.set(key, JSON.stringify(value));
  }

  delete(key: string): void {
    if (!this.values.delete(key)) {
      return;
    }
    this.write(() => this.store.deleteValue(key));
  }

  /** Resolves when every write so far reached the store. */
  flush(): Promise<void> {
    return this.pending;
  }

  /** In order: a set and a delete of one key must reach PostgreSQL in the order they were made. */
  private write(work: () => unknown): void {
    if (this.synchronous) {
      work();
      return;
    }
    this.pending = this.pending.then(work).then(
      () => undefined,
      (error: unknown) => this.logger?.error({ err: error }, 'writing sync state to the store failed'),
    );
  }
}
