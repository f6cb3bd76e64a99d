import { BotPhase, type Bot } from './bot';

/**
 * Most inputs one bot catches up in one wake-up: a longer stall of the bots process skips the
 * rest (the server repeats the last input for those ticks), as a browser tab would.
 */
const MAX_CATCH_UP_TICKS = 3;

/**
 * The one timer that paces every bot in the process. Each bot's SDK runs its own input clock,
 * a little ahead of the server and steered by how early its inputs arrive (tick sync); each
 * wake-up sends every bot the inputs its clock says are due, then sleeps until the soonest next
 * one, so bots need no timer of their own.
 *
 * ```
 * setTimeout ─► for each bot: inputsDue(now) × bot.tick() ─► sleep until the soonest is due
 * ```
 */
export class TickDriver {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private stopped = false;
  /** Wake-ups, and inputs skipped because a bot fell more than 3 behind. */
  private wakes = 0;
  private skipped = 0;

  /** `wake(now)` plays what is due and returns ms until the next wake-up. */
  constructor(private readonly wakeUp: (now: number) => { nextMs: number; skipped: number }) {}

  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** Wake-ups so far, and inputs skipped by the catch-up bound. */
  get counters(): { wakes: number; skippedInputs: number } {
    return { wakes: this.wakes, skippedInputs: this.skipped };
  }

  /** Start waking (no-op if already started). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.timer = setTimeout(this.wake, 1);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // A bound arrow made once, so rescheduling allocates no closure per wake-up.
  private readonly wake = (): void => {
    if (this.stopped) return;
    this.wakes++;
    const r = this.wakeUp(performance.now());
    this.skipped += r.skipped;
    // Round up: waking a little late costs nothing (the input clocks keep the average), waking
    // early costs an empty wake-up.
    this.timer = setTimeout(this.wake, Math.max(1, Math.ceil(r.nextMs)));
  };
}

/**
 * The driver for a set of bots: each wake-up, every bot in `bots` that is in a room plays the
 * ticks its input clock says are due. `bots` is walked as an array (no iterator per wake-up)
 * and may change between them; `tickRate` is read each time, as it is only known from the
 * first WELCOME.
 */
export function botDriver(bots: readonly Bot[], tickRate: () => number): TickDriver {
  const result = { nextMs: 0, skipped: 0 };
  return new TickDriver((now) => {
    const rate = tickRate();
    let next = 1000 / rate;
    let skipped = 0;
    for (let i = 0; i < bots.length; i++) {
      const bot = bots[i];
      if (bot.phase !== BotPhase.Joined) continue;
      const client = bot.client;
      const before = client.stats.inputsSkipped;
      for (let n = client.inputsDue(now, MAX_CATCH_UP_TICKS); n > 0; n--) bot.tick(rate, now);
      skipped += client.stats.inputsSkipped - before;
      const wait = client.msUntilNextInput(now);
      if (wait < next) next = wait;
    }
    result.nextMs = next;
    result.skipped = skipped;
    return result;
  });
}
