import { FixedStepLoop } from '../../src/loop/fixed-step-loop';
import { BotPhase, type Bot } from './bot';

/**
 * Most ticks one wake-up may catch up. The server queues at most 4 inputs per player by default
 * (`inputBufferTicks`) and drops the oldest beyond that, so a bigger burst would only lose inputs.
 */
const MAX_CATCH_UP_TICKS = 3;

/**
 * The one timer that paces every bot in the process. A fixed-step accumulator on
 * `performance.now()` turns whatever the timer's jitter is into exactly `tickRate` ticks per
 * second on average, so each bot sends one input per server tick without a timer of its own.
 *
 * ```
 * setTimeout ─► advance(now) ─► 0..3 × onTick() ─► sleep until the next tick is due
 * ```
 */
export class TickDriver {
  private loop: FixedStepLoop | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(private readonly onTick: () => void) {}

  get running(): boolean {
    return this.loop !== undefined && !this.stopped;
  }

  /** Ticks run, times the catch-up bound was hit, and ticks dropped by it. */
  get counters(): { ticks: number; overruns: number; droppedTicks: number } {
    const l = this.loop;
    return { ticks: l?.steps ?? 0, overruns: l?.overruns ?? 0, droppedTicks: l?.droppedSteps ?? 0 };
  }

  /**
   * Start ticking at `tickRate` Hz (no-op if already started). Call it at the first WELCOME:
   * a new room starts its clock as its first player joins, so ticking from then on would send
   * every input just after a server tick, to wait a whole tick to be applied. Half a step out of
   * phase, inputs wait half a tick on average, as a client at a random phase would.
   */
  start(tickRate: number): void {
    if (this.loop || this.stopped) return;
    const stepMs = 1000 / tickRate;
    this.loop = new FixedStepLoop({ stepMs, maxCatchUpSteps: MAX_CATCH_UP_TICKS }, this.onTick);
    this.loop.start(performance.now() - stepMs / 2);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped || !this.loop) return;
    // Round up: waking a little late costs nothing (the accumulator keeps the average exact),
    // waking early costs an empty wake-up.
    const wait = Math.max(1, Math.ceil(this.loop.msUntilNextStep()));
    this.timer = setTimeout(this.wake, wait);
  }

  // A bound arrow made once, so rescheduling allocates no closure per tick.
  private readonly wake = (): void => {
    this.loop!.advance(performance.now());
    this.schedule();
  };
}

/**
 * The driver for a set of bots: each tick, every bot in `bots` that is in a room plays one
 * tick. `bots` is walked as an array (no iterator per tick) and may change between ticks;
 * `tickRate` is read each tick, as it is only known from the first WELCOME.
 */
export function botDriver(bots: readonly Bot[], tickRate: () => number): TickDriver {
  return new TickDriver(() => {
    const now = performance.now();
    const rate = tickRate();
    for (let i = 0; i < bots.length; i++) {
      const bot = bots[i];
      if (bot.phase === BotPhase.Joined) bot.tick(rate, now);
    }
  });
}
