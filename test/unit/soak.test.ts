import { describe, expect, it } from 'vitest';
import { nextKillGapMs } from '../../bench/bots/kill-schedule';
import { parseBotsArgs } from '../../bench/bots/options';
import { GapTracker } from '../../bench/soak/gap-tracker';
import { parseSoakArgs } from '../../bench/soak/options';
import { checkLine, heapCheck } from '../../bench/soak/soak-run';

describe('bots --drop-rate and the soak', () => {
  it('draws kill gaps from a seeded exponential with the asked mean', () => {
    const a = { rng: 42 };
    const b = { rng: 42 };
    const gaps = Array.from({ length: 20_000 }, () => nextKillGapMs(a, 2));
    expect(nextKillGapMs(b, 2)).toBe(gaps[0]); // same seed, same schedule
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(29_000); // 2 a minute: 30 s on average
    expect(mean).toBeLessThan(31_000);
    expect(Math.min(...gaps)).toBeGreaterThan(0);
    expect(nextKillGapMs({ rng: 1 }, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('tracks snapshot gaps only while the link is up, and counts the long ones', () => {
    const t = new GapTracker(100);
    let last = Number.NaN;
    for (const at of [0, 33, 66, 200]) last = t.snapshot(last, at);
    last = Number.NaN; // a drop
    last = t.snapshot(last, 5000);
    t.snapshot(last, 5033);
    expect(Array.from(t.gaps.sorted())).toEqual([33, 33, 33, 134]);
    expect(t.longGaps).toBe(1);
  });

  it('parses --drop-rate and the soak flags, refusing bad ones by name', () => {
    expect(parseBotsArgs(['--drop-rate', '2.5']).dropRate).toBe(2.5);
    expect(parseBotsArgs([]).dropRate).toBe(0);
    expect(() => parseBotsArgs(['--drop-rate', '1000'])).toThrow(/--drop-rate must be a number from 0 to 600/);
    expect(parseSoakArgs(['--minutes', '0.5', '--lifetime', '5-10'])).toMatchObject({
      minutes: 0.5,
      lifetimeMinS: 5,
      lifetimeMaxS: 10,
      clients: 100,
      dropRate: 2,
      url: undefined,
    });
    expect(() => parseSoakArgs(['--lifetime', '10-5'])).toThrow(/--lifetime \(max\) must be a number from 10/);
    expect(() => parseSoakArgs(['--url', 'http://x'])).toThrow(/--url must start with ws/);
  });

  it('says NOT JUDGED for the heap of a run under 2 minutes, and judges it from 2 minutes', () => {
    const short = heapCheck(0.5, 1.5);
    expect(checkLine(short)).toBe(
      '  NOT JUDGED  heap at the end within 10 % of heap after warm-up (ratio 1.500; runs under 2 min are too short to judge)',
    );
    expect(short.ok).toBe(true); // it cannot fail the run
    expect(checkLine(heapCheck(2, 1.05))).toMatch(/^ {2}PASS {2}heap at the end/);
    expect(checkLine(heapCheck(10, 1.2))).toMatch(/^ {2}FAIL {2}heap at the end .*\(ratio 1\.200\)$/);
    expect(heapCheck(10, null).ok).toBe(false);
  });
});
