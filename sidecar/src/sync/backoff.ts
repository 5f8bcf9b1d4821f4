/**
 * Retry timing for retryable failures (network, 5xx, 429): exponential backoff with full jitter in the upper half
 * ([d/2, d]), so a fleet of queued posts does not hammer IGNY8 in lockstep when it comes back. A server's
 * Retry-After wins when it asks for more, within a cap.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  retryAfterCapMs: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random, retryAfterMs?: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  const jittered = ceiling / 2 + random() * (ceiling / 2);
  if (retryAfterMs !== undefined) {
    return Math.max(jittered, Math.min(retryAfterMs, policy.retryAfterCapMs));
  }
  return Math.round(jittered);
}
