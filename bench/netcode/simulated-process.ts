import type { LoopTimers, ManualScheduler, TimerHandle, Timers } from '../../src/loop/timers';

/**
 * The server's process on a {@link ManualScheduler}, so that a stall (a GC pause, an overloaded
 * host) reaches the server's own tick driver rather than a model of it in the rig.
 *
 * The server drives its ticks through {@link timers} (its `driveTimers` option) and reads its
 * links through {@link io} (the memory links' timers). While the process is stalled, whatever
 * falls due on either is held; when the stall ends it runs in the order of one turn of Node's
 * event loop: the timers first (the tick driver wakes, late), then the I/O (the messages that
 * arrived meanwhile), then `setImmediate` callbacks. So whether the inputs sent during a stall
 * are read before the missed ticks run is up to the driver's code in src/server, as in
 * production, and a regression there shows in `npm run netcode`'s stall row.
 */
export class SimulatedProcess {
  private stalled = false;
  private releasing = false;
  private readonly heldTimers: (() => void)[] = [];
  private readonly heldIo: (() => void)[] = [];
  private readonly immediates: (() => void)[] = [];

  constructor(private readonly time: ManualScheduler) {}

  /** The tick driver's timers. A held timer can no longer be cleared (the server clears its driver only on shutdown). */
  readonly timers: LoopTimers = {
    setTimeout: (fn: () => void, ms: number): TimerHandle => this.time.setTimeout(() => this.due(this.heldTimers, fn), ms),
    clearTimeout: (handle: TimerHandle) => this.time.clearTimeout(handle),
    setImmediate: (fn: () => void) => {
      // Inside a stall's release the immediates run after its I/O; otherwise after what is due now.
      if (this.stalled || this.releasing) this.immediates.push(fn);
      else this.time.setTimeout(fn, 0);
    },
  };

  /** Timers that deliver messages to the server's links (its I/O). */
  readonly io: Timers = {
    setTimeout: (fn: () => void, ms: number): TimerHandle => this.time.setTimeout(() => this.due(this.heldIo, fn), ms),
    clearTimeout: (handle: TimerHandle) => this.time.clearTimeout(handle),
  };

  /** The process runs nothing for `ms`: its timers and I/O wait, then run as one loop turn. */
  stall(ms: number): void {
    if (this.stalled) throw new Error('the simulated process is already stalled');
    this.stalled = true;
    this.time.setTimeout(() => this.release(), ms);
  }

  private due(held: (() => void)[], fn: () => void): void {
    if (this.stalled) held.push(fn);
    else fn();
  }

  private release(): void {
    this.stalled = false;
    this.releasing = true;
    // Node's phases: expired timers, then poll (I/O), then check (setImmediate).
    for (const fn of this.heldTimers.splice(0)) fn();
    for (const fn of this.heldIo.splice(0)) fn();
    this.releasing = false;
    for (let fn = this.immediates.shift(); fn; fn = this.immediates.shift()) fn();
  }
}
