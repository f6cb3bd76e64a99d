import { leadCode } from '../../shared/protocol/snapshot-message';
import { GlobalsReplicator } from '../replication/globals-replicator';
import type { Replicator, SnapshotFrame } from '../replication/replicator';
import { Delivery, joinParts } from '../wire/delivery';
import type { PlayerSlot } from './player-slot';
import type { Room } from './room';
import type { RoomClient } from './room-client';
import type { RoomRoster } from './room-roster';

/**
 * A room's outgoing state: each tick's entities sealed into the replication history once, then
 * a snapshot per player against its own baseline, and the GLOBALS updates. Allocation-free per
 * send: one frame and one view-centre scratch serve every player.
 */
export class RoomSnapshots<S, I, P> {
  private readonly globals: GlobalsReplicator | null;
  /** Sends between GLOBALS updates, and the countdown to the next. */
  private readonly globalsEvery: number;
  private globalsCountdown = 0;
  private readonly frame: SnapshotFrame = { head: new Uint8Array(0), body: null, length: 0 };
  /** Scratch for the room type's viewCenter hook. */
  private readonly center = { x: 0, y: 0 };

  /**
   * @param maxBufferedBytes skip a client's snapshot while more than this many bytes are queued
   *   on its socket (RoomOptions.maxBufferedBytes, default 64 KiB)
   */
  constructor(
    private readonly room: Room<S, I, P>,
    private readonly replicator: Replicator,
    private readonly roster: RoomRoster<I>,
    private readonly maxBufferedBytes: number,
  ) {
    const type = room.type;
    this.globals = GlobalsReplicator.for(type.game.entitySchema);
    // Counted in seals: every tick when sends are staggered, every send otherwise.
    const seals = replicator.staggerInterval > 1 ? type.tickRate : type.sendRate;
    this.globalsEvery = Math.max(1, Math.round(seals / (type.globalsRate ?? 2)));
  }

  /** The whole GLOBALS state to a client that has just (re)joined, if the schema has globals. */
  sendGlobals(client: RoomClient): void {
    if (this.globals) client.send(this.globals.full());
  }

  /** Write this tick's entities into the replication history, checked and quantized. */
  seal(): void {
    const room = this.room;
    const table = this.replicator.begin(room.tick);
    room.type.game.writeEntities(room.state, table);
    this.replicator.seal(this.roster.detachedBytes);
  }

  /**
   * Store the tick's entities once; give each player whose id ≡ `phase` (mod `every`) its
   * snapshot against its own baseline.
   */
  broadcast(every: number, phase: number): void {
    this.seal();
    const players = this.roster.players;
    if (this.globals && --this.globalsCountdown <= 0) {
      this.globalsCountdown = this.globalsEvery;
      const bytes = this.globals.update(this.replicator.current!, this.room.tick);
      if (bytes) for (const p of players) if (p.connected) p.client.send(bytes);
    }
    const stats = this.room.stats;
    for (let i = 0; i < players.length; i++) {
      const slot = players[i];
      if (!slot.connected || slot.id % every !== phase) continue;
      // A backed-up socket gets no stale state piled on; the next snapshot supersedes this one.
      if (slot.client.bufferedAmount > this.maxBufferedBytes) {
        slot.snapshotsSkipped++;
        stats.snapshotsSkipped++;
        continue;
      }
      this.sendTo(slot);
    }
  }

  /** One player's snapshot of the sealed tick, against its baseline, sent unreliable. */
  sendTo(slot: PlayerSlot<I>): void {
    const hook = this.room.type.viewCenter;
    const replica = slot.replica;
    replica.centerFromHook = hook !== undefined && hook(this.room, slot, this.center);
    if (replica.centerFromHook) {
      replica.centerX = this.center.x;
      replica.centerY = this.center.y;
      replica.hasCenter = true;
    }
    const frame = this.replicator.frameFor(replica, slot.id, slot.lastProcessedSeq, leadCode(slot.inputLeadMs), this.frame);
    if (!Number.isNaN(slot.inputLeadMs)) slot.lastInputLeadMs = slot.inputLeadMs;
    slot.inputLeadMs = Number.NaN;
    const client = slot.client;
    if (frame.body === null) client.send(frame.head, Delivery.Unreliable);
    else if (client.sendParts) client.sendParts(frame.head, frame.body, Delivery.Unreliable);
    else client.send(joinParts(frame.head, frame.body), Delivery.Unreliable);
    const stats = this.room.stats;
    stats.snapshotsSent++;
    stats.bytesSent += frame.length;
  }
}
