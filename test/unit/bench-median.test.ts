import { describe, expect, it } from 'vitest';
import { median, medianOfSorted, percentile } from '../../bench/lib/stats';

describe('bench median (the one definition, bench/lib/stats.ts)', () => {
  it('is the middle value of an odd count, in any order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([7])).toBe(7);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(median([10, 1, 4, 3])).toBe(3.5);
    expect(medianOfSorted(Float64Array.of(1, 2, 8, 100))).toBe(5);
  });

  it('sorts numerically, not as strings, and leaves its input alone', () => {
    const values = [100, 9, 20];
    expect(median(values)).toBe(20);
    expect(values).toEqual([100, 9, 20]);
  });

  it('is NaN without values', () => {
    expect(median([])).toBeNaN();
    expect(medianOfSorted([])).toBeNaN();
  });

  it('can differ from the nearest-rank p50 of an even count, which is the lower middle value', () => {
    const sorted = [1, 2, 3, 4];
    expect(percentile(sorted, 50)).toBe(2);
    expect(median(sorted)).toBe(2.5);
  });
});
