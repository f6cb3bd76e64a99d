import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitWriter } from '../../shared/binary/bit-writer';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError } from '../../shared/binary/wire-error';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { CellDecoder } from '../../shared/replication/cell-codec';
import { cellOf } from '../../shared/replication/cell-geometry';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import type { ClientReplica } from '../../src/replication/client-replica';
import { Replicator, type ReplicationOptions, type SnapshotFrame } from '../../src/replication/replicator';
import { dotKind } from '../support/dots';

/** Dots on a 10,000-unit square, and flags (no position: every client sees them). */
const schema: EntitySchema = { kinds: [dotKind(1000), { name: 'flag', fields: [{ name: 'n', min: 0, max: 1000 }] }] };
const DOT = 0;
const FLAG = 1;

/** [id, kind, values…]: a dot is [id, 0, x, y, n], a flag [id, 1, n]. */
type Row = number[];

/** One replicator and one client that decodes what it is sent with the SDK's cell decoder. */
class Rig {
  readonly rep: Replicator;
  readonly replica: ClientReplica;
  readonly decoder: CellDecoder;
  /** Every table the client decoded, by tick (it keeps them all: any may be a baseline). */
  readonly held = new Map<number, EntityTable>();
  tick = 0;
  private readonly frame: SnapshotFrame = { head: new Uint8Array(0), body: null, length: 0 };

  constructor(
    options: ReplicationOptions,
    readonly ownId = 1,
  ) {
    this.rep = new Replicator(schema, 30, 30, options);
    this.replica = this.rep.createReplica();
    this.decoder = new CellDecoder(schema, this.rep.interestGeometry!);
  }

  seal(rows: readonly Row[]): void {
    const t = this.rep.begin(++this.tick);
    for (const [id, kind, ...values] of [...rows].sort((a, b) => a[0] - b[0])) {
      const r = t.push(id, kind);
      values.forEach((v, f) => t.set(r, f, v));
    }
    this.rep.seal(new Uint8Array([0]));
  }

  /** This tick's snapshot; decoded (and kept) unless `lost`. Returns the table and its baseline tick. */
  send(lost = false): { table: EntityTable | null; baselineTick: number; bytes: number } {
    const f = this.rep.frameFor(this.replica, this.ownId, 0, 0, this.frame);
    const bytes = f.body ? Buffer.concat([f.head, f.body]) : f.head;
    const r = new ByteReader(bytes);
    r.u8();
    const h = readSnapshotHeader(r, newSnapshotHeader());
    if (lost) return { table: null, baselineTick: h.baselineTick, bytes: bytes.length };
    readDetachedIds(r, []);
    const baseline = h.baselineTick === 0 ? null : this.held.get(h.baselineTick);
    expect(baseline, `the client holds baseline ${h.baselineTick}`).not.toBeUndefined();
    const table = new EntityTable(schema);
    this.decoder.decode(r, baseline ?? null, table, h.tick);
    this.held.set(h.tick, table);
    return { table, baselineTick: h.baselineTick, bytes: bytes.length };
  }

  /** This tick's snapshot, which must be a delta against the tick before (acknowledged): its rows. */
  sendDelta(): number[][] {
    const s = this.send();
    expect(s.baselineTick).toBe(this.tick - 1);
    return rowsOf(s.table!);
  }

  ack(tick: number): void {
    this.rep.ack(this.replica, tick);
  }
}

function rowsOf(t: EntityTable): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < t.count; r++) {
    const n = t.kinds[r] === DOT ? 3 : 1;
    rows.push([t.ids[r], t.kinds[r], ...Array.from(t.values.subarray(r * t.stride, r * t.stride + n))]);
  }
  return rows;
}

const ids = (t: EntityTable | null) => (t ? Array.from(t.ids.subarray(0, t.count)) : []);

/** 1000-unit cells, a 2000 × 2000 view with a 200-unit margin. */
const GRID: ReplicationOptions = {
  interest: { width: 10_000, height: 10_000, viewWidth: 2000, viewHeight: 2000, margin: 200, cellSize: 1000 },
  bandwidthBytesPerSecond: 1 << 20,
};

describe('interest by grid cells', () => {
  it('a client decodes exactly the entities of the cells in its view, at the room’s values, flags included', () => {
    const rig = new Rig(GRID);
    const world: Row[] = [
      [1, DOT, 5500, 5500, 0], // own: the view spans x, y 4500-6500, cells 4-6
      [2, DOT, 4100, 6900, 1], // cell (4, 6): in
      [3, DOT, 3900, 5500, 2], // column 3: out
      [4, DOT, 6999, 4000, 3], // cell (6, 4): in
      [5, DOT, 7000, 5000, 4], // column 7: out
      [9, FLAG, 7],
    ];
    rig.seal(world);
    const first = rig.send();
    expect(first.baselineTick).toBe(0);
    expect(ids(first.table)).toEqual([1, 2, 4, 9]);
    expect(rowsOf(first.table!)).toEqual(rowsOf(rig.rep.heldBy(rig.replica, rig.tick)!));
    rig.ack(rig.tick);
    // Everything moves a little; the flag changes.
    world[1][4] = 11;
    world[2][2] = 3950;
    world[5][2] = 8;
    rig.seal(world);
    expect(rig.sendDelta()).toEqual([
      [1, DOT, 5500, 5500, 0],
      [2, DOT, 4100, 6900, 11],
      [4, DOT, 6999, 4000, 3],
      [9, FLAG, 8],
    ]);
  });

  it('entities crossing cell borders: within the view they stay, out of it they go, into it they arrive', () => {
    const rig = new Rig(GRID);
    const world = (a: number, b: number, c: number): Row[] => [
      [1, DOT, 5500, 5500, 0],
      [2, DOT, a, 5500, 0],
      [3, DOT, b, 5500, 0],
      [4, DOT, c, 5500, 0],
    ];
    rig.seal(world(4200, 6800, 8000)); // 2 and 3 in (columns 4 and 6), 4 out (column 8)
    expect(ids(rig.send().table)).toEqual([1, 2, 3]);
    rig.ack(rig.tick);
    rig.seal(world(5200, 7100, 6900)); // 2: column 4 → 5 (stays); 3: 6 → 7 (leaves); 4: 8 → 6 (arrives)
    const moved = rig.sendDelta();
    expect(moved).toEqual([
      [1, DOT, 5500, 5500, 0],
      [2, DOT, 5200, 5500, 0],
      [4, DOT, 6900, 5500, 0],
    ]);
    expect(moved).toEqual(rowsOf(rig.rep.heldBy(rig.replica, rig.tick)!));
  });

  it('a lost snapshot: the next is against the older acknowledged tick and decodes to the same world', () => {
    const rig = new Rig(GRID);
    const world = (x: number, n: number): Row[] => [
      [1, DOT, x, 5500, 0],
      [2, DOT, x + 600, 5500, n],
      [3, DOT, 8000, 5500, n],
    ];
    rig.seal(world(5500, 0));
    rig.send();
    rig.ack(1);
    rig.seal(world(6000, 1)); // the view moves right: column 7 enters
    expect(rig.send(true).table).toBeNull(); // lost: never acknowledged
    rig.seal(world(7500, 2)); // and on: column 8 enters, with dot 3; columns 4 and 5 leave
    const after = rig.send();
    expect(after.baselineTick).toBe(1);
    expect(rowsOf(after.table!)).toEqual(rowsOf(rig.rep.heldBy(rig.replica, rig.tick)!));
    expect(ids(after.table)).toEqual([1, 2, 3]);
  });

  it('the decoder is strict: a truncated body, a trailing byte or a view off the grid is a WireError', () => {
    const rig = new Rig(GRID);
    rig.seal([
      [1, DOT, 5500, 5500, 0],
      [2, DOT, 5000, 5000, 1],
      [9, FLAG, 3],
    ]);
    const f = rig.rep.frameFor(rig.replica, 1, 0, 0, { head: new Uint8Array(0), body: null, length: 0 });
    const bytes = f.body ? Buffer.concat([f.head, f.body]) : Buffer.from(f.head);
    const r = new ByteReader(bytes);
    r.u8();
    readSnapshotHeader(r, newSnapshotHeader());
    readDetachedIds(r, []);
    const body = bytes.subarray(r.offset);
    const decode = (b: Uint8Array) => rig.decoder.decode(new ByteReader(b), null, new EntityTable(schema), 1);
    expect(() => decode(body)).not.toThrow();
    expect(() => decode(body.subarray(0, body.length - 1))).toThrow(WireError);
    expect(() => decode(Buffer.concat([body, Buffer.from([0])]))).toThrow(WireError);
    // A view whose right edge is column 200 of a 10-column grid: 0 (changed), Δc0 = 0, Δc1 = +201.
    const w = new ByteWriter();
    const bw = new BitWriter().begin(w);
    bw.bits(0, 1);
    bw.signedExpGolomb(0, 0);
    bw.signedExpGolomb(201, 0);
    bw.signedExpGolomb(0, 0);
    bw.signedExpGolomb(1, 0);
    bw.finish();
    expect(() => decode(w.bytes())).toThrow(/leaves the grid/);
  });

  it('a view-centre hook looks elsewhere: the own entity’s cell is held besides the view', () => {
    const rig = new Rig(GRID);
    const world: Row[] = [
      [1, DOT, 2500, 2500, 0], // own, far from the camera
      [2, DOT, 2700, 2200, 0], // in the own entity's cell (2, 2)
      [3, DOT, 3500, 2500, 0], // next to it: not held
      [4, DOT, 8000, 8000, 0], // near the camera
    ];
    for (let t = 0; t < 3; t++) {
      world[0][4] = t;
      rig.seal(world);
      rig.replica.centerFromHook = true; // what Room.sendSnapshot does when the hook places the view
      rig.replica.centerX = 8000;
      rig.replica.centerY = 8000;
      rig.replica.hasCenter = true;
      const { table } = rig.send();
      expect(rowsOf(table!)).toEqual([
        [1, DOT, 2500, 2500, t],
        [2, DOT, 2700, 2200, 0],
        [4, DOT, 8000, 8000, 0],
      ]);
      rig.ack(rig.tick);
    }
  });

  it('a tight budget holds far cells back until they get through: nothing starves, the own entity always goes', () => {
    // 500-unit cells; 30 dots spread over the view; 1 KiB/s is 34 B a snapshot.
    const rig = new Rig({
      interest: { width: 10_000, height: 10_000, viewWidth: 3000, viewHeight: 3000, cellSize: 500 },
      bandwidthBytesPerSecond: 1024,
    });
    const dots = (t: number): Row[] => [
      [1, DOT, 5000, 5000, t % 1000],
      ...Array.from({ length: 30 }, (_, i): Row => [i + 2, DOT, 3600 + (i % 6) * 550, 3600 + Math.floor(i / 6) * 550, (t * 7 + i) % 1000]),
    ];
    const seen = new Map<number, number>();
    let bites = 0;
    for (let t = 0; t < 150; t++) {
      rig.seal(dots(t));
      const before = rig.rep.stats.budgetBites;
      const { table } = rig.send();
      if (rig.rep.stats.budgetBites > before) bites++;
      expect(table!.indexOf(1)).toBeGreaterThanOrEqual(0); // the own entity is never held back
      for (let r = 0; r < table!.count; r++) seen.set(table!.ids[r], t);
      expect(rowsOf(table!)).toEqual(rowsOf(rig.rep.heldBy(rig.replica, rig.tick)!));
      rig.ack(rig.tick);
    }
    expect(bites).toBeGreaterThan(50);
    // Every dot was delivered, and recently: nothing starves.
    expect(seen.size).toBe(31);
    for (const [, t] of seen) expect(t).toBeGreaterThan(149 - 60);
  });

  it('property: under random movement, spawns, acks and losses the decoded table always equals the server’s record', () => {
    const step = fc.record({
      moves: fc.array(fc.tuple(fc.integer({ min: -500, max: 500 }), fc.integer({ min: -500, max: 500 })), { minLength: 40, maxLength: 40 }),
      toggle: fc.integer({ min: 0, max: 60 }),
      lost: fc.boolean(),
      ack: fc.integer({ min: 0, max: 3 }),
    });
    const scenario = fc.record({
      cellSize: fc.constantFrom(400, 700, 1000, 2500),
      budget: fc.constantFrom(1024, 4096, 1 << 20),
      start: fc.array(fc.tuple(fc.integer({ min: 3000, max: 7000 }), fc.integer({ min: 3000, max: 7000 })), {
        minLength: 40,
        maxLength: 40,
      }),
      steps: fc.array(step, { minLength: 10, maxLength: 60 }),
    });
    fc.assert(
      fc.property(scenario, (s) => {
        const rig = new Rig({
          interest: { width: 10_000, height: 10_000, viewWidth: 3000, viewHeight: 2000, cellSize: s.cellSize },
          bandwidthBytesPerSecond: s.budget,
        });
        const pos = s.start.map(([x, y]) => [x, y]);
        const present = pos.map(() => true);
        const clamp = (v: number) => Math.max(0, Math.min(10_000, v));
        const decoded: number[] = [];
        for (const [t, st] of s.steps.entries()) {
          pos.forEach((p, i) => {
            p[0] = clamp(p[0] + st.moves[i][0]);
            p[1] = clamp(p[1] + st.moves[i][1]);
          });
          if (st.toggle > 0 && st.toggle < pos.length) present[st.toggle] = !present[st.toggle]; // the own dot (0) stays
          const rows: Row[] = pos.flatMap((p, i): Row[] => (present[i] ? [[i + 1, DOT, p[0], p[1], t % 1000]] : []));
          if (t % 4 === 0) rows.push([100 + (t % 3), FLAG, t % 1000]); // flags come and go
          rig.seal(rows);
          const { table } = rig.send(st.lost);
          const record = rig.rep.heldBy(rig.replica, rig.tick)!;
          // The record is the world: the room's values for every entity of the held cells.
          const geometry = rig.rep.interestGeometry!;
          for (let r = 0; r < record.count; r++) {
            const want = rows.find((w) => w[0] === record.ids[r])!;
            expect(rowsOf(record)[r]).toEqual(want);
          }
          expect(record.indexOf(1)).toBeGreaterThanOrEqual(0);
          // Every present entity in a cell the record holds is in it (no entity is half-held).
          const heldCells = new Set<number>();
          for (let r = 0; r < record.count; r++)
            if (record.kinds[r] === DOT)
              heldCells.add(cellOf(geometry, record.values[r * record.stride], record.values[r * record.stride + 1]));
          for (const w of rows)
            if (w[1] === DOT && heldCells.has(cellOf(geometry, w[2], w[3]))) expect(record.indexOf(w[0])).toBeGreaterThanOrEqual(0);
          if (table) {
            expect(rowsOf(table)).toEqual(rowsOf(record));
            decoded.push(rig.tick);
            // Acknowledge the newest, an older one, or nothing (an ack lost on the way up).
            if (st.ack < 3) rig.ack(decoded[Math.max(0, decoded.length - 1 - st.ack)]);
          }
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000); // a property test: 60 runs of up to 60 ticks; a loaded machine needs more than the default 5 s
});
