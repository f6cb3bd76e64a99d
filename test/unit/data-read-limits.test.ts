import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadGate } from '../../src/persistence/read-gate';
import { FrontDoor } from '../../src/server/front-door';
import { formatCursor, parseCursor } from '../../src/server/profile-routes';

describe('leaderboard cursors', () => {
  it('round-trip any rank, 32-bit value and user id', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 999_999_999 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
        (rank, value, userId) => {
          const raw = formatCursor({ rank, value, userId });
          expect(raw).toMatch(/^[0-9A-Za-z_.-]+$/); // safe in a query string as it is
          expect(parseCursor(raw)).toEqual({ rank, value, userId });
        },
      ),
    );
  });

  it('hold the longest user id a token may carry, in any script', () => {
    for (const userId of ['€'.repeat(256), '😀'.repeat(128), 'x'.repeat(256)]) {
      const cursor = { rank: 999_999_999, value: -(2 ** 31), userId };
      expect(parseCursor(formatCursor(cursor))).toEqual(cursor);
    }
    expect(parseCursor(formatCursor({ rank: 1, value: 0, userId: 'x'.repeat(257) }))).toBeUndefined();
  });

  it('refuse anything else', () => {
    const good = formatCursor({ rank: 3, value: 7, userId: 'u-ann' });
    for (const bad of [
      '',
      '3.7',
      '0.7.dS1hbm4',
      '3.7.',
      '3.2147483648.dS1hbm4',
      '3.7.dS1hbm4=',
      '3.7.dS1hbm5',
      'x.7.dS1hbm4',
      `${good}.1`,
      `3.7.${'A'.repeat(1100)}`,
    ])
      expect(parseCursor(bad), bad).toBeUndefined();
    expect(parseCursor(good)).toEqual({ rank: 3, value: 7, userId: 'u-ann' });
  });
});

describe('database read limits', () => {
  it('the gate runs at most `max` reads at once and refuses the rest at once; a failed read frees its slot', async () => {
    const gate = new ReadGate(2);
    const release: (() => void)[] = [];
    const held = [0, 1].map(() => gate.run(() => new Promise<void>((resolve) => release.push(resolve))));
    expect(held.every(Boolean)).toBe(true);
    expect(gate.run(() => Promise.resolve(1))).toBeUndefined();
    expect(gate).toMatchObject({ active: 2, refused: 1 });
    release[0]!();
    await held[0];
    await expect(gate.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(gate.active).toBe(1);
    await expect(
      gate.run(() => {
        throw new Error('thrown before a promise');
      }),
    ).rejects.toThrow('thrown before a promise');
    expect(gate.active).toBe(1);
    expect(new ReadGate(0).run(() => Promise.resolve(2))).toBeInstanceOf(Promise);
    expect(() => new ReadGate(-1)).toThrow(/maxDataReadsInFlight must be an integer ≥ 0/);
  });

  it('the per-address read rate: burst 2 s, then one every 1/rate s, separate per address; off with per-address limits', () => {
    const door = new FrontDoor({ dataReadsPerSecondPerIp: 5 });
    const taken = Array.from({ length: 11 }, () => door.admitDataRead('10.0.0.1', 0));
    expect(taken).toEqual([...Array<number>(10).fill(0), 200]);
    expect(door.admitDataRead('10.0.0.2', 0)).toBe(0);
    expect(door.admitDataRead('10.0.0.1', 100)).toBe(100);
    expect(door.admitDataRead('10.0.0.1', 200)).toBe(0);
    const open = new FrontDoor({ perIpLimits: false, maxDataReadsInFlight: 3 });
    expect(Array.from({ length: 50 }, () => open.admitDataRead('10.0.0.1', 0)).every((w) => w === 0)).toBe(true);
    expect(open.dataReads.max).toBe(3); // the cap is not per address: it stays
  });
});
