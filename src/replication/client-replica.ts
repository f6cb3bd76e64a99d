import type { EntityTable } from '../../shared/replication/entity-table';
import type { HeldCells } from './cell-interest';
import type { SnapshotHistory } from './snapshot-history';
import type { TablePool } from './table-pool';

/**
 * What the server knows about one client's copy of the world: the snapshots it was sent (tick,
 * and the table the client holds once it decodes it), the newest one it acknowledged, its
 * bandwidth tokens and its view.
 *
 * A sent record is *shared* when the client then holds exactly the room's table for that tick
 * (nothing deferred): it points into the {@link SnapshotHistory} and costs nothing. With
 * interest management every record is: what the client holds is that table cut to the cells in
 * {@link heldCells}. Otherwise (a budget-trimmed snapshot without interest) it is a table from
 * the room's pool, the client's own or shared with the clients that got the same trimmed body
 * (reference-counted by the pool), let go when the record is acknowledged past or falls out of
 * the window.
 *
 * ```
 *  sent:   [t=40 shared] [t=41 pooled] [t=42 shared] [t=43 shared]
 *  acked:                       ▲ 41: the next snapshot is encoded against what 41 left it with
 *  an ack for 41 drops 40; an ack for a tick never sent (39, 44) is ignored
 * ```
 */
export class ClientReplica {
  private readonly ticks: Float64Array;
  private readonly tables: (EntityTable | null)[];
  private head = 0;
  private size = 0;
  /** Newest acknowledged tick that we sent, or -1. */
  ackedTick = -1;
  /** Bandwidth tokens, bytes: refilled each send, spent by what is sent (may dip below 0). */
  tokens: number;
  /** Centre of the client's view, world units (valid when hasCenter). */
  centerX = 0;
  centerY = 0;
  hasCenter = false;
  /** The room type's viewCenter hook placed the view for this send (the own entity does not move it). */
  centerFromHook = false;
  /** Whether the table {@link baseline} last returned is the room's own (a shared record). */
  baselineShared = false;
  /** Acks naming a tick this client was never sent (or that aged out): ignored. */
  invalidAcks = 0;
  /** The id of the client's own entity once {@link seat} named it, or −1. */
  ownId = -1;
  /**
   * The room says this client's link delivers every snapshot, in order (RoomClient.inOrder): set
   * when the player joins and with each new link ({@link newLink}), not per send.
   */
  inOrder = false;
  /** Tick of the table {@link inOrderBaseline} last returned. */
  inOrderTick = -1;
  /** The first tick sent on the current link: older records may never have arrived. */
  private linkStart = Infinity;
  private linkPending = true;
  /** With interest management, the cells each snapshot left the client holding. */
  heldCells: HeldCells | null = null;

  /**
   * @param capacity sent records kept: the history window in sends
   * @param seats the room's set of seated players' ids, which {@link seat} and {@link clear} keep
   */
  constructor(
    capacity: number,
    initialTokens: number,
    private readonly pool: TablePool,
    private readonly seats: Set<number> | null = null,
  ) {
    this.ticks = new Float64Array(capacity);
    this.tables = new Array<EntityTable | null>(capacity).fill(null);
    this.tokens = initialTokens;
  }

  get capacity(): number {
    return this.ticks.length;
  }

  /**
   * Note that `tick` was sent: the client will hold `table` (from the pool; this record holds one
   * reference from now) or the room's table (null).
   */
  sent(tick: number, table: EntityTable | null): void {
    if (this.size === this.capacity) this.dropOldest();
    if (this.linkPending) {
      this.linkStart = tick;
      this.linkPending = false;
    }
    const slot = (this.head + this.size) % this.capacity;
    this.ticks[slot] = tick;
    this.tables[slot] = table;
    this.size++;
  }

  /**
   * The client says it decoded `tick`. Valid only for a tick we sent and still hold the record
   * of; older records are dropped, since the client will only ever acknowledge newer ones.
   * Returns whether the ack was taken.
   */
  ack(tick: number): boolean {
    if (tick <= this.ackedTick) return false;
    const i = this.indexOf(tick);
    if (i < 0) {
      this.invalidAcks++;
      return false;
    }
    this.ackedTick = tick;
    for (let k = 0; k < i; k++) this.dropOldest();
    return true;
  }

  /**
   * The table the client holds for its acknowledged tick: its pooled record, or the room's
   * table from `history`. Null when there is none (nothing acknowledged yet, or it aged out):
   * then the next snapshot is a full one.
   */
  baseline(history: SnapshotHistory): EntityTable | null {
    this.baselineShared = false;
    if (this.ackedTick < 0) return null;
    const i = this.indexOf(this.ackedTick);
    if (i < 0) return null;
    const own = this.tables[(this.head + i) % this.capacity];
    if (own !== null) return own;
    this.baselineShared = true;
    return history.get(this.ackedTick);
  }

  /**
   * On a link that delivers every snapshot in order ({@link inOrder}), the client holds the
   * newest one sent before its ack comes back: that table (its tick in {@link inOrderTick}), if
   * it went out on the current link, is newer than the acknowledged one, and is at most
   * `maxLagTicks` ahead of it (or of the link's first snapshot, before any ack). Otherwise null
   * (use {@link baseline}). Sets {@link baselineShared} as {@link baseline} does. The lag bound heals a broken promise: a client that could not
   * decode stops acknowledging, and after `maxLagTicks` its snapshots are against the
   * acknowledged baseline (or full) again.
   */
  inOrderBaseline(history: SnapshotHistory, maxLagTicks: number): EntityTable | null {
    if (!this.inOrder || this.size === 0) return null;
    const slot = (this.head + this.size - 1) % this.capacity;
    const tick = this.ticks[slot];
    // Ahead of the newest sign of life: the ack, or the link's first snapshot before any ack.
    if (tick <= this.ackedTick || tick < this.linkStart || tick - Math.max(this.ackedTick, this.linkStart) > maxLagTicks) return null;
    const own = this.tables[slot];
    const table = own ?? history.get(tick);
    if (table !== null) {
      this.inOrderTick = tick;
      this.baselineShared = own === null;
    }
    return table;
  }

  /** Whether the newest record is a pooled table (a trimmed or filtered snapshot), not the room's. */
  newestIsOwnTable(): boolean {
    return this.size > 0 && this.tables[(this.head + this.size - 1) % this.capacity] !== null;
  }

  /**
   * The client is on a new link (a resume): records sent before may never have arrived.
   * `inOrder`: whether the new link delivers every snapshot in order (RoomClient.inOrder).
   */
  newLink(inOrder = this.inOrder): void {
    this.inOrder = inOrder;
    this.linkStart = Infinity;
    this.linkPending = true;
  }

  /** The table the client holds after snapshot `tick`, or null when there is no such record. */
  recordAt(tick: number, history: SnapshotHistory): EntityTable | null {
    const i = this.indexOf(tick);
    if (i < 0) return null;
    return this.tables[(this.head + i) % this.capacity] ?? history.get(tick);
  }

  /** Name the client's own entity: the room counts it among the seated players' entities. */
  seat(id: number): void {
    if (this.ownId === id) return;
    if (this.ownId >= 0) this.seats?.delete(this.ownId);
    this.ownId = id;
    this.seats?.add(id);
  }

  /** Forget every record, e.g. when the client left; pooled tables go back to the pool. */
  clear(): void {
    while (this.size > 0) this.dropOldest();
    this.ackedTick = -1;
    if (this.ownId >= 0) this.seats?.delete(this.ownId);
    this.ownId = -1;
  }

  private indexOf(tick: number): number {
    for (let i = this.size - 1; i >= 0; i--) {
      const t = this.ticks[(this.head + i) % this.capacity];
      if (t === tick) return i;
      if (t < tick) return -1;
    }
    return -1;
  }

  private dropOldest(): void {
    const table = this.tables[this.head];
    if (table !== null) this.pool.give(table);
    this.tables[this.head] = null;
    if (this.ticks[this.head] === this.ackedTick) this.ackedTick = -1;
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}
