/**
 * Seen-`jti` cache for shim requests. The sidecar is one process, so memory is enough (architecture.md §2).
 * An entry lives until the token's exp + leeway, after which the time check refuses the token anyway.
 * The size is bounded; when it is full of live entries, new tokens are refused (fail closed) rather than
 * forgetting entries, which would reopen replays.
 */
export class ReplayCacheFullError extends Error {
  constructor() {
    super('replay cache is full');
    this.name = 'ReplayCacheFullError';
  }
}

/**
 * Where seen `jti`s are kept: this process's memory (ReplayCache, one process) or PostgreSQL (adapters/pg-guards.ts,
 * shared by every replica). `has` is an early look that may answer false when it cannot tell cheaply; `add` decides.
 */
export interface ReplayLedger {
  has(jti: string, nowSec: number): boolean | Promise<boolean>;
  /** Records `jti` until `untilSec`; false when it was already recorded (a replay). May throw ReplayCacheFullError. */
  add(jti: string, untilSec: number, nowSec: number): boolean | Promise<boolean>;
}

export class ReplayCache implements ReplayLedger {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  get size(): number {
    return this.expiries.size;
  }

  has(jti: string, nowSec: number): boolean {
    const until = this.expiries.get(jti);
    return until !== undefined && until >= nowSec;
  }

  /**
   * Records `jti` until `untilSec`. Returns false when it was already recorded (a replay).
   * Throws ReplayCacheFullError when no room can be made.
   */
  add(jti: string, untilSec: number, nowSec: number): boolean {
    if (this.has(jti, nowSec)) {
      return false;
    }
    this.dropExpiredHead(nowSec);
    if (this.expiries.size >= this.maxEntries) {
      this.purge(nowSec);
      if (this.expiries.size >= this.maxEntries) {
        throw new ReplayCacheFullError();
      }
    }
    this.expiries.set(jti, untilSec);
    return true;
  }

  /** Entries arrive roughly in expiry order, so expired ones gather at the head: amortised O(1) upkeep. */
  private dropExpiredHead(nowSec: number): void {
    for (const [jti, until] of this.expiries) {
      if (until >= nowSec) {
        return;
      }
      this.expiries.delete(jti);
    }
  }

  purge(nowSec: number): void {
    for (const [jti, until] of this.expiries) {
      if (until < nowSec) {
        this.expiries.delete(jti);
      }
    }
  }
}
