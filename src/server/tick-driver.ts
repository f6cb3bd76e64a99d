import type { Clock } from '../loop/clock';
import type { LoopTimers, TimerHandle } from '../loop/timers';

/** Longest the driver sleeps when no room is due, ms. */
const IDLE_WAKE_MS = 50;
/** A wake-up this late, ms, means the process stalled: see `drive`. */
const STALL_MS = 50;

/** What the driver asks when it should next wake. */
export interface TickSchedule {
  /** Time until the next room step is due, ms (Infinity with no rooms). */
  msUntilNextStep(): number;
}

/**
 * Drives the server in real time: sleeps until the next room step is due (at most 50 ms), then
 * runs `pump` and sleeps again. One timer for every room. Tests leave it off (`autoTick: false`)
 * and call `pump` themselves with a ManualClock.
 */
export class TickDriver {
  private timer: TimerHandle | undefined;
  /** When the timer should fire, ms on the server clock; and whether a late one deferred. */
  private wakeAt = 0;
  private deferredDrive = false;
  /** Set when the rooms stop for good: no further wake-up is scheduled. */
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly schedule: TickSchedule,
    /** Runs the due ticks and the housekeeping at the clock's current time. */
    private readonly pump: () => void,
    /** The host's timers and setImmediate (the `driveTimers` server option; the netcode bench simulates them). */
    private readonly timers: LoopTimers,
  ) {}

  /** Schedule the first wake-up. Calling it again while it runs does nothing. */
  start(): void {
    if (this.timer === undefined && !this.stopped) this.scheduleDrive();
  }

  /** Stop for good: the pending wake-up is cancelled and none follows. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
  }

  private scheduleDrive(): void {
    // Rooms keep ticking through a drain: players play on until the 1001.
    if (this.stopped) return;
    const wait = Math.max(1, Math.floor(Math.min(IDLE_WAKE_MS, this.schedule.msUntilNextStep())));
    this.wakeAt = this.clock.now() + wait;
    this.timer = this.timers.setTimeout(this.drive, wait);
  }

  // Made once, so each wake-up schedules the next without allocating a closure.
  private readonly drive = (): void => {
    // Woken late (the process stalled: a GC pause, a busy host): read what the sockets hold
    // before catching up. Node runs timers before I/O, so catching up at once would simulate
    // the missed ticks without the inputs that arrived for them during the stall.
    if (!this.deferredDrive && this.clock.now() - this.wakeAt > STALL_MS) {
      this.deferredDrive = true;
      this.timers.setImmediate(this.drive);
      return;
    }
    this.deferredDrive = false;
    this.pump();
    this.scheduleDrive();
  };
}
