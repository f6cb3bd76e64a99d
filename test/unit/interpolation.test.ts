import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { PlaybackClock } from '../../src/sdk/playback-clock';
import { InterpolatedView, SampleMode, SnapshotBuffer } from '../../src/sdk/snapshot-buffer';

const schema: EntitySchema = {
  kinds: [
    {
      name: 'e',
      fields: [
        { name: 'x', min: 0, max: 0xffff, lerp: 'linear' },
        { name: 'aim', min: 0, max: 0xffff, lerp: 'angle16' },
        { name: 'hp', min: 0, max: 255 },
      ],
    },
  ],
};

function table(entities: [id: number, x: number, aim: number, hp: number][]): EntityTable {
  const t = new EntityTable(schema);
  for (const [id, x, aim, hp] of entities) {
    const r = t.push(id, 0);
    t.set(r, 0, x);
    t.set(r, 1, aim);
    t.set(r, 2, hp);
  }
  return t;
}

describe('SnapshotBuffer', () => {
  /** Each test gets its own buffer holding ticks 10 and 12. */
  function twoSnapshots() {
    const buf = new SnapshotBuffer(schema, 4);
    buf.push(10, table([[1, 100, 65000, 50]]));
    buf.push(
      12,
      table([
        [1, 200, 500, 40],
        [2, 7, 0, 9],
      ]),
    );
    return { buf, view: new InterpolatedView(3) };
  }

  it('interpolates linear fields and takes the short way round angles', () => {
    const { buf, view } = twoSnapshots();
    expect(buf.sample(11, view)).toBeCloseTo(0.5);
    expect(view.count).toBe(1); // entity 2 appears at tick 12, its own snapshot's time
    expect(view.get(0, 0)).toBeCloseTo(150);
    // 65000 → 500 crosses 0: halfway is (65000 + 1036/2) mod 65536 = 65518
    expect(view.get(0, 1)).toBeCloseTo(65518);
    expect(view.get(0, 2)).toBe(50); // discrete fields hold the older value
    buf.sample(12, view);
    expect([view.count, view.ids[1], view.get(1, 0)]).toEqual([2, 2, 7]);
  });

  it('keeps a removed entity until the time of the snapshot it is gone from', () => {
    const buf = new SnapshotBuffer(schema, 4);
    const view = new InterpolatedView(3);
    buf.push(
      10,
      table([
        [1, 100, 0, 0],
        [2, 50, 0, 0],
        [3, 10, 0, 0],
      ]),
    );
    buf.push(
      12,
      table([
        [1, 200, 0, 0],
        [3, 30, 0, 0],
      ]),
    );
    buf.sample(11.5, view);
    expect(Array.from(view.ids.subarray(0, view.count))).toEqual([1, 2, 3]);
    expect([view.get(0, 0), view.get(1, 0), view.get(2, 0)]).toEqual([175, 50, 25]);
    buf.sample(12, view);
    expect(Array.from(view.ids.subarray(0, view.count))).toEqual([1, 3]);
  });

  it('extrapolates past the newest snapshot along the last motion, for at most the cap, then holds', () => {
    const { buf, view } = twoSnapshots();
    buf.sample(13, view, 3);
    expect([buf.mode, buf.extrapolatedTicks]).toEqual([SampleMode.Extrapolated, 1]);
    expect(view.get(0, 0)).toBeCloseTo(250); // 100 → 200 over two ticks: 50 a tick
    expect(view.get(1, 0)).toBe(7); // no earlier motion to carry on: held
    buf.sample(20, view, 3);
    expect([buf.mode, view.get(0, 0)]).toEqual([SampleMode.Held, 350]);
    buf.sample(13, view); // extrapolation off
    expect([buf.mode, view.get(0, 0)]).toEqual([SampleMode.Held, 200]);
    buf.sample(11, view, 3);
    expect(buf.mode).toBe(SampleMode.Interpolated);
  });

  it('moves a row the budget held back between the times its values really had', () => {
    const buf = new SnapshotBuffer(schema, 8);
    const view = new InterpolatedView(3);
    buf.push(
      10,
      table([
        [1, 100, 0, 0],
        [2, 100, 0, 0],
      ]),
    );
    // Tick 12: entity 2 was left out by the server's budget: it still holds tick 10's values.
    const partial = table([
      [1, 200, 0, 0],
      [2, 100, 0, 0],
    ]);
    partial.ticks[1] = 10;
    buf.push(12, partial);
    buf.push(
      14,
      table([
        [1, 300, 0, 0],
        [2, 500, 0, 0],
      ]),
    );
    buf.sample(11, view);
    expect(view.get(0, 0)).toBeCloseTo(150);
    // Entity 2 moves from 100 at tick 10 towards 500 at tick 14, not standing still until 12.
    expect(view.get(1, 0)).toBeCloseTo(200);
    expect(buf.tableAt(12)).not.toBeNull();
    expect(buf.tableAt(11)).toBeNull();
  });

  it('does not glide an entity across a jump marked by jumpBits (a respawn)', () => {
    const jumpy: EntitySchema = {
      kinds: [
        {
          name: 'p',
          fields: [
            { name: 'x', min: 0, max: 0xffff, lerp: 'linear' },
            { name: 'flags', min: 0, max: 255, jumpBits: 1 },
          ],
        },
      ],
    };
    const snap = (x: number, flags: number) => {
      const t = new EntityTable(jumpy);
      const r = t.push(1, 0);
      t.set(r, 0, x);
      t.set(r, 1, flags);
      return t;
    };
    const buf = new SnapshotBuffer(jumpy, 4);
    const view = new InterpolatedView(2);
    buf.push(10, snap(100, 0)); // dead where it fell
    buf.push(11, snap(900, 1)); // alive again at a spawn point
    buf.push(12, snap(910, 3)); // bit 2 changes too, but it is not a jump bit
    buf.sample(10.5, view);
    expect([view.get(0, 0), view.get(0, 1)]).toEqual([100, 0]); // held, not at 500
    buf.sample(11, view);
    expect(view.get(0, 0)).toBe(900);
    buf.sample(11.5, view);
    expect(view.get(0, 0)).toBeCloseTo(905); // interpolates again once the jump is behind it
  });

  it('holds the newest snapshot past its tick and the oldest before its tick', () => {
    const { buf, view } = twoSnapshots();
    buf.sample(20, view);
    expect([view.count, view.get(0, 0), buf.mode]).toEqual([2, 200, SampleMode.Held]);
    buf.sample(3, view);
    expect([view.count, view.get(0, 0), buf.mode]).toEqual([1, 100, SampleMode.BeforeOldest]);
  });

  it('ignores stale pushes and recycles slots beyond its capacity', () => {
    const { buf, view } = twoSnapshots();
    buf.push(11, table([[1, 999, 0, 0]]));
    buf.sample(11, view);
    expect(view.get(0, 0)).toBeCloseTo(150);
    for (let t = 13; t < 20; t++) buf.push(t, table([[1, t, 0, 0]]));
    expect(buf.size).toBe(4);
    expect(buf.newestTick).toBe(19);
    buf.sample(17.5, view);
    expect(view.get(0, 0)).toBeCloseTo(17.5);
  });
});

describe('PlaybackClock', () => {
  const tickMs = 1000 / 30;
  /** Tick t arrives at 1000 + t·tickMs + delay(t). */
  function feed(clock: PlaybackClock, from: number, to: number, delay: (t: number) => number): void {
    for (let t = from; t <= to; t++) if (!Number.isNaN(delay(t))) clock.observe(t, 1000 + t * tickMs + delay(t));
  }

  it('draws one send interval (plus a margin) behind the freshest arrival on a steady link', () => {
    const clock = new PlaybackClock(30, 30);
    feed(clock, 1, 64, () => 40);
    expect(clock.jitterMs).toBeCloseTo(0);
    expect(clock.delayMs).toBeCloseTo(tickMs + 4);
    // Tick 64 arrived at 1000 + 64·tickMs + 40: draw it one interval + 4 ms later.
    expect(clock.renderTick(1000 + 64 * tickMs + 40)).toBeCloseTo(64 - 1 - 4 / tickMs);
  });

  it('sizes the delay from the arrival spread and the loss, and eases towards it without going back', () => {
    const clock = new PlaybackClock(30, 30);
    feed(clock, 1, 64, () => 40);
    const now0 = 1000 + 64 * tickMs + 40;
    const r0 = clock.renderTick(now0);
    // Now the link jitters: 0-50 ms later than the fastest path, spread evenly.
    feed(clock, 65, 128, (t) => 40 + ((t * 37) % 51));
    expect(clock.jitterMs).toBeGreaterThan(45);
    expect(clock.jitterMs).toBeLessThanOrEqual(50);
    expect(clock.delayMs).toBeCloseTo(tickMs + clock.jitterMs + 4);
    // Every frame moves forward, at most 10% slower or faster than real time.
    let last = r0;
    for (let now = now0 + 16; now < now0 + 3000; now += 16) {
      const r = clock.renderTick(now);
      expect(r).toBeGreaterThanOrEqual(last);
      expect(r - last).toBeGreaterThanOrEqual((0.89 * 16) / tickMs);
      expect(r - last).toBeLessThanOrEqual((1.11 * 16) / tickMs);
      last = r;
    }
    // A quarter of the snapshots lost: one more interval of cover.
    const lossy = new PlaybackClock(30, 30);
    feed(lossy, 1, 85, (t) => (t % 4 === 0 ? Number.NaN : 40));
    expect(lossy.loss).toBeGreaterThan(0.2);
    expect(lossy.delayMs).toBeCloseTo(2 * tickMs + 4);
  });
});
