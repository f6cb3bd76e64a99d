import { ByteWriter } from '../../shared/binary/byte-writer';
import { leadCode, snapshotHeaderLength, writeSnapshotHeaderAt } from '../../shared/protocol/snapshot-message';
import type { DeltaCodec } from '../../shared/replication/delta-codec';
import type { EntityTable } from '../../shared/replication/entity-table';
import type { BandwidthBudget, PriorityView } from './bandwidth-budget';
import type { ClientReplica } from './client-replica';
import type { SnapshotFrame } from './replicator';
import type { TablePool } from './table-pool';

/**
 * Allowance tiers per send: a trimmed client's allowance is its tokens rounded down to a whole
 * tier step, 1/32 of a send's budget (68 B at the default 64 KiB/s and 30 Hz), and it is charged
 * whole steps. A send refills 32 steps, so clients that shared a body stay in one tier. Coarser
 * steps waste up to a step a send (the charge is rounded up) and stop unused allowance from
 * being saved for an entry bigger than one send's; finer ones split groups that entered the
 * trim a few bytes of tokens apart.
 */
export const TIER_STEPS = 32;

/**
 * A group's cut and charge count a header with the lead code of 63 ms and an ackSeq as wide as
 * the tick (a client's newest input tick is within a few ticks of it): the same for every
 * client of the group. A longer header (a lead over 63 ms) goes over the allowance by its extra
 * byte or two, as a soft token bucket allows.
 */
const TYPICAL_LEAD = leadCode(63);
/** Slack for floating-point steps (a millionth of a step): 4 × step is exact, 3 × step may not be. */
const STEP_EPSILON = 1e-6;

/**
 * Bodies from this size up go out as a second part behind each client's header rather than
 * copied into it (as the room's shared bodies do): below it one copy costs less than a frame.
 */
const SEPARATE_BODY_BYTES = 4096;

const EMPTY = new Uint8Array(0);

/** What the shared trim counts, part of the room's ReplicationStats. */
export interface SharedTrimStats {
  bodiesEncoded: number;
  budgetBites: number;
  entitiesDeferred: number;
  trimmedBodiesShared: number;
}

/**
 * Budget-trimmed snapshots without interest management, shared: clients that hold the same
 * baseline (the room's table for a tick, or a trimmed record they share) and fall in the same
 * allowance tier get the same body and the same record of what they hold.
 *
 * Each (baseline, tier) group is cut once a tick: priority = kind weight × (ticks the baseline
 * has gone without the entity's news + 1), seated players' entities × SEATED_BOOST, no view
 * centre (every client sees everything, so distance from one client's entity would split the
 * group). The staleness of a held-back row is in the shared record (its old tick), so it grows
 * every snapshot until the row wins, exactly as for one client. A client whose own entity the
 * group's cut held back (rare: seated players go first) gets its own body with it added.
 *
 * A client is charged whole tier steps: its body and a typical header, rounded up. Its whole steps of tokens then depend only on what its group was
 * sent, not on its own header's length, so clients that shared a body stay in the same tier from
 * send to send instead of drifting apart by a header byte; and steps a small body left unused
 * are saved, so an entry bigger than one send's allowance still gets through.
 */
export class SharedTrim {
  /** The room's list of held-back creations (a group has no client of its own). */
  private readonly view: PriorityView = { waitingSince: new Map() };
  private readonly writer = new ByteWriter(
    4096,
    1 << 20,
    'the snapshot size limit (1 MiB): fewer entities per room, or interest management',
  );
  private tick = 0;
  private current: EntityTable | null = null;
  // This send's groups (a few: a linear search), in parallel arrays reused from send to send.
  private groups = 0;
  private readonly baselines: (EntityTable | null)[] = [];
  private readonly baseTicks: number[] = [];
  private readonly tiers: number[] = [];
  private readonly bodies: Uint8Array[] = [];
  /** The record every client of the group holds after it (held once by the group), or null: the room's table. */
  private readonly records: (EntityTable | null)[] = [];
  private readonly deferred: number[] = [];
  /** Per row of the current table: 1 when it is a seated player's entity (built once a send). */
  private seated = new Uint8Array(64);
  private seatedFor = -1;
  private generation = 0;
  private readonly markSeat = (id: number): void => {
    const row = this.current!.indexOf(id);
    if (row >= 0) this.seated[row] = 1;
  };

  /**
   * @param seats ids of the seated players' entities (kept by their ClientReplicas)
   * @param bytesPerSend a client's budget per send, bytes
   */
  constructor(
    private readonly codec: DeltaCodec,
    private readonly pool: TablePool,
    private readonly budget: BandwidthBudget,
    private readonly seats: Set<number>,
    private readonly bytesPerSend: number,
    private readonly stats: SharedTrimStats,
  ) {}

  /** A new send of `tick`: let go of the last send's groups. */
  begin(tick: number, current: EntityTable): void {
    for (let g = 0; g < this.groups; g++) {
      const record = this.records[g];
      if (record !== null) this.pool.give(record);
      this.records[g] = null;
      this.baselines[g] = null;
      this.bodies[g] = EMPTY;
    }
    this.groups = 0;
    this.tick = tick;
    this.current = current;
    this.generation++;
  }

  /**
   * The SNAPSHOT for a client without interest whose body must be trimmed, or whose baseline
   * is a trimmed record: its group's, or (own entity held back) its own. `replica.tokens` are
   * this send's, refilled.
   */
  frameFor(
    replica: ClientReplica,
    ownId: number,
    baseline: EntityTable | null,
    baseTick: number,
    detached: Uint8Array,
    ackSeq: number,
    lead: number,
    out: SnapshotFrame,
  ): SnapshotFrame {
    const step = this.bytesPerSend / TIER_STEPS;
    const tier = Math.max(1, Math.floor(replica.tokens / step + STEP_EPSILON));
    let g = this.find(baseline, baseTick, tier);
    if (g < 0) g = this.encodeGroup(baseline, baseTick, tier, tier * step, detached);
    else this.stats.trimmedBodiesShared++;
    const record = this.records[g];
    const current = this.current!;
    let body = this.bodies[g];
    let deferred = this.deferred[g];
    let own: EntityTable | null = record;
    if (record !== null && current.indexOf(ownId) >= 0) {
      const r = record.indexOf(ownId);
      if (r < 0 || record.ticks[r] !== this.tick) {
        // The cut held this client's own entity back: its own body, with it.
        own = this.pool.take();
        deferred = this.encode(baseline, baseTick, tier * step, detached, ownId, own);
        body = this.writer.bytes();
        if (deferred === 0) {
          this.pool.give(own);
          own = null;
        }
      }
    }
    if (own !== null && own === record) this.pool.share(own);
    replica.sent(this.tick, own);
    if (deferred > 0) {
      this.stats.budgetBites++;
      this.stats.entitiesDeferred += deferred;
    }
    const head = snapshotHeaderLength(this.tick, baseTick, ackSeq, lead);
    out.length = head + body.length;
    // Whole steps, the same for every client of the group (see above).
    const bound = snapshotHeaderLength(this.tick, baseTick, this.tick, TYPICAL_LEAD) + body.length;
    replica.tokens -= Math.ceil(bound / step - STEP_EPSILON) * step;
    if (body.length >= SEPARATE_BODY_BYTES && body === this.bodies[g]) {
      out.head = Buffer.allocUnsafe(head);
      writeSnapshotHeaderAt(out.head, this.tick, baseTick, ackSeq, lead);
      out.body = body;
    } else {
      const frame = Buffer.allocUnsafe(out.length);
      frame.set(body, writeSnapshotHeaderAt(frame, this.tick, baseTick, ackSeq, lead));
      out.head = frame;
      out.body = null;
    }
    return out;
  }

  private find(baseline: EntityTable | null, baseTick: number, tier: number): number {
    for (let g = 0; g < this.groups; g++) {
      if (this.baselines[g] === baseline && this.baseTicks[g] === baseTick && this.tiers[g] === tier) return g;
    }
    return -1;
  }

  /** Cut and encode a new group's body and record; returns its index. */
  private encodeGroup(baseline: EntityTable | null, baseTick: number, tier: number, allowance: number, detached: Uint8Array): number {
    const g = this.groups++;
    let record: EntityTable | null = this.pool.take();
    const deferred = this.encode(baseline, baseTick, allowance, detached, -1, record);
    if (deferred === 0) {
      // Everything fit: the group holds the room's table again (back to the shared bodies).
      this.pool.give(record);
      record = null;
    }
    const bytes = this.writer.bytes();
    // One copy per group: the writer is reused, and sockets keep what they are given.
    const body = Buffer.allocUnsafe(bytes.length);
    body.set(bytes);
    this.baselines[g] = baseline;
    this.baseTicks[g] = baseTick;
    this.tiers[g] = tier;
    this.bodies[g] = body;
    this.records[g] = record;
    this.deferred[g] = deferred;
    return g;
  }

  /**
   * Diff, cut to `allowance` bytes (a typical header and the detached list taken off)
   * and write the body into {@link writer}, filling `next`; `ownId` −1 for a group's cut.
   * Returns the entries deferred.
   */
  private encode(
    baseline: EntityTable | null,
    baseTick: number,
    allowance: number,
    detached: Uint8Array,
    ownId: number,
    next: EntityTable,
  ): number {
    const current = this.current!;
    const body = this.writer.reset();
    body.raw(detached);
    const plan = this.codec.diff(current, baseline ?? this.codec.empty);
    const headerBound = snapshotHeaderLength(this.tick, baseTick, this.tick, TYPICAL_LEAD);
    const allowanceBits = Math.floor(allowance - headerBound - body.offset) * 8;
    const deferred = this.budget.fit(plan, allowanceBits, this.tick, ownId, this.view, this.seatedRows());
    this.codec.write(body, this.tick, next);
    this.stats.bodiesEncoded++;
    return deferred;
  }

  /** Flags of the current table's rows that are seated players' entities, built once a send. */
  private seatedRows(): Uint8Array {
    if (this.seatedFor === this.generation) return this.seated;
    const count = this.current!.count;
    if (this.seated.length < count) this.seated = new Uint8Array(Math.max(count, this.seated.length * 2));
    else this.seated.fill(0, 0, count);
    this.seats.forEach(this.markSeat);
    this.seatedFor = this.generation;
    return this.seated;
  }
}
