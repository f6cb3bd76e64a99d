/**
 * A bound on the joins under way at once (first come, first served). Connecting thousands of
 * bots at once overflows the server's accept queue (Node listens with a backlog of 511): the
 * kernel drops the SYNs beyond it, the clients retry after 1, 3, 7 s, and most run out their
 * join timeout without the server ever being slow. Bots wait for a slot instead, and a bot's
 * join timeout starts when it gets one.
 */
export class JoinSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  /** @param size joins at once, ≥ 1 */
  constructor(size: number) {
    if (!(size >= 1)) throw new RangeError(`JoinSlots needs at least 1 slot, got ${size}`);
    this.free = Math.floor(size);
  }

  /** Resolves when a slot is this caller's; give it back with {@link release}. */
  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Give a slot back: the longest-waiting caller gets it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }
}
