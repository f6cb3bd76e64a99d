/** Reconnect pacing: exponential backoff with full jitter. */
export interface BackoffOptions {
  /** The first retry waits a random 0..this, ms (default 250): most drops are brief. */
  baseDelayMs?: number;
  /** No wait is longer than this, ms (default 5000). */
  maxDelayMs?: number;
}

/**
 * The wait before reconnect attempt `attempt` (0-based): uniform in [0, min(max, base × 2^attempt)].
 * Full jitter spreads a crowd that dropped together (a server restart, a Wi-Fi blip in one
 * venue) so the retries do not arrive as one storm.
 *
 * @param random a uniform number in [0, 1)
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 5000;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}
