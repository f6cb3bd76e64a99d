import { SampleBuffer } from '../bots/stats';

/**
 * Snapshot gaps: the time between consecutive snapshots one client saw while its link was up.
 * A drop ends the run of snapshots (the outage is measured as resume time, not as a gap).
 */
export class GapTracker {
  readonly gaps = new SampleBuffer(1 << 16);
  /** Gaps longer than `longGapMs`. */
  longGaps = 0;

  /** @param longGapMs what counts as a long gap, ms (3 snapshot intervals at 30 Hz: 100 ms) */
  constructor(readonly longGapMs: number) {}

  /** A snapshot arrived at `now` (ms); `last` is the previous one's time (NaN after a drop). Returns `now`. */
  snapshot(last: number, now: number): number {
    if (!Number.isNaN(last)) {
      const gap = now - last;
      this.gaps.push(gap);
      if (gap > this.longGapMs) this.longGaps++;
    }
    return now;
  }
}
