/**
 * A cap on database reads in flight at once, over every client: past it a read is refused at
 * once (HTTP 503 with `retry-after`, a CHAT_HISTORY page 'unavailable') rather than queued, so
 * many addresses, each within its own rate, cannot stack unbounded work on the database or
 * hold memory for answers it has not started. Writes do not pass here: they are batched.
 */
export class ReadGate {
  private inFlight = 0;
  /** Reads refused because the gate was full, since start (for /health). */
  refused = 0;

  /** @param max reads in flight at once; 0 lifts the cap */
  constructor(readonly max: number) {
    if (!(Number.isInteger(max) && max >= 0))
      throw new RangeError(`maxDataReadsInFlight must be an integer ≥ 0 (0 lifts the cap), got ${max}`);
  }

  /** Reads running now. */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Run `read` if a slot is free, releasing it when the read settles; undefined (and `read`
   * not called) when the gate is full.
   */
  run<T>(read: () => Promise<T>): Promise<T> | undefined {
    if (this.max > 0 && this.inFlight >= this.max) {
      this.refused++;
      return undefined;
    }
    this.inFlight++;
    let p: Promise<T>;
    try {
      p = read();
    } catch (err) {
      p = Promise.reject(err as Error);
    }
    return p.finally(() => this.inFlight--);
  }
}
