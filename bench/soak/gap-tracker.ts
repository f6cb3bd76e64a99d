import { SampleBuffer } from '../bots/stats';

/** A gap longer than this many snapshot intervals counts as long. */
export const LONG_GAP_INTERVALS = 3;

/**
 * Snapshot gaps: the time between consecutive snapshots one client saw while its link was up.
 * A drop ends the run of snapshots (the outage is measured as resume time, not as a gap).
 * One tracker serves every bot; each bot keeps its own last-snapshot time.
 */
export class GapTracker {
  readonly gaps = new SampleBuffer(1 << 16);
  /** Gaps longer than `longGapMs`. */
  longGaps = 0;

  /**
   * @param longGapMs what counts as a long gap, ms (default 100: 3 intervals at 30 Hz); set it
   *   from the server's send rate with {@link setSendRate} once a WELCOME says what it is
   */
  constructor(public longGapMs = 100) {}

  /** Long = over {@link LONG_GAP_INTERVALS} intervals at `sendRateHz` snapshots per second. */
  setSendRate(sendRateHz: number): void {
    if (sendRateHz > 0) this.longGapMs = (LONG_GAP_INTERVALS * 1000) / sendRateHz;
  }

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
