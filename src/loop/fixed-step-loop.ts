/**
 * A fixed timestep (an accumulator kept as an origin and a step count): wall time flows in through `advance(now)`, whole steps of
 * exactly `stepMs` flow out. Timer jitter only changes *when* steps run, never *how long* a step
 * is, which is what keeps the simulation deterministic.
 *
 * ```
 * time ──┬─────────┬─────────┬──────┬──►     advance(now) runs every step whose end time
 *  origin step      step      step   now      (origin + k·stepMs) is ≤ now, at most
 *        ◄─stepMs─►                           maxCatchUpSteps per call.
 * ```
 * If the process stalls (GC pause, a debugger, an overloaded host), catch-up is bounded: one
 * call runs at most `maxCatchUpSteps`, and the steps still owed wait for the next call, as long
 * as no more than `maxBacklogSteps` are owed. Beyond that the excess is dropped and counted as
 * an overrun, so one long stall cannot snowball into a spiral of ever-longer catch-up bursts.
 * A server keeps a backlog (its clients' inputs are stamped for those ticks and are waiting);
 * a client drops it (default 0).
 */
export interface FixedStepOptions {
  /** Step length, ms. */
  stepMs: number;
  /** Most steps one `advance` may run (default 5). */
  maxCatchUpSteps?: number;
  /** Steps that may stay owed for later calls after a capped one (default 0: drop them all). */
  maxBacklogSteps?: number;
}

/** Tolerance for float rounding at step boundaries, ms. */
const EPSILON_MS = 1e-6;

export class FixedStepLoop {
  readonly stepMs: number;
  readonly maxCatchUpSteps: number;
  readonly maxBacklogSteps: number;
  // Steps are counted from a fixed origin rather than by subtracting from an accumulator, so
  // rounding never accumulates: after N·stepMs of wall time exactly N steps have run.
  private origin = Number.NaN;
  private stepped = 0;
  private last = Number.NaN;
  /** Steps run since start. */
  steps = 0;
  /** Times the catch-up bound was hit. */
  overruns = 0;
  /** Steps skipped because of overruns. */
  droppedSteps = 0;

  constructor(
    options: FixedStepOptions,
    private readonly onStep: () => void,
  ) {
    if (!(options.stepMs > 0)) throw new RangeError(`stepMs must be > 0, got ${options.stepMs}`);
    this.stepMs = options.stepMs;
    this.maxCatchUpSteps = options.maxCatchUpSteps ?? 5;
    this.maxBacklogSteps = options.maxBacklogSteps ?? 0;
  }

  /** Begin counting time from `now`; the first step is due at now + stepMs. */
  start(now: number): void {
    this.origin = now;
    this.last = now;
    this.stepped = 0;
  }

  get started(): boolean {
    return !Number.isNaN(this.origin);
  }

  /** Run every step that is due at `now`; returns how many ran. */
  advance(now: number): number {
    if (!this.started) this.start(now);
    if (now > this.last) this.last = now;
    let ran = 0;
    while (this.last - this.origin + EPSILON_MS >= (this.stepped + 1) * this.stepMs) {
      if (ran === this.maxCatchUpSteps) {
        const excess = this.backlog - this.maxBacklogSteps;
        if (excess > 0) {
          this.overruns++;
          this.droppedSteps += excess;
          this.origin += excess * this.stepMs;
        }
        break;
      }
      this.stepped++;
      this.steps++;
      ran++;
      this.onStep();
    }
    return ran;
  }

  /** Steps due at the latest `advance` time that have not run yet. */
  get backlog(): number {
    if (!this.started) return 0;
    return Math.max(0, Math.floor((this.last - this.origin + EPSILON_MS) / this.stepMs) - this.stepped);
  }

  /** When the next step is due, ms on the caller's clock (NaN before start). */
  get nextStepAt(): number {
    return this.origin + (this.stepped + 1) * this.stepMs;
  }

  /** Milliseconds from the latest `advance` until the next step is due (0 if due now). */
  msUntilNextStep(): number {
    if (!this.started) return 0;
    return Math.max(0, this.origin + (this.stepped + 1) * this.stepMs - this.last);
  }

  /** How far into the next step we are, 0..1: the render interpolation factor for clients. */
  get alpha(): number {
    if (!this.started) return 0;
    return Math.min(1, Math.max(0, (this.last - this.origin - this.stepped * this.stepMs) / this.stepMs));
  }
}
