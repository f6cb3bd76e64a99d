import { describe, expect, it } from 'vitest';
import { JoinSlots } from '../../bench/bots/join-slots';
import { parseBotsArgs } from '../../bench/bots/options';

describe('JoinSlots (joins under way at once)', () => {
  it('lets at most `size` callers in, and the rest in the order they came as slots free up', async () => {
    const slots = new JoinSlots(2);
    const entered: number[] = [];
    const waits = [0, 1, 2, 3].map((i) => slots.acquire().then(() => entered.push(i)));
    await Promise.resolve();
    await Promise.resolve();
    expect(entered).toEqual([0, 1]);
    expect(slots.queued).toBe(2);
    slots.release();
    await waits[2];
    expect(entered).toEqual([0, 1, 2]);
    slots.release();
    await waits[3];
    expect(entered).toEqual([0, 1, 2, 3]);
    expect(slots.queued).toBe(0);
    // Every slot back: two more go straight in.
    slots.release();
    slots.release();
    await slots.acquire();
    await slots.acquire();
    expect(slots.queued).toBe(0);
  });

  it('refuses a size below 1', () => {
    expect(() => new JoinSlots(0)).toThrow(RangeError);
  });

  it('is set by --joins-in-flight (default 256)', () => {
    expect(parseBotsArgs([]).joinsInFlight).toBe(256);
    expect(parseBotsArgs(['--joins-in-flight', '64']).joinsInFlight).toBe(64);
    expect(() => parseBotsArgs(['--joins-in-flight', '0'])).toThrow(/--joins-in-flight must be an integer from 1/);
  });
});
