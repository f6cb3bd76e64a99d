/**
 * A fixed timestep with an accumulator: wall time flows in through `advance(now)`, whole steps of
 * exactly `stepMs` flow out. Timer jitter only changes *when* steps run, never *how long* a step
 * is, which is what keeps the simulation deterministic.
 *
 * ```
 * time ──┬─────────┬─────────┬──────┬──►     advance(now) adds (now − last) to the accumulator
 *        step      step      step   │        and runs one step per whole stepMs in it,
 *        ◄─stepMs─►                 acc      at most maxCatchUpSteps per call.
 * ```
 * If the process stalls (GC pause, a debugger, an overloaded host), catch-up is bounded: after
 * `maxCatchUpSteps` the remaining backlog is dropped and counted as an overrun, so one stall
 * cannot snowball into a spiral of ever-longer catch-up bursts.
 */
export interface FixedStepOptions {
  /** Step length, ms. */
  stepMs: number;
  /** Most steps one `advance` may run (default 5). */
  maxCatchUpSteps?: number;
}

export class FixedStepLoop {
  readonly stepMs: number;
  readonly maxCatchUpSteps: number;
  private last = Number.NaN;
  private accumulator = 0;
  /** Steps run since start. */
  steps = 0;
  /** Times the catch-up bound was hit. */
  overruns = 0;
  /** Steps skipped because of overruns. */
  droppedSteps = 0;

  constructor(options: FixedStepOptions, private readonly onStep: () => void) {
    if (!(options.stepMs > 0)) throw new RangeError(`stepMs must be > 0, got ${options.stepMs}`);
    this.stepMs = options.stepMs;
    this.maxCatchUpSteps = options.maxCatchUpSteps ?? 5;
  }

  /** Begin counting time from `now`; the first step is due at now + stepMs. */
  start(now: number): void {
    this.last = now;
    this.accumulator = 0;
  }

  get started(): boolean {
    return !Number.isNaN(this.last);
  }

  /** Run every step that is due at `now`; returns how many ran. */
  advance(now: number): number {
    if (!this.started) this.start(now);
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0) this.accumulator += elapsed;
    let ran = 0;
    while (this.accumulator >= this.stepMs) {
      if (ran === this.maxCatchUpSteps) {
        const backlog = Math.floor(this.accumulator / this.stepMs);
        this.overruns++;
        this.droppedSteps += backlog;
        this.accumulator -= backlog * this.stepMs;
        break;
      }
      this.accumulator -= this.stepMs;
      this.steps++;
      ran++;
      this.onStep();
    }
    return ran;
  }

  /** Milliseconds until the next step is due (0 if one is due now). */
  msUntilNextStep(): number {
    return Math.max(0, this.stepMs - this.accumulator);
  }

  /** How far into the next step we are, 0..1: the render interpolation factor for clients. */
  get alpha(): number {
    return this.accumulator / this.stepMs;
  }
}
