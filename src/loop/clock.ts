/**
 * A monotonic millisecond clock. Everything time-driven in tickwire (tick loops, rate limits,
 * timeouts, the client SDK) reads time through this, so tests inject a {@link ManualClock} and
 * drive time exactly instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
}

/** `performance.now()`: monotonic, sub-millisecond, present in browsers and Node. */
export const monotonicClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  /** Move forward by `ms` (≥ 0). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualClock cannot go backwards');
    this.t += ms;
  }
}
