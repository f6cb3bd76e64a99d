import { TokenBucket } from '../transport/token-bucket';

/**
 * How the server treats a token that expires while its session plays (auth on). The token's
 * `exp` is wall time; the deadlines below are kept on the server clock, which the housekeeping
 * pass (every 250 ms) compares them with: no timer per session.
 *
 * ```
 *  joined (or refreshed)        noticeAt                expiresAt        expiresAt + grace
 *  ──────┼─────────────────────────┼───────────────────────┼──────────────────┼──────►  server clock
 *        │                         NOTICE 'token-expiring' │                  close 4014 unless a
 *        │                         (secondsLeft)           exp                TOKEN_REFRESH came
 *        └── lead = min(noticeLeadMs, half the life left) ─┘
 * ```
 */
export interface TokenPolicy {
  /** How long before `exp` the notice goes out, ms (default 60 000): at most half the token's life left. */
  readonly noticeLeadMs: number;
  /** Time past `exp` before the session is closed, ms: the verifier's clock tolerance (default 5000). */
  readonly graceMs: number;
  /** The wall clock the verifier checks `exp` against, ms since the epoch (default Date.now). */
  readonly wallNow: () => number;
}

/** TOKEN_REFRESH messages a session may send: a burst of this many... */
export const REFRESH_BURST = 4;
/** ...refilled at this rate, per second (one every 15 s): a client refreshes once per token life. */
export const REFRESH_PER_SECOND = 1 / 15;

/** What a session's token needs now: nothing, the notice, or the close. */
export const TokenDue = { Nothing: 0, Notice: 1, Expired: 2 } as const;
export type TokenDue = (typeof TokenDue)[keyof typeof TokenDue];

/** One session's token deadlines and its refresh budget. */
export class TokenLifetime {
  /** When the token expires, ms on the server clock (NaN: no token, or one without `exp`). */
  expiresAt = Number.NaN;
  /** When the 'token-expiring' notice is due, ms on the server clock (NaN: sent, or none due). */
  noticeAt = Number.NaN;
  /** A TOKEN_REFRESH is being verified: a second one meanwhile is refused. */
  refreshing = false;
  private budget: TokenBucket | undefined;

  constructor(private readonly policy: TokenPolicy) {}

  /** A token was taken (at join, resume or refresh): place its deadlines. `expSec`: its `exp`. */
  set(expSec: number | undefined, now: number): void {
    if (expSec === undefined) {
      this.expiresAt = this.noticeAt = Number.NaN;
      return;
    }
    const leftMs = expSec * 1000 - this.policy.wallNow();
    this.expiresAt = now + leftMs;
    this.noticeAt = now + Math.max(0, leftMs - Math.min(this.policy.noticeLeadMs, leftMs / 2));
  }

  /** What is due at `now` (NaN deadlines compare false: nothing). The notice is due once. */
  due(now: number): TokenDue {
    if (now >= this.expiresAt + this.policy.graceMs) return TokenDue.Expired;
    if (now >= this.noticeAt) {
      this.noticeAt = Number.NaN;
      return TokenDue.Notice;
    }
    return TokenDue.Nothing;
  }

  /** Whole seconds until `exp` (0 once past), or undefined for a token with no `exp`. */
  secondsLeft(now: number): number | undefined {
    return Number.isNaN(this.expiresAt) ? undefined : Math.max(0, Math.round((this.expiresAt - now) / 1000));
  }

  /** Take a refresh from the budget; false when over it (a few per minute). */
  takeRefresh(now: number): boolean {
    this.budget ??= new TokenBucket(REFRESH_PER_SECOND, REFRESH_BURST, now);
    return this.budget.take(now);
  }
}
