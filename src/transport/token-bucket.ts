/**
 * A token bucket: `ratePerSecond` tokens refill continuously up to `burst`; each message takes
 * one. Time comes in as an argument, so the limiter runs on whatever clock the server was given.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** How long until the next token, ms (0: one is there now). */
  msUntilToken(now: number): number {
    const tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) * this.ratePerSecond) / 1000);
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / this.ratePerSecond);
  }

  /** Take one token; false means the caller is over its rate. */
  take(now: number): boolean {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.last = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
