/**
 * How replicas on one PostgreSQL keep each other informed (issue #16 §4): one dedicated connection per process
 * LISTENs on two channels, and the stores NOTIFY them.
 *
 * - `igny8_kv`: a site's key/value row changed (settings snapshot, circuit breaker, sealed credentials, structure
 *   facts). The payload names the site and the key, never the value: the receiver reads the row again, so a value of
 *   any size and a notification lost in a reconnect both end in the row's committed state.
 * - `igny8_wake`: work for a site is due now, so an idle replica may take a share of it.
 *
 * Each notification carries its sender's replica id, and a process ignores its own. PostgreSQL delivers a
 * notification only after its transaction commits, so the row the receiver reads is at least that write. While the
 * connection is down nothing is heard: on reconnect every subscriber is told "anything may have changed".
 */
// Types only: pg loads in connect(), so a bundle holding this module does not load pg at start (see pg-store.ts).
import type pg from 'pg';

export const KV_CHANNEL = 'igny8_kv';
export const WAKE_CHANNEL = 'igny8_wake';

export interface BusSubscriber {
  value(key: string | null): void;
  wake(): void;
}

interface Payload {
  o: string;
  s: string;
  k?: string;
}

export function kvPayload(origin: string, siteId: string, key: string): string {
  return JSON.stringify({ o: origin, s: siteId, k: key } satisfies Payload);
}

export function wakePayload(origin: string, siteId: string): string {
  return JSON.stringify({ o: origin, s: siteId } satisfies Payload);
}

export class ReplicaBus {
  private readonly url: string;
  private readonly replicaId: string;
  private readonly onError: (error: unknown) => void;
  private readonly subscribers = new Map<string, Set<BusSubscriber>>();
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(url: string, replicaId: string, onError: (error: unknown) => void = () => undefined) {
    this.url = url;
    this.replicaId = replicaId;
    this.onError = onError;
  }

  /** Connects and listens; rejects if the first connection fails (the store is unusable then anyway). */
  async start(): Promise<void> {
    await this.connect();
  }

  subscribe(siteId: string, subscriber: BusSubscriber): () => void {
    let set = this.subscribers.get(siteId);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(siteId, set);
    }
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(siteId) === set) {
        this.subscribers.delete(siteId);
      }
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const { default: Pg } = await import('pg');
    const client = new Pg.Client({ connectionString: this.url, application_name: 'igny8-sidecar-bus' });
    client.on('notification', (message) => this.deliver(message.channel, message.payload));
    client.on('error', (error) => {
      this.onError(error);
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${KV_CHANNEL}`);
    await client.query(`LISTEN ${WAKE_CHANNEL}`);
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.failures = 0;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client || this.stopped) {
      return;
    }
    this.client = undefined;
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer !== undefined) {
      return;
    }
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
    this.failures += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().then(
        () => {
          // Whatever was said while we were not listening: read everything again.
          for (const set of this.subscribers.values()) {
            for (const subscriber of set) {
              subscriber.value(null);
              subscriber.wake();
            }
          }
        },
        (error: unknown) => {
          this.onError(error);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref();
  }

  private deliver(channel: string, raw: string | undefined): void {
    let payload: Payload;
    try {
      payload = JSON.parse(raw ?? '') as Payload;
    } catch {
      return;
    }
    if (payload.o === this.replicaId || typeof payload.s !== 'string') {
      return;
    }
    const set = this.subscribers.get(payload.s);
    if (set === undefined) {
      return;
    }
    for (const subscriber of set) {
      if (channel === KV_CHANNEL && typeof payload.k === 'string') {
        subscriber.value(payload.k);
      } else if (channel === WAKE_CHANNEL) {
        subscriber.wake();
      }
    }
  }
}
