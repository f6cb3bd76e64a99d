import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { CellDecoder } from '../../shared/replication/cell-codec';
import { EntityTable } from '../../shared/replication/entity-table';
import { Replicator, type ReplicationOptions, type SnapshotFrame } from '../../src/replication/replicator';
import { DotClient, dotSchema as schema, sealDots, type Dot } from '../support/dots';

/** A test driver: one replicator, clients that decode what it sends and acknowledge it. */
class Rig {
  readonly rep: Replicator;
  tick = 0;
  private readonly frame: SnapshotFrame = { head: new Uint8Array(0), body: null, length: 0 };

  constructor(options: ReplicationOptions = {}) {
    this.rep = new Replicator(schema, 30, 30, options);
  }

  /** Seal a snapshot of `dots` (in any order) as the next tick. */
  seal(dots: readonly Dot[]): void {
    sealDots(this.rep, ++this.tick, dots);
  }

  /** One client's snapshot, decoded with its held tables; returns the decoded table and header. */
  send(client: DotClient): { table: EntityTable; baselineTick: number; bytes: number } {
    const f = this.rep.frameFor(client.replica, client.ownId, 0, 0, this.frame);
    const bytes = f.body ? Buffer.concat([f.head, f.body]) : f.head;
    const r = new ByteReader(bytes);
    r.u8();
    const h = readSnapshotHeader(r, newSnapshotHeader());
    readDetachedIds(r, []);
    const baseline = h.baselineTick === 0 ? null : client.held.get(h.baselineTick)!;
    if (h.baselineTick !== 0) expect(baseline, `client holds baseline ${h.baselineTick}`).toBeDefined();
    const table = new EntityTable(schema);
    const grid = this.rep.interestGeometry;
    if (grid !== null) new CellDecoder(schema, grid).decode(r, baseline, table, h.tick);
    else this.rep.codec.decode(r, baseline, table, h.tick);
    client.held.set(h.tick, table);
    return { table, baselineTick: h.baselineTick, bytes: bytes.length };
  }
}

const ids = (t: EntityTable) => Array.from(t.ids.subarray(0, t.count));

describe('Replicator', () => {
  it('sends a full snapshot first, deltas against acknowledged ticks after, and a full one when the baseline has aged out', () => {
    const rig = new Rig({ historyMs: 200 }); // 7 sends at 30 Hz
    const c = new DotClient(rig.rep.createReplica(), 1);
    const dots: Dot[] = [
      [1, 10, 10, 0],
      [2, 20, 20, 0],
    ];
    rig.seal(dots);
    expect(rig.send(c).baselineTick).toBe(0);
    rig.rep.ack(c.replica, 1);
    rig.seal(dots);
    const delta = rig.send(c);
    expect(delta.baselineTick).toBe(1);
    expect(ids(delta.table)).toEqual([1, 2]);
    // The client goes quiet: no acks for longer than the history.
    for (let i = 0; i < 10; i++) {
      rig.seal(dots);
      rig.send(c);
    }
    rig.rep.ack(c.replica, 2); // an ack of a tick that has left the record: ignored
    rig.seal(dots);
    expect(rig.send(c).baselineTick).toBe(0);
  });

  it('re-sealing the same tick (resumes between steps) does not push older baselines out', () => {
    const rig = new Rig({ historyMs: 200 }); // 7 tables
    const c = new DotClient(rig.rep.createReplica(), 1);
    rig.seal([[1, 10, 10, 0]]);
    rig.send(c);
    rig.rep.ack(c.replica, 1);
    rig.seal([[1, 11, 10, 0]]);
    for (let i = 0; i < 30; i++) {
      const t = rig.rep.begin(rig.tick);
      t.set(t.push(1, 0), 0, 11);
      rig.rep.seal(new Uint8Array([0]));
    }
    expect(rig.send(c).baselineTick).toBe(1);
  });

  it('puts ids that wrapped around back in order before encoding', () => {
    const rig = new Rig();
    const c = new DotClient(rig.rep.createReplica(), 0);
    rig.seal([
      [0x7fffffff, 1, 1, 0],
      [0x10000, 2, 2, 0],
      [5, 3, 3, 0],
    ]);
    expect(ids(rig.send(c).table)).toEqual([5, 0x10000, 0x7fffffff]);
  });

  it('refuses a value outside its declared range, naming it, instead of wrapping it', () => {
    const rig = new Rig();
    expect(() => rig.seal([[1, 10_001, 0, 0]])).toThrow(/entity 1 \(dot\): x = 10001 is outside its declared range 0\.\.10000/);
  });

  it('with interest: whole cells enter the view and leave past the margin, the own entity always in it', () => {
    // 1000-unit cells; the view (2000 square) holds the cells it overlaps and keeps them while
    // they overlap the view grown by the 200-unit margin.
    const rig = new Rig({ interest: { width: 10_000, height: 10_000, viewWidth: 2000, viewHeight: 2000, margin: 200, cellSize: 1000 } });
    const c = new DotClient(rig.rep.createReplica(), 1);
    const world = (ownX: number): Dot[] => [
      [1, ownX, 5500, 0],
      [2, 6500, 5000, 0], // in column 6
      [3, 9000, 9000, 0],
    ];
    const step = (ownX: number) => {
      rig.seal(world(ownX));
      const sent = rig.send(c);
      rig.rep.ack(c.replica, rig.tick);
      return sent;
    };
    expect(ids(step(5100).table)).toEqual([1, 2]); // the view reaches 6100: column 6 is in
    expect(ids(step(4900).table)).toEqual([1, 2]); // the view stops at 5900, the margin reaches 6100: kept
    const gone = step(4700); // the margin stops at 5900: column 6 leaves
    expect(gone.baselineTick).toBe(rig.tick - 1);
    expect(ids(gone.table)).toEqual([1]);
    expect(ids(step(4900).table)).toEqual([1]); // within the margin again, but not the view: stays out
    expect(ids(step(5100).table)).toEqual([1, 2]); // in the view: enters
    // A client whose own entity is far from everyone still sees itself.
    const far = new DotClient(rig.rep.createReplica(), 3);
    expect(ids(rig.send(far).table)).toEqual([3]);
  });

  it('under a tight budget every changed entity still gets through: nothing starves', () => {
    const rig = new Rig({ bandwidthBytesPerSecond: 1024 }); // 34 B per snapshot
    const c = new DotClient(rig.rep.createReplica(), 1);
    const dots = (n: number): Dot[] =>
      Array.from({ length: 60 }, (_, i): Dot => [i + 1, 100 + i * 100, 100 + ((i * 37) % 60) * 100, n * 1000 + i]);
    const lastSeen = new Map<number, number>();
    let bites = 0;
    for (let n = 0; n < 120; n++) {
      rig.seal(dots(n));
      const before = rig.rep.stats.budgetBites;
      const { table, bytes } = rig.send(c);
      if (rig.rep.stats.budgetBites > before) bites++;
      // Within the budget (a burst of two snapshots), whatever it carried.
      expect(bytes).toBeLessThanOrEqual(70);
      for (let r = 0; r < table.count; r++) if (table.ticks[r] === rig.tick) lastSeen.set(table.ids[r], n);
      rig.rep.ack(c.replica, rig.tick);
    }
    expect(bites).toBeGreaterThan(100);
    // All 60 entities were brought up to date within the last stretch of snapshots.
    expect(lastSeen.size).toBe(60);
    for (const [, n] of lastSeen) expect(n).toBeGreaterThan(119 - 40);
    // The own entity is never held back.
    expect(lastSeen.get(1)).toBe(119);
  });

  it('clients sharing a baseline share one body; the body is not copied per client when big', () => {
    const rig = new Rig({ bandwidthBytesPerSecond: 1 << 20 });
    const clients = Array.from({ length: 4 }, (_, i) => new DotClient(rig.rep.createReplica(), i + 1));
    const dots = Array.from({ length: 2000 }, (_, i): Dot => [i + 1, i * 5, i * 3, i]);
    rig.seal(dots);
    const frames = clients.map((c) => rig.rep.frameFor(c.replica, c.ownId, 0, 0, { head: new Uint8Array(0), body: null, length: 0 }));
    expect(rig.rep.stats.bodiesEncoded).toBe(1);
    // A full snapshot of 2,000 dots is over the 4 KiB line: the same body object for everyone.
    expect(frames[0].body).not.toBeNull();
    expect(frames.every((f) => f.body === frames[0].body)).toBe(true);
  });
});
