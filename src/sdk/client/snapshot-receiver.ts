import type { ByteReader } from '../../../shared/binary/byte-reader';
import type { WelcomeMessage } from '../../../shared/protocol/control-messages';
import { clampCloseReason, CloseCode } from '../../../shared/protocol/close-codes';
import { readDetachedIds, readSnapshotHeader, type SnapshotHeader, newSnapshotHeader } from '../../../shared/protocol/snapshot-message';
import { readGlobalsHeader, type GlobalsHeader } from '../../../shared/protocol/globals-message';
import { CellDecoder } from '../../../shared/replication/cell-codec';
import { isValidCellGeometry } from '../../../shared/replication/cell-geometry';
import { DeltaCodec } from '../../../shared/replication/delta-codec';
import { EntityTable } from '../../../shared/replication/entity-table';
import { everyoneSchema } from '../../../shared/replication/everyone-schema';
import { ClientState } from '../client-state';
import { PlaybackClock } from '../playback-clock';
import { SnapshotBuffer } from '../snapshot-buffer';
import type { ClientCore } from './client-core';

/**
 * The way down: reads each SNAPSHOT's header, decodes its body against the baseline it names,
 * keeps it for interpolation and as a future baseline, feeds the playback clock and the input
 * clock, takes its ack, has the prediction reconciled and acknowledges it; applies GLOBALS;
 * and notices when snapshots stop coming (a stall).
 */
export class SnapshotReceiver<S, I, P> {
  /** The snapshot codec; its name goes in JOIN and must match WELCOME's. */
  readonly codec: DeltaCodec;
  /** The newest snapshot's entities (only when decodeEntities), in ascending id order. */
  readonly latest: EntityTable;
  /** The `everyone` fields of every entity of their kinds, from GLOBALS; null without such fields. */
  readonly globals: EntityTable | null;
  /** Players whose link is down and whose seat is held, from the newest snapshot (ascending ids). */
  readonly detachedPlayers: number[] = [];
  latestTick = -1;
  /** Every snapshot a baseline may come from, and the interpolation buffer. */
  buffer: SnapshotBuffer;
  /** The clock remote entities are drawn by (undefined before WELCOME, or with `playback: false`). */
  playback: PlaybackClock | undefined;
  /** The decoder of cell bodies, when the room has interest management on (WELCOME.interest). */
  private cells: CellDecoder | null = null;
  private readonly globalsCodec: DeltaCodec | null;
  private readonly globalsScratch: EntityTable | null;
  private readonly globalsHeader: GlobalsHeader = { tick: 0, full: false };
  private readonly header: SnapshotHeader = newSnapshotHeader();
  private readonly scratchDetached: number[] = [];
  /** Decodes snapshots that arrive after a newer one. */
  private olderScratch: EntityTable | undefined;
  /** When the newest snapshot came, ms; and whether a stall has been reported since. */
  private lastSnapshotAt = Number.NaN;
  private stallReported = false;

  constructor(private readonly core: ClientCore<S, I, P>) {
    const schema = core.game.entitySchema;
    this.codec = new DeltaCodec(schema);
    const everyone = everyoneSchema(schema);
    this.globalsCodec = everyone ? new DeltaCodec(everyone) : null;
    this.globals = everyone ? new EntityTable(everyone) : null;
    this.globalsScratch = everyone ? new EntityTable(everyone) : null;
    this.latest = new EntityTable(schema);
    this.buffer = new SnapshotBuffer(schema);
  }

  /**
   * A WELCOME's codec and interest grid: false (and the client closed) when this client cannot
   * read the room's snapshots; else the decoders and the buffer are set up for them.
   */
  accept(w: WelcomeMessage): boolean {
    if (w.codec !== this.codec.name) {
      // Decoding another schema's snapshots would show garbage: refuse instead.
      this.core.link.close(CloseCode.ProtocolMismatch, clampCloseReason(`codec mismatch: server ${w.codec}, client ${this.codec.name}`));
      return false;
    }
    if (w.interest !== undefined && !isValidCellGeometry(w.interest)) {
      this.core.link.close(CloseCode.ProtocolMismatch, 'malformed WELCOME: interest grid');
      return false;
    }
    this.cells = w.interest === undefined ? null : new CellDecoder(this.core.game.entitySchema, w.interest);
    // Keep every snapshot a baseline may come from (historyTicks back), plus the newest.
    const keep = Math.ceil((w.historyTicks * w.sendRate) / w.tickRate) + 2;
    if (keep > this.buffer.capacity) this.buffer = new SnapshotBuffer(this.core.game.entitySchema, keep);
    return true;
  }

  /** A first WELCOME: start the playback clock at the room's rates (unless `playback` is off). */
  startPlayback(w: WelcomeMessage): void {
    const options = this.core.options;
    this.playback =
      options.playback === false ? undefined : new PlaybackClock(w.tickRate, w.sendRate, { delayMs: options.interpolationDelayMs });
  }

  /** Forget the room's snapshots: the next room's first one is decoded from nothing. */
  reset(): void {
    this.playback = undefined;
    this.detachedPlayers.length = 0;
    this.latest.clear();
    this.globals?.clear();
    this.latestTick = -1;
    this.buffer = new SnapshotBuffer(this.core.game.entitySchema, this.buffer.capacity);
    this.lastSnapshotAt = Number.NaN;
    this.stallReported = false;
  }

  /**
   * A snapshot: decode it against the baseline it names (a snapshot we decoded earlier and
   * acknowledged), keep it for interpolation and as a future baseline, reconcile, and
   * acknowledge it. Older or repeated ticks (reordered or duplicated by the transport) are
   * dropped; a delta against a snapshot we no longer hold cannot be decoded and is dropped
   * unacknowledged, so the server falls back to an older baseline or a full snapshot.
   */
  onSnapshot(reader: ByteReader): void {
    const core = this.core;
    const inputs = core.inputs;
    const { tick, baselineTick, ackSeq } = readSnapshotHeader(reader, this.header);
    const now = core.clock.now();
    if (tick <= this.latestTick) {
      this.onOlderSnapshot(reader, tick, baselineTick, now);
      return;
    }
    readDetachedIds(reader, this.scratchDetached);
    if (core.options.decodeEntities !== false) {
      const baseline = baselineTick === 0 ? null : this.buffer.tableAt(baselineTick);
      if (baselineTick !== 0 && baseline === null) {
        core.stats.snapshotsUndecodable++;
        return;
      }
      this.decodeEntities(reader, baseline, this.latest, tick);
      this.buffer.push(tick, this.latest);
    }
    core.stats.snapshots++;
    this.latestTick = tick;
    this.detachedPlayers.length = 0;
    for (let i = 0; i < this.scratchDetached.length; i++) this.detachedPlayers.push(this.scratchDetached[i]);
    this.playback?.observe(tick, now);
    this.noteSnapshotTime(now);
    if (ackSeq > inputs.ackedSeq && ackSeq < inputs.nextSeq) {
      const sentAt = inputs.pendingSentAt[ackSeq % inputs.pendingCapacity];
      if (!Number.isNaN(sentAt)) core.stats.lastInputRttMs = now - sentAt;
    }
    inputs.takeAck(ackSeq);
    core.sync?.onLead(this.header.inputLeadMs, now);
    // With nothing pending, the server has used every tick up to this one for us: our clock
    // fell behind (this process stalled), and an input stamped for any of them would come too
    // late. Skip them, and tell the clock how late it was, so its cushion grows to cover such
    // stalls (the server never sees an input that was not sent, so its lead cannot say).
    if (inputs.pendingCount === 0 && tick >= inputs.nextSeq) {
      core.sync?.onLead(-(tick - inputs.nextSeq + 1) * (1000 / core.welcome!.tickRate), now);
      inputs.takeAck(tick);
    }
    if (core.options.decodeEntities !== false) core.reconciler.reconcile();
    // INPUT carries the ack; when none went out since the last snapshot, ACK on its own.
    if (!inputs.inputSinceSnapshot) inputs.sendAck(tick);
    inputs.inputSinceSnapshot = false;
    core.emit('snapshot', tick, ackSeq);
  }

  /**
   * A snapshot older than the newest (reordered on an unreliable channel, or a duplicate): too
   * late to reconcile or acknowledge, but it still fills its place in the interpolation buffer
   * and says how late it came.
   */
  private onOlderSnapshot(reader: ByteReader, tick: number, baselineTick: number, now: number): void {
    if (this.core.options.decodeEntities === false || tick < this.buffer.oldestTick) return;
    const baseline = baselineTick === 0 ? null : this.buffer.tableAt(baselineTick);
    if (baselineTick !== 0 && baseline === null) return;
    readDetachedIds(reader, this.scratchDetached);
    const table = (this.olderScratch ??= new EntityTable(this.core.game.entitySchema));
    this.decodeEntities(reader, baseline, table, tick);
    if (!this.buffer.insert(tick, table)) return;
    this.core.stats.snapshotsReordered++;
    this.playback?.observe(tick, now);
  }

  /** A snapshot's entity body: per-cell chunks with interest management on, else a DeltaCodec body. */
  private decodeEntities(reader: ByteReader, baseline: EntityTable | null, out: EntityTable, tick: number): void {
    if (this.cells !== null) this.cells.decode(reader, baseline, out, tick);
    else this.codec.decode(reader, baseline, out, tick);
  }

  /** GLOBALS: apply the delta (or full table) to {@link globals}. */
  onGlobals(reader: ByteReader): void {
    const { full } = readGlobalsHeader(reader, this.globalsHeader);
    if (!this.globalsCodec || !this.globals || !this.globalsScratch) return;
    this.globalsCodec.decode(reader, full ? null : this.globals, this.globalsScratch, this.globalsHeader.tick);
    this.globals.copyFrom(this.globalsScratch);
  }

  /** A snapshot came at `now`: a reported stall is over. */
  private noteSnapshotTime(now: number): void {
    if (this.stallReported) {
      this.stallReported = false;
      this.core.emit('unstalled', { ms: now - this.lastSnapshotAt });
    }
    this.lastSnapshotAt = now;
  }

  /** Report a stall once when no snapshot has come for `snapshotStallMs`. */
  checkStall(now: number): void {
    const core = this.core;
    const limit = core.options.snapshotStallMs ?? 1000;
    if (limit <= 0 || this.stallReported || Number.isNaN(this.lastSnapshotAt) || core.state !== ClientState.Open) return;
    if (now - this.lastSnapshotAt < limit) return;
    this.stallReported = true;
    core.stats.snapshotStalls++;
    core.emit('stalled', { ms: now - this.lastSnapshotAt });
  }
}
