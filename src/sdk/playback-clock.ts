/**
 * The clock remote entities are drawn by: a little behind the newest snapshot, by a jitter
 * buffer sized from what the link really does, and eased (never snapped back) as that changes.
 *
 * ```
 * arrivals:  [T-2]      [T-1]   [T]          each at local time a = T·tickMs + offset
 *                                  ▲ fastest: the least offset over the last 256 snapshots
 * render:            ▲ renderTick = (now − least offset)/tickMs − delay
 *                    └── delay = send interval + arrival spread (99th percentile) + margin
 *                                (+ one more interval when over 2 % of snapshots are lost)
 * ```
 * With no jitter, entities are drawn one send interval (plus a few ms) behind the freshest a
 * snapshot could be: there is always a newer snapshot to move towards. Every arrival that is
 * later than the fastest is jitter the buffer must absorb; the spread sets how much. The clock
 * speeds up or slows down by up to 10% to follow the target, so the motion never jumps.
 */
export interface PlaybackOptions {
  /** A fixed delay, ms, instead of the adaptive one. */
  delayMs?: number;
  /** Least delay, ms (default 0). */
  minDelayMs?: number;
  /** Most delay, ms (default 1000). */
  maxDelayMs?: number;
}

/**
 * Snapshots the arrival statistics look back over (8.5 s at 30 a second): long enough that a
 * 99th percentile sees the rare late ones (a TCP retransmission, a spike) and keeps covering
 * them, short enough to shrink back within seconds once a link calms down.
 */
const WINDOW = 256;
/** Playback runs at most this much faster or slower than real time while easing. */
const MAX_EASE = 0.1;
/** An error of this many ms moves the playback rate by 100% (then clamped to ±MAX_EASE). */
const EASE_MS = 300;
/** Further off than this, ms, the clock jumps forward (the first snapshots, a resume). */
const SNAP_MS = 400;

export class PlaybackClock {
  private readonly tickMs: number;
  private readonly sendIntervalMs: number;
  private readonly offsets = new Float64Array(WINDOW);
  private readonly ticks = new Float64Array(WINDOW);
  private readonly scratch = new Float64Array(WINDOW);
  private count = 0;
  private newestTick = -1;
  /** Least arrival offset in the window, ms: arrival time of tick 0 on the fastest path. */
  private baseline = Number.NaN;
  /** The render position, fractional ticks, and when it was last advanced. */
  private tick = Number.NaN;
  private at = Number.NaN;
  /** 99th percentile of arrival lateness over the window, ms. */
  jitterMs = 0;
  /** Share of the snapshots the window should hold that never came (0..1). */
  loss = 0;
  /** The delay being steered for, ms. */
  delayMs: number;
  /** Current playback rate against real time. */
  rate = 1;

  constructor(
    tickRate: number,
    sendRate: number,
    private readonly options: PlaybackOptions = {},
  ) {
    this.tickMs = 1000 / tickRate;
    this.sendIntervalMs = 1000 / sendRate;
    this.delayMs = options.delayMs ?? this.sendIntervalMs;
  }

  get ready(): boolean {
    return !Number.isNaN(this.baseline);
  }

  /** A snapshot of `tick` arrived at local time `now` (each tick once, in any order). */
  observe(tick: number, now: number): void {
    // Older ticks come too (reordered on an unreliable channel): their lateness is jitter.
    if (tick > this.newestTick) this.newestTick = tick;
    const i = this.count++ % WINDOW;
    this.offsets[i] = now - tick * this.tickMs;
    this.ticks[i] = tick;
    const n = Math.min(this.count, WINDOW);
    let least = Infinity;
    let oldest = Infinity;
    for (let k = 0; k < n; k++) {
      if (this.offsets[k] < least) least = this.offsets[k];
      if (this.ticks[k] < oldest) oldest = this.ticks[k];
    }
    this.baseline = least;
    for (let k = 0; k < n; k++) this.scratch[k] = this.offsets[k] - least;
    const sorted = this.scratch.subarray(0, n).sort();
    this.jitterMs = sorted[Math.min(n - 1, Math.floor(n * 0.99))];
    const expected = ((this.newestTick - oldest) * this.tickMs) / this.sendIntervalMs + 1;
    this.loss = n >= 8 ? Math.max(0, 1 - n / expected) : 0;
    if (this.options.delayMs === undefined) {
      const margin = Math.max(4, 0.1 * this.sendIntervalMs);
      const lossCover = this.loss > 0.02 ? this.sendIntervalMs : 0;
      const d = this.sendIntervalMs + this.jitterMs + lossCover + margin;
      this.delayMs = Math.min(this.options.maxDelayMs ?? 1000, Math.max(this.options.minDelayMs ?? 0, d));
    }
  }

  /** Where playback should be at `now`, fractional ticks. */
  targetTick(now: number): number {
    return (now - this.baseline - this.delayMs) / this.tickMs;
  }

  /** The tick to draw at `now`: eased towards the target, never going back. */
  renderTick(now: number): number {
    if (!this.ready) return -1;
    const target = this.targetTick(now);
    if (Number.isNaN(this.tick)) {
      this.tick = target;
      this.at = now;
      return this.tick;
    }
    if (now > this.at) {
      this.tick += ((now - this.at) / this.tickMs) * this.rate;
      this.at = now;
    }
    const errorMs = (target - this.tick) * this.tickMs;
    if (errorMs > SNAP_MS) {
      this.tick = target;
      this.rate = 1;
    } else {
      // Far behind the target (it moved back a lot): slow down harder, but never go back.
      const floor = errorMs < -SNAP_MS ? -0.5 : -MAX_EASE;
      this.rate = 1 + Math.max(floor, Math.min(MAX_EASE, errorMs / EASE_MS));
    }
    return this.tick;
  }
}
