import type { Clock } from './clock';

/** An opaque timer handle. */
export type TimerHandle = unknown;

/**
 * One-shot timers. The client SDK and the in-memory transport take their timers through this,
 * so tests drive backoff, liveness and link delay with a {@link ManualScheduler} instead of sleeping.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The host's own timers (browser or Node). */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * {@link Timers} plus a callback that runs after the I/O already waiting (Node's `setImmediate`):
 * what the server's tick driver needs to read its sockets before catching up after a stall.
 */
export interface LoopTimers extends Timers {
  setImmediate(fn: () => void): void;
}

/** The host's timers and `setImmediate` (Node only: the server's tick driver). */
export const realLoopTimers: LoopTimers = {
  ...realTimers,
  setImmediate: (fn) => void globalThis.setImmediate(fn),
};

interface Pending {
  at: number;
  order: number;
  fn: () => void;
}

/**
 * A clock and timers that move only when told to: {@link advance} runs every timer that falls
 * due, in due order, each with the clock set to its due time.
 */
export class ManualScheduler implements Clock, Timers {
  private t: number;
  private order = 0;
  private readonly pending = new Set<Pending>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), order: this.order++, fn };
    this.pending.add(p);
    return p;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as Pending);
  }

  /** Move time forward by `ms` (≥ 0), firing due timers on the way (including ones they set). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError('ManualScheduler cannot go backwards');
    const end = this.t + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.order < next.order))) next = p;
      if (!next) break;
      this.pending.delete(next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
