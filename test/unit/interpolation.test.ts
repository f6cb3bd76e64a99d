import { describe, expect, it } from 'vitest';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { ServerTickEstimator } from '../../src/sdk/server-tick-estimator';
import { InterpolatedView, SnapshotBuffer } from '../../src/sdk/snapshot-buffer';

const schema: EntitySchema = {
  kinds: [{ name: 'e', fields: [{ name: 'x', min: 0, max: 0xffff, lerp: 'linear' }, { name: 'aim', min: 0, max: 0xffff, lerp: 'angle16' }, { name: 'hp', min: 0, max: 255 }] }],
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
    buf.push(12, table([[1, 200, 500, 40], [2, 7, 0, 9]]));
    return { buf, view: new InterpolatedView(3) };
  }

  it('interpolates linear fields and takes the short way round angles', () => {
    const { buf, view } = twoSnapshots();
    expect(buf.sample(11, view)).toBeCloseTo(0.5);
    expect(view.count).toBe(2);
    expect(view.get(0, 0)).toBeCloseTo(150);
    // 65000 → 500 crosses 0: halfway is (65000 + 1036/2) mod 65536 = 65518
    expect(view.get(0, 1)).toBeCloseTo(65518);
    expect(view.get(0, 2)).toBe(50); // discrete fields hold the older value
    expect([view.ids[1], view.get(1, 0)]).toEqual([2, 7]); // a new entity appears at its newest state
  });

  it('moves a row the budget held back between the times its values really had', () => {
    const buf = new SnapshotBuffer(schema, 8);
    const view = new InterpolatedView(3);
    buf.push(10, table([[1, 100, 0, 0], [2, 100, 0, 0]]));
    // Tick 12: entity 2 was left out by the server's budget: it still holds tick 10's values.
    const partial = table([[1, 200, 0, 0], [2, 100, 0, 0]]);
    partial.ticks[1] = 10;
    buf.push(12, partial);
    buf.push(14, table([[1, 300, 0, 0], [2, 500, 0, 0]]));
    buf.sample(11, view);
    expect(view.get(0, 0)).toBeCloseTo(150);
    // Entity 2 moves from 100 at tick 10 towards 500 at tick 14, not standing still until 12.
    expect(view.get(1, 0)).toBeCloseTo(200);
    expect(buf.tableAt(12)).not.toBeNull();
    expect(buf.tableAt(11)).toBeNull();
  });

  it('does not glide an entity across a jump marked by jumpBits (a respawn)', () => {
    const jumpy: EntitySchema = {
      kinds: [{ name: 'p', fields: [{ name: 'x', min: 0, max: 0xffff, lerp: 'linear' }, { name: 'flags', min: 0, max: 255, jumpBits: 1 }] }],
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
    expect([view.count, view.get(0, 0)]).toEqual([2, 200]);
    buf.sample(3, view);
    expect([view.count, view.get(0, 0)]).toEqual([1, 100]);
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

describe('ServerTickEstimator', () => {
  it('locks onto the fastest arrival and tracks the tick in between', () => {
    const dt = 1000 / 30;
    const at = (tick: number, delayMs: number) => 1000 + tick * dt + delayMs; // server's tick 0 at local 1000 ms
    const est = new ServerTickEstimator(dt);
    est.observe(30, at(30, 50));
    est.observe(31, at(31, 20)); // the fastest path so far: taken at once
    expect(est.tickAt(at(40, 20))).toBeCloseTo(40, 5);
    est.observe(32, at(32, 200)); // one late packet barely moves the estimate
    expect(est.tickAt(at(40, 20))).toBeGreaterThan(39.8);
    expect(est.tickAt(at(40, 20))).toBeLessThan(40);
  });
});
