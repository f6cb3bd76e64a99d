/**
 * The one definition of a median and of a percentile for every bench (issue 23: a figure called
 * a median means the same thing in each table). Unit-tested in test/unit/bench-median.test.ts
 * and test/unit/bench-stats.test.ts.
 *
 * - A **median** is the middle value, and for an even count the mean of the two middle values.
 *   A/B benches take medians of a few rounds (often an even number); averaging the two middle
 *   rounds favours neither side, where picking one of them would.
 * - A **percentile** (p50, p90, p99) is by nearest rank: always a value that was measured. So
 *   a p50 of an even count is the lower middle value, and may differ from the median.
 */

/**
 * The median of ascending `sorted` values: the middle one, or for an even count the mean of
 * the two middle ones. NaN for no values. Allocation-free (for the bots' sample buffers).
 */
export function medianOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The median of `values` in any order (see {@link medianOfSorted}); NaN for none. Sorts a copy
 * numerically: `values` is left as it was.
 */
export function median(values: ArrayLike<number>): number {
  return medianOfSorted(Float64Array.from(values).sort());
}

/**
 * The `p`-th percentile (0-100) of ascending `sorted` values by the nearest-rank method: the
 * smallest value such that at least p% of the samples are ≤ it. Returns NaN for no samples.
 * Nearest rank never invents a value that was not measured, which suits latency reports.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be 0-100, got ${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1]!;
}
