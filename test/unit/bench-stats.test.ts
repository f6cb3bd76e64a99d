import { describe, expect, it } from 'vitest';
import { cpuPercent, round, SampleBuffer, summarize, withinTolerance } from '../../bench/bots/stats';
import { percentile } from '../../bench/lib/stats';

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

  it('picks measured values, never interpolates', () => {
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 99)).toBe(10);
    expect(percentile(sorted, 90)).toBe(9);
    expect(percentile(sorted, 91)).toBe(10);
  });

  it('handles the edges', () => {
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile(sorted, 100)).toBe(10);
    expect(percentile([42], 50)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('rejects percentiles outside 0-100', () => {
    expect(() => percentile(sorted, 101)).toThrow(RangeError);
    expect(() => percentile(sorted, -1)).toThrow(RangeError);
    expect(() => percentile(sorted, Number.NaN)).toThrow(RangeError);
  });
});

describe('SampleBuffer', () => {
  it('grows past its capacity and sorts numerically', () => {
    const b = new SampleBuffer(16);
    for (let i = 40; i > 0; i--) b.push(i * 10);
    expect(b.count).toBe(40);
    const s = b.sorted();
    expect(s.length).toBe(40);
    expect(s[0]).toBe(10);
    expect(s[1]).toBe(20); // numeric, not lexicographic (100 would come second)
    expect(s[39]).toBe(400);
  });

  it('clear() empties it', () => {
    const b = new SampleBuffer();
    b.push(1);
    b.clear();
    expect(b.count).toBe(0);
    expect(b.sorted().length).toBe(0);
  });
});

describe('summarize', () => {
  it('gives mean, min and max', () => {
    expect(summarize([3, 1, 2])).toEqual({ mean: 2, min: 1, max: 3 });
  });
  it('is NaN for no values', () => {
    const s = summarize([]);
    expect(s.mean).toBeNaN();
    expect(s.min).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('cpuPercent', () => {
  it('is CPU time over wall time, in % of one core', () => {
    expect(cpuPercent(500_000, 1000)).toBe(50); // 0.5 s CPU in 1 s
    expect(cpuPercent(3_000_000, 2000)).toBe(150); // more than one core busy
  });
  it('is NaN without elapsed time', () => {
    expect(cpuPercent(1000, 0)).toBeNaN();
  });
});

describe('withinTolerance', () => {
  it('accepts rates within 5% either side by default', () => {
    expect(withinTolerance(28.5, 30)).toBe(true);
    expect(withinTolerance(31.5, 30)).toBe(true);
    expect(withinTolerance(28.4, 30)).toBe(false);
    expect(withinTolerance(31.6, 30)).toBe(false);
  });
});

describe('round', () => {
  it('rounds, and turns non-finite values into null for JSON', () => {
    expect(round(1.26, 1)).toBe(1.3);
    expect(round(Number.NaN)).toBeNull();
    expect(round(Infinity)).toBeNull();
  });
});
