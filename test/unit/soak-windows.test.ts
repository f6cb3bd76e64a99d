import { describe, expect, it } from 'vitest';
import { GapTracker, LONG_GAP_INTERVALS } from '../../bench/soak/gap-tracker';
import { heapWindow } from '../../bench/soak/soak-run';

describe('soak: long gaps follow the send rate', () => {
  it('counts a gap as long past 3 send intervals', () => {
    const t = new GapTracker();
    expect(t.longGapMs).toBe(100); // before any WELCOME: 3 intervals at 30 Hz
    t.setSendRate(20);
    expect(t.longGapMs).toBe((LONG_GAP_INTERVALS * 1000) / 20);
    let last = Number.NaN;
    for (const at of [0, 50, 150, 301]) last = t.snapshot(last, at);
    expect(Array.from(t.gaps.sorted())).toEqual([50, 100, 151]);
    expect(t.longGaps).toBe(1); // 151 > 150; 100 is not
    t.setSendRate(0); // a nonsense rate leaves the threshold alone
    expect(t.longGapMs).toBe(150);
  });
});

describe('soak: heap windows', () => {
  const samples = [
    { atMs: 0, heapUsedBytes: 50 },
    { atMs: 1000, heapUsedBytes: 13 },
    { atMs: 2000, heapUsedBytes: 20 },
    { atMs: 3000, heapUsedBytes: 15 },
    { atMs: 4000, heapUsedBytes: 9 },
  ];

  it('takes the floor and the median of the readings inside the window only', () => {
    expect(heapWindow(samples, 1000, 3000)).toEqual({ floor: 13, median: 15, count: 3 });
  });

  it('says so when the window holds no reading', () => {
    expect(heapWindow(samples, 5000, 6000)).toEqual({ floor: null, median: null, count: 0 });
  });
});
