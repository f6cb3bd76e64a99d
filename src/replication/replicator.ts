import { ByteWriter } from '../../shared/binary/byte-writer';
import { snapshotHeaderLength, writeSnapshotHeaderAt } from '../../shared/protocol/snapshot-message';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import type { CellGeometry } from '../../shared/replication/cell-geometry';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import type { EntityTable } from '../../shared/replication/entity-table';
import { quantizeTable } from '../../shared/replication/quantize';
import { BandwidthBudget } from './bandwidth-budget';
import { ClientReplica } from './client-replica';
import { CellInterest } from './cell-interest';
import type { InterestOptions } from './interest';
import { SharedTrim } from './shared-trim';
import { SnapshotHistory } from './snapshot-history';
import { TablePool } from './table-pool';

/** Replication settings of a room type. */
export interface ReplicationOptions {
  /** Send each client only the entities near it (default off: every client sees everything). */
  interest?: InterestOptions;
  /**
   * Downstream budget per client, bytes per second (default 65536: 64 KiB/s, 512 kbit/s, about
   * 2.2 KB per snapshot at 30 Hz: a 500-player arena's deltas fit, a mobile link carries it). A
   * snapshot that would exceed it sends the highest-priority changes and holds the rest back.
   */
  bandwidthBytesPerSecond?: number;
  /**
   * How old a baseline may be, ms (default 1000). Clients acknowledge within a round trip, so
   * this covers round trips up to about a second; a client further behind gets a full snapshot.
   */
  historyMs?: number;
  /**
   * When the tick rate is a whole multiple of the send rate, spread the clients' snapshots over
   * the ticks between sends (client k on ticks where tick ≡ k mod the interval), so a room's
   * replication work is even from tick to tick instead of all on one (default true).
   */
  staggerSends?: boolean;
}

/** Replication counters of a room, part of its RoomStats. */
export interface ReplicationStats {
  /** Snapshots sent without a baseline: first ones, and after a baseline aged out. */
  fullSnapshots: number;
  /** Snapshot bodies encoded. Without interest, clients sharing a baseline share one body. */
  bodiesEncoded: number;
  /** Snapshots the bandwidth budget trimmed. */
  budgetBites: number;
  /**
   * Budget-trimmed snapshots (no interest) whose body was encoded for another client with the
   * same baseline and allowance tier, and reused.
   */
  trimmedBodiesShared: number;
  /** Entity changes and creations the budget held back (summed over snapshots). */
  entitiesDeferred: number;
  /** Acknowledgements of ticks never sent to that client (or aged out): ignored. */
  invalidAcks: number;
}

export function newReplicationStats(): ReplicationStats {
  return { fullSnapshots: 0, bodiesEncoded: 0, budgetBites: 0, trimmedBodiesShared: 0, entitiesDeferred: 0, invalidAcks: 0 };
}

/**
 * One client's SNAPSHOT: the whole message in `head`, or, for a big shared body, the header in
 * `head` and the body in `body` (sent as two parts, so the body is never copied per client).
 */
export interface SnapshotFrame {
  head: Uint8Array;
  body: Uint8Array | null;
  /** Bytes of the whole message. */
  length: number;
}

/**
 * Shared bodies from this size up go out as a second part rather than copied behind each
 * header: below it, one copy costs less than the extra frame and write per client.
 */
const SEPARATE_BODY_BYTES = 4096;

const DEFAULT_BUDGET = 64 * 1024;
const DEFAULT_HISTORY_MS = 1000;
const EMPTY = new Uint8Array(0);
/** The token bucket holds this many snapshots' worth: a small burst for a join or a busy moment. */
const BURST_SNAPSHOTS = 2;

/**
 * The room's replication: every send, it stores the tick's entities in the history and builds
 * each client's SNAPSHOT against that client's newest acknowledged baseline.
 *
 * Without interest management, clients whose baseline is the room's table for the same tick get
 * the same body, encoded once per tick (in steady state a handful of bodies, one per distinct
 * acknowledged tick, whatever the client count). When the budget trims them, clients with the
 * same baseline and allowance tier share a trimmed body and record ({@link SharedTrim}). With
 * interest, the body is the client's own, and so is its record of what it holds.
 */
export class Replicator {
  readonly codec: DeltaCodec;
  /** Ticks of history a baseline may come from: WELCOME tells the client to keep as many. */
  readonly historyTicks: number;
  /** Ticks between a client's snapshots when sends are staggered (1: everyone on the same tick). */
  readonly staggerInterval: number;
  readonly stats: ReplicationStats;
  private readonly history: SnapshotHistory;
  private readonly pool: TablePool;
  private readonly interest: CellInterest | null;
  private readonly budget: BandwidthBudget;
  /** Budget-trimmed bodies without interest, shared by baseline and allowance tier. */
  private readonly trim: SharedTrim;
  /** Ids of the seated players' entities (each client's own), kept by their replicas. */
  private readonly seats = new Set<number>();
  private readonly sends: number;
  private readonly bytesPerSend: number;
  /**
   * How far an in-order client's newest snapshot may run ahead of its acknowledged one and
   * still be a baseline, ticks: half the history (500 ms by default). An ack is as old as a
   * round trip plus the SDK's ack spacing on a sparse link (at most 150 ms when it sends no
   * input, one keepalive of 133 ms when it does) plus a send interval: round trips up to 300 ms
   * stay within it. Past it (a client that stopped acknowledging, as one that cannot decode
   * does), snapshots go against the acknowledged baseline, or full, again.
   */
  private readonly inOrderLagTicks: number;
  private readonly body = new ByteWriter(4096, 1 << 20, 'the snapshot size limit (1 MiB): fewer entities per room, or interest management');
  /** The sealed table of the newest send (null before the first). */
  current: EntityTable | null = null;
  private tick = 0;
  private detached: Uint8Array = new Uint8Array([0]);
  // This send's shared bodies, by baseline tick (0 = full). A few per send: a linear search.
  private groupTicks: number[] = [];
  private groupBodies: Uint8Array[] = [];

  /** @param stats where to count (the room passes its RoomStats, so /health sees them live) */
  constructor(
    schema: EntitySchema,
    readonly tickRate: number,
    readonly sendRate: number,
    options: ReplicationOptions = {},
    stats: ReplicationStats = newReplicationStats(),
  ) {
    this.stats = stats;
    this.codec = new DeltaCodec(schema);
    const historyMs = options.historyMs ?? DEFAULT_HISTORY_MS;
    const budget = options.bandwidthBytesPerSecond ?? DEFAULT_BUDGET;
    if (!(historyMs >= 100 && historyMs <= 10_000)) throw new RangeError(`historyMs must be 100-10000 ms, got ${historyMs}`);
    if (!(budget >= 1024)) throw new RangeError(`bandwidthBytesPerSecond must be at least 1024, got ${budget}`);
    this.sends = Math.max(2, Math.ceil((historyMs * sendRate) / 1000) + 1);
    this.historyTicks = Math.ceil((historyMs * tickRate) / 1000);
    this.inOrderLagTicks = Math.max(2, this.historyTicks >> 1);
    const interval = tickRate / sendRate;
    this.staggerInterval = options.staggerSends !== false && Number.isInteger(interval) ? interval : 1;
    // Staggered, a table is stored every tick (some client is sent each one).
    this.history = new SnapshotHistory(schema, this.staggerInterval > 1 ? this.historyTicks + 1 : this.sends);
    this.pool = new TablePool(schema);
    this.bytesPerSend = budget / sendRate;
    this.interest = options.interest ? new CellInterest(this.codec.schema, options.interest, this.history.capacity) : null;
    this.budget = new BandwidthBudget(Float64Array.from(schema.kinds, (k) => k.priority ?? 1));
    this.trim = new SharedTrim(this.codec, this.pool, this.budget, this.seats, this.bytesPerSend, this.stats);
  }

  /** With interest management, the grid's cells as the client computes them (WELCOME carries it). */
  get interestGeometry(): CellGeometry | null {
    return this.interest === null ? null : this.interest.geometry;
  }

  /** A client's replication record, for a player that joined. */
  createReplica(): ClientReplica {
    return new ClientReplica(this.sends, this.bytesPerSend * BURST_SNAPSHOTS, this.pool, this.seats);
  }

  /** The table for `tick`'s entities: the room fills it (game.writeEntities), then calls {@link seal}. */
  begin(tick: number): EntityTable {
    this.tick = tick;
    this.current = this.history.begin(tick);
    this.groupTicks.length = 0;
    this.groupBodies.length = 0;
    this.trim.begin(tick, this.current);
    return this.current;
  }

  /**
   * The tick's entities are written: put them in id order (only needed after ids wrap), check
   * and round every value to its declared range and precision, and index them for interest.
   * `detached` is the body's opening (the detached-player list), shared by every client.
   */
  seal(detached: Uint8Array): void {
    const table = this.current!;
    if (!table.isSortedById()) table.sortById();
    quantizeTable(this.codec.schema, table);
    table.ticks.fill(this.tick, 0, table.count);
    this.interest?.seal(this.tick, table);
    this.detached = detached;
  }

  /**
   * The table `replica`'s client holds once it decodes snapshot `tick`, while the record is
   * kept (null after): for tests and diagnostics.
   */
  heldBy(replica: ClientReplica, tick: number): EntityTable | null {
    if (this.interest !== null) return this.interest.heldTable(replica, tick, this.history);
    return replica.recordAt(tick, this.history);
  }

  /** The client acknowledged `tick`; false (and counted) when that tick was never sent to it. */
  ack(replica: ClientReplica, tick: number): boolean {
    const before = replica.invalidAcks;
    const ok = replica.ack(tick);
    this.stats.invalidAcks += replica.invalidAcks - before;
    return ok;
  }

  /**
   * The whole SNAPSHOT message for one client, against its newest acknowledged baseline, and
   * the record of what it will hold. `ackSeq` is the newest input tick used for it, and `lead`
   * how early its inputs came (a `leadCode`).
   */
  frameFor(replica: ClientReplica, ownId: number, ackSeq: number, lead: number, out: SnapshotFrame): SnapshotFrame {
    const tick = this.tick;
    replica.tokens = Math.min(replica.tokens + this.bytesPerSend, this.bytesPerSend * BURST_SNAPSHOTS);
    replica.seat(ownId);
    let baseline = replica.baseline(this.history);
    let baseTick = baseline === null ? 0 : replica.ackedTick;
    if (this.interest === null) {
      // On a link that delivers every snapshot in order, against the newest one sent, whatever
      // the ack says: every such client then has the same baseline (one shared body per send),
      // a late or thinned ack (the SDK sends one per 150 ms when it has no input to carry it)
      // does not make deltas bigger, and coming off a trimmed record a lost ack does not split
      // the client from its group (SharedTrim).
      const sent = replica.inOrderBaseline(this.history, this.inOrderLagTicks);
      if (sent !== null) {
        baseline = sent;
        baseTick = replica.inOrderTick;
      }
    }

    if (this.interest === null && (baseline === null || replica.baselineShared)) {
      const body = this.sharedBody(baseTick, baseline);
      const frameLength = snapshotHeaderLength(tick, baseTick, ackSeq, lead) + body.length;
      if (frameLength <= replica.tokens) {
        if (baseline === null) this.stats.fullSnapshots++;
        replica.tokens -= frameLength;
        replica.sent(tick, null);
        out.length = frameLength;
        if (body.length >= SEPARATE_BODY_BYTES) {
          out.head = this.frame(baseTick, ackSeq, lead, EMPTY);
          out.body = body;
        } else {
          out.head = this.frame(baseTick, ackSeq, lead, body);
          out.body = null;
        }
        return out;
      }
    }
    // Trimmed by the budget, or holding a trimmed record: a body shared by baseline and tier
    // (against the newest snapshot sent, on a link that delivers them all in order).
    if (this.interest === null) {
      if (baseline === null) this.stats.fullSnapshots++;
      return this.trim.frameFor(replica, ownId, baseline, baseTick, this.detached, ackSeq, lead, out);
    }
    if (baseline === null) this.stats.fullSnapshots++;
    return this.cellFrame(replica, this.current!.indexOf(ownId), baseline, baseTick, ackSeq, lead, out);
  }

  /**
   * With interest: the client's cell changes and arrivals, then the shared chunks of its cells
   * (cell-interest.ts); its record is its list of cells, not a table.
   */
  private cellFrame(
    replica: ClientReplica,
    ownRow: number,
    baseline: EntityTable | null,
    baseTick: number,
    ackSeq: number,
    lead: number,
    out: SnapshotFrame,
  ): SnapshotFrame {
    const body = this.body.reset();
    body.raw(this.detached);
    const allowanceBits = Math.floor(replica.tokens - snapshotHeaderLength(this.tick, baseTick, ackSeq, lead) - body.offset) * 8;
    const interest = this.interest!;
    const sentBase = interest.write(body, replica, ownRow, baseTick, baseline, this.tick, allowanceBits);
    if (sentBase !== baseTick && baseline !== null) this.stats.fullSnapshots++;
    if (interest.deferredCells > 0) {
      this.stats.budgetBites++;
      this.stats.entitiesDeferred += interest.deferredCells;
    }
    this.stats.bodiesEncoded++;
    const frame = this.frame(sentBase, ackSeq, lead, body.bytes());
    replica.tokens -= frame.length;
    replica.sent(this.tick, null);
    out.head = frame;
    out.body = null;
    out.length = frame.length;
    return out;
  }

  /** The body for every client whose baseline is the room's table at `baseTick` (0: none). */
  private sharedBody(baseTick: number, baseline: EntityTable | null): Uint8Array {
    const ticks = this.groupTicks;
    for (let i = 0; i < ticks.length; i++) if (ticks[i] === baseTick) return this.groupBodies[i];
    const out = this.body.reset();
    out.raw(this.detached);
    this.codec.encode(this.current!, baseline, out, this.tick, null);
    this.stats.bodiesEncoded++;
    // One copy per body: the writer is reused, and sockets keep what they are given.
    const body = Buffer.allocUnsafe(out.offset);
    body.set(out.bytes());
    ticks.push(baseTick);
    this.groupBodies.push(body);
    return body;
  }

  private frame(baseTick: number, ackSeq: number, lead: number, body: Uint8Array): Uint8Array {
    const tick = this.tick;
    // allocUnsafe skips the zero-fill: 2.2-3× the ops/s of `new Uint8Array` for a 905-byte
    // frame (benchmark.js, 3 runs, Node 20). The socket must own these bytes anyway.
    const frame = Buffer.allocUnsafe(snapshotHeaderLength(tick, baseTick, ackSeq, lead) + body.length);
    frame.set(body, writeSnapshotHeaderAt(frame, tick, baseTick, ackSeq, lead));
    return frame;
  }
}
