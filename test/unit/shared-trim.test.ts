import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { EntityTable } from '../../shared/replication/entity-table';
import { Replicator, type SnapshotFrame } from '../../src/replication/replicator';
import { DotClient as Client, dotSchema as schema, sealDots, type Dot } from '../support/dots';
import { freshRowsUnlikeWorld } from '../support/replication-checks';

/** `count` dots (ids 1…count), all moved and counted on in round `n`. */
const movingDots = (count: number, n: number): Dot[] =>
  Array.from({ length: count }, (_, i): Dot => [
    i + 1,
    (100 + i * 37 + n * 13) % 10_000,
    (100 + i * 53 + n * 7) % 10_000,
    (n % 900) * 1000 + i,
  ]);

interface Sent {
  /** The whole message. */
  bytes: Uint8Array;
  /** The entity body (after header and detached list). */
  body: Uint8Array;
  baselineTick: number;
  table: EntityTable;
}

/** One replicator without interest, and clients that decode every snapshot they are handed. */
class Rig {
  readonly rep: Replicator;
  tick = 0;
  private readonly frame: SnapshotFrame = { head: new Uint8Array(0), body: null, length: 0 };

  constructor(bandwidthBytesPerSecond: number) {
    this.rep = new Replicator(schema, 30, 30, { bandwidthBytesPerSecond });
  }

  client(ownId: number): Client {
    return new Client(this.rep.createReplica(), ownId);
  }

  seal(dots: readonly Dot[]): void {
    sealDots(this.rep, ++this.tick, dots);
  }

  /**
   * Build `c`'s snapshot and decode it, or return null when `c` lacks its baseline (a client
   * drops such a snapshot unacknowledged); nothing is decoded when `deliver` is false.
   */
  trySend(c: Client, deliver = true): Sent | null {
    const f = this.rep.frameFor(c.replica, c.ownId, 0, 0, this.frame);
    const bytes = f.body ? Buffer.concat([f.head, f.body]) : Uint8Array.from(f.head);
    if (!deliver) return null;
    const r = new ByteReader(bytes);
    r.u8();
    const h = readSnapshotHeader(r, newSnapshotHeader());
    readDetachedIds(r, []);
    const baseline = h.baselineTick === 0 ? null : c.held.get(h.baselineTick);
    if (baseline === undefined) return null;
    const body = bytes.subarray(bytes.length - r.remaining);
    const table = new EntityTable(schema);
    this.rep.codec.decode(r, baseline, table, h.tick);
    c.held.set(h.tick, table);
    return { bytes, body, baselineTick: h.baselineTick, table };
  }

  /** Build `c`'s snapshot; decode it into c.held unless `deliver` is false (lost on the way). */
  send(c: Client, deliver = true): Sent {
    const f = this.rep.frameFor(c.replica, c.ownId, 0, 0, this.frame);
    const bytes = f.body ? Buffer.concat([f.head, f.body]) : Uint8Array.from(f.head);
    const r = new ByteReader(bytes);
    r.u8();
    const h = readSnapshotHeader(r, newSnapshotHeader());
    readDetachedIds(r, []);
    const body = bytes.subarray(bytes.length - r.remaining);
    const table = new EntityTable(schema);
    const baseline = h.baselineTick === 0 ? null : c.held.get(h.baselineTick);
    expect(baseline, `client ${c.ownId} holds baseline ${h.baselineTick}`).not.toBeUndefined();
    this.rep.codec.decode(r, baseline ?? null, table, h.tick);
    if (deliver) c.held.set(h.tick, table);
    return { bytes, body, baselineTick: h.baselineTick, table };
  }
}

function rowsOf(t: EntityTable): number[][] {
  const rows: number[][] = [];
  for (let r = 0; r < t.count; r++)
    rows.push([t.ids[r], t.kinds[r], t.ticks[r], ...Array.from(t.values.subarray(r * t.stride, (r + 1) * t.stride))]);
  return rows;
}

/** Rows of `t` stamped with `tick` (brought up to date by that snapshot). */
const freshIds = (t: EntityTable, tick: number) => Array.from(t.ids.subarray(0, t.count)).filter((_, r) => t.ticks[r] === tick);

/*
 * The property test at the end gets 30 s (its last argument), as the integration tests do: it
 * plays 40 random scenarios of up to 5 clients, 120 dots and 60 ticks, decoding every snapshot,
 * which took 1.4-1.8 s at load 8-12 on this 2-core box (7.6-9.3 s, past vitest's 5 s default for a
 * single case, before its per-row checks became one `expect` per snapshot). A box at load 18 can
 * be several times slower again; a run slowed tenfold still fails.
 */
describe('shared budget-trimmed bodies (no interest)', () => {
  it('two clients with the same baseline and allowance get byte-identical bodies and the same record', () => {
    const rig = new Rig(8 * 1024); // 273 B a send: 200 moving dots are far over it
    const [a, b] = [rig.client(1), rig.client(2)];
    for (let n = 0; n < 6; n++) {
      rig.seal(movingDots(200, n));
      const sa = rig.send(a);
      const encoded = rig.rep.stats.bodiesEncoded;
      const shared = rig.rep.stats.trimmedBodiesShared;
      const sb = rig.send(b);
      // b's snapshot took a's body: nothing more was encoded.
      expect(rig.rep.stats.bodiesEncoded - encoded).toBe(0);
      expect(rig.rep.stats.trimmedBodiesShared - shared).toBe(1);
      expect(Buffer.from(sb.body).equals(Buffer.from(sa.body))).toBe(true);
      expect(sb.baselineTick).toBe(sa.baselineTick);
      // One record, held by both, and it is what each decoded.
      const record = rig.rep.heldBy(a.replica, rig.tick)!;
      expect(rig.rep.heldBy(b.replica, rig.tick)).toBe(record);
      expect(rowsOf(sa.table)).toEqual(rowsOf(record));
      // Trimmed: some of the 200 dots were held back.
      expect(freshIds(record, rig.tick).length).toBeLessThan(200);
      rig.rep.ack(a.replica, rig.tick);
      rig.rep.ack(b.replica, rig.tick);
    }
    expect(rig.rep.stats.budgetBites).toBe(12);
  });

  it('a client with another baseline, or another allowance tier, gets its own body and record', () => {
    const rig = new Rig(8 * 1024);
    const [a, b, c] = [rig.client(1), rig.client(2), rig.client(3)];
    for (let n = 0; n < 3; n++) {
      rig.seal(movingDots(200, n));
      for (const x of [a, b, c]) rig.send(x);
      // c's ack of the third snapshot is lost: it stays on the second as baseline.
      for (const x of n < 2 ? [a, b, c] : [a, b]) rig.rep.ack(x.replica, rig.tick);
    }
    // Drain b's tokens by a quarter of a send: a lower tier.
    b.replica.tokens -= (8 * 1024) / 30 / 4;
    rig.seal(movingDots(200, 3));
    const encoded = rig.rep.stats.bodiesEncoded;
    const [sa, sb, sc] = [a, b, c].map((x) => rig.send(x));
    expect(rig.rep.stats.bodiesEncoded - encoded).toBe(3);
    expect(sc.baselineTick).toBe(rig.tick - 2);
    expect(sa.baselineTick).toBe(rig.tick - 1);
    expect(sb.baselineTick).toBe(rig.tick - 1);
    expect(sb.body.length).toBeLessThan(sa.body.length);
    const records = [a, b, c].map((x) => rig.rep.heldBy(x.replica, rig.tick));
    expect(new Set(records).size).toBe(3);
    [sa, sb, sc].forEach((s, i) => expect(rowsOf(s.table)).toEqual(rowsOf(records[i]!)));
  });

  it('under a tight budget, shared by every client, a held-back row waits until it wins: nothing starves, own entities always go', () => {
    const rig = new Rig(2048); // 68 B a send: the six own entities and a few others
    const clients = [1, 2, 3, 4, 5, 6].map((id) => rig.client(id));
    const lastSeen = clients.map(() => new Map<number, number>());
    const encodedBefore = rig.rep.stats.bodiesEncoded;
    // The longest any one row of client 1's record went without news, in sends.
    let longestWait = 0;
    const waitingSince = new Map<number, number>();
    for (let n = 0; n < 120; n++) {
      rig.seal(movingDots(60, n));
      clients.forEach((c, k) => {
        const { table } = rig.send(c);
        for (let r = 0; r < table.count; r++) if (table.ticks[r] === rig.tick) lastSeen[k].set(table.ids[r], n);
        // Each client's own entity is in every snapshot, fresh.
        expect(lastSeen[k].get(c.ownId)).toBe(n);
        rig.rep.ack(c.replica, rig.tick);
      });
      const record = rig.rep.heldBy(clients[0].replica, rig.tick)!;
      for (let r = 0; r < record.count; r++) {
        const id = record.ids[r];
        if (record.ticks[r] === rig.tick) waitingSince.delete(id);
        else if (!waitingSince.has(id)) waitingSince.set(id, n);
        else longestWait = Math.max(longestWait, n - waitingSince.get(id)!);
      }
    }
    expect(rig.rep.stats.budgetBites).toBeGreaterThan(600);
    // One body a send for all six (their baselines and tiers stayed together), and once the
    // whole first snapshot, tried in case it fit.
    expect(rig.rep.stats.bodiesEncoded - encodedBefore).toBe(120 + 1);
    // Every one of the 60 dots was brought up to date for every client in the last stretch.
    for (const seen of lastSeen) {
      expect(seen.size).toBe(60);
      for (const [, n] of seen) expect(n).toBeGreaterThan(119 - 40);
    }
    // Held back, but never for long: staleness outbids fresh changes.
    expect(longestWait).toBeGreaterThan(0);
    expect(longestWait).toBeLessThan(40);
  });

  it('property: with random losses of snapshots and acks, every decoded snapshot equals the shared record, whose fresh rows are the world', () => {
    const fate = fc.constantFrom('deliver', 'deliver', 'deliver', 'lose-snapshot', 'lose-ack', 'late-ack');
    const scenario = fc.record({
      clients: fc.integer({ min: 1, max: 5 }),
      dots: fc.integer({ min: 20, max: 120 }),
      budget: fc.constantFrom(1024, 4096, 16_384),
      ticks: fc.integer({ min: 20, max: 60 }),
      fates: fc.array(fate, { minLength: 1, maxLength: 50 }),
      seed: fc.integer({ min: 0, max: 1000 }),
    });
    let shared = 0;
    let bites = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const rig = new Rig(s.budget);
        const clients = Array.from({ length: s.clients }, (_, i) => rig.client(i + 1));
        const lateAcks: [Client, number][] = [];
        let f = 0;
        for (let n = 0; n < s.ticks; n++) {
          // Dots come and go: every 7th id is missing in some rounds.
          const dots = movingDots(s.dots, n + s.seed).filter(([id]) => id % 7 !== (n >> 3) % 7 || id <= s.clients);
          rig.seal(dots);
          for (const [c, t] of lateAcks.splice(0)) rig.rep.ack(c.replica, t);
          const world = rig.rep.current!;
          for (const c of clients) {
            const what = s.fates[f++ % s.fates.length];
            const sent = rig.send(c, what !== 'lose-snapshot');
            const record = rig.rep.heldBy(c.replica, rig.tick)!;
            expect(rowsOf(sent.table)).toEqual(rowsOf(record));
            expect(freshRowsUnlikeWorld(record, world, rig.tick)).toEqual([]);
            expect(freshIds(record, rig.tick)).toContain(c.ownId);
            if (what === 'deliver') rig.rep.ack(c.replica, rig.tick);
            else if (what === 'late-ack') lateAcks.push([c, rig.tick]);
          }
        }
        shared += rig.rep.stats.trimmedBodiesShared;
        bites += rig.rep.stats.budgetBites;
      }),
      { numRuns: 40 },
    );
    // Honest about what was exercised: the budget bit, and trimmed bodies were shared.
    expect(bites).toBeGreaterThan(0);
    expect(shared).toBeGreaterThan(0);
  }, 30_000); // the 30 s explained above the describe

  it('on links that deliver in order, lost and late acks do not split a group: one body a send, against the snapshot before', () => {
    const rig = new Rig(8 * 1024);
    const clients = [1, 2, 3, 4].map((id) => rig.client(id));
    for (const c of clients) c.replica.inOrder = true;
    const late: [Client, number][] = [];
    let encodedAfterFirst = 0;
    for (let n = 0; n < 40; n++) {
      rig.seal(movingDots(200, n));
      for (const [c, t] of late.splice(0)) rig.rep.ack(c.replica, t);
      if (n === 1) encodedAfterFirst = rig.rep.stats.bodiesEncoded;
      for (const c of clients) {
        const s = rig.send(c);
        expect(rowsOf(s.table)).toEqual(rowsOf(rig.rep.heldBy(c.replica, rig.tick)!));
        // Client 4 only until its newest snapshot is over 15 ticks past its ack (tick 1).
        if (n > 0 && (c !== clients[3] || n < 17)) expect(s.baselineTick).toBe(rig.tick - 1);
        if (c === clients[3] && n >= 17) expect(s.baselineTick).toBeLessThanOrEqual(1);
      }
      // Client 1 acks every snapshot, 2 every third, 3 two sends late, 4 never after the first.
      rig.rep.ack(clients[0].replica, rig.tick);
      if (n % 3 === 0) rig.rep.ack(clients[1].replica, rig.tick);
      late.push([clients[2], rig.tick]);
      if (n === 0) rig.rep.ack(clients[3].replica, rig.tick);
      const sharing = n < 17 ? clients : clients.slice(0, 3);
      if (n > 0) expect(new Set(sharing.map((c) => rig.rep.heldBy(c.replica, rig.tick))).size).toBe(1);
    }
    // The first three shared one body a send throughout (client 4 too until it fell back).
    const sends = 39;
    expect(rig.rep.stats.bodiesEncoded - encodedAfterFirst).toBeGreaterThanOrEqual(sends);
    expect(rig.rep.stats.trimmedBodiesShared).toBeGreaterThanOrEqual(sends * 2 + 15);
  });

  it('on an in-order link that broke its promise (a snapshot lost), snapshots come against the acknowledged baseline again within half the history', () => {
    const rig = new Rig(8 * 1024);
    const c = rig.client(1);
    c.replica.inOrder = true;
    let lostAt = -1;
    let undecodable = 0;
    let recoveredAfter = -1;
    for (let n = 0; n < 40; n++) {
      rig.seal(movingDots(200, n));
      const s = rig.trySend(c, n !== 10);
      if (n === 10) lostAt = rig.tick;
      if (s === null) {
        if (n !== 10) undecodable++;
        continue;
      }
      expect(rowsOf(s.table)).toEqual(rowsOf(rig.rep.heldBy(c.replica, rig.tick)!));
      if (n > 10 && recoveredAfter < 0) recoveredAfter = n - 10;
      rig.rep.ack(c.replica, rig.tick);
    }
    expect(lostAt).toBe(11);
    // Every snapshot after the lost one named it as baseline until the lag bound (15 ticks past
    // the last ack) sent the client back to what it acknowledged.
    expect(undecodable).toBeGreaterThan(0);
    expect(recoveredAfter).toBeGreaterThan(1);
    expect(recoveredAfter).toBeLessThanOrEqual(17);
  });

  it('after a resume (a new link) the first snapshot is against the acknowledged baseline, the next against it', () => {
    const rig = new Rig(8 * 1024);
    const c = rig.client(1);
    c.replica.inOrder = true;
    for (let n = 0; n < 5; n++) {
      rig.seal(movingDots(200, n));
      rig.send(c, n !== 4); // the last one went out on the old link and was lost
      if (n < 3) rig.rep.ack(c.replica, rig.tick);
    }
    c.replica.newLink();
    rig.seal(movingDots(200, 5));
    expect(rig.send(c).baselineTick).toBe(3);
    rig.seal(movingDots(200, 6));
    expect(rig.send(c).baselineTick).toBe(6);
  });
});
