/**
 * Small, allocation-free statistics for the load bots: a growable sample buffer and mean/min/max
 * summaries (medians and percentiles: bench/lib/stats.ts, shared by every bench). Pure functions, unit-tested in test/unit/bench-stats.test.ts.
 */

/**
 * A growable buffer of numbers on a Float64Array. `push` allocates only when the buffer doubles,
 * so recording one RTT sample per bot per snapshot costs a store, not an array growth per sample.
 */
export class SampleBuffer {
  private data: Float64Array;
  /** Samples held. */
  count = 0;

  /** @param initialCapacity starting capacity in samples (default 4096) */
  constructor(initialCapacity = 4096) {
    this.data = new Float64Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.count === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.count++] = value;
  }

  clear(): void {
    this.count = 0;
  }

  /**
   * The samples, sorted ascending, as a view over the internal buffer (valid until the next
   * push or clear). Sorts in place: insertion order is not kept, nobody needs it.
   */
  sorted(): Float64Array {
    const view = this.data.subarray(0, this.count);
    view.sort();
    return view;
  }
}

/** Mean, min and max of some values; NaN for all three when there are none. */
export interface Summary {
  mean: number;
  min: number;
  max: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, min: Number.NaN, max: Number.NaN };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { mean: sum / n, min, max };
}

/**
 * CPU use as a percentage of one core: CPU time spent (µs, user + system) over wall time (ms).
 * 100 means one core fully busy; a multi-threaded process can exceed it. NaN if no time passed.
 */
export function cpuPercent(cpuMicros: number, wallMs: number): number {
  if (!(wallMs > 0)) return Number.NaN;
  return (cpuMicros / 1000 / wallMs) * 100;
}

/**
 * Whether a measured rate is within `tolerance` (a fraction, default 0.05 = 5%) of `target`,
 * on either side.
 */
export function withinTolerance(rate: number, target: number, tolerance = 0.05): boolean {
  return Math.abs(rate - target) <= target * tolerance;
}

/** Round to `digits` decimals for reports (JSON keeps NaN out: it becomes null). */
export function round(value: number, digits = 1): number | null {
  if (!Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
