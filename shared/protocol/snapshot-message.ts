import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { uvarintLength, writeUvarintAt } from '../binary/varint';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { MessageType } from './message-types';

/**
 * SNAPSHOT: a small per-client header, then a body shared by every client with the same view
 * and baseline.
 *
 * ```
 * SNAPSHOT := 0x11 tick:uvarint back:uvarint ackSeq:uvarint body
 *             back   = tick − the baseline's tick: the body is a delta against the snapshot of
 *                      that tick, which the client acknowledged; 0 = a full snapshot
 *             ackSeq = the newest input seq the server has applied for this client (0 = none)
 * body     := detached entities
 *             detached = count:uvarint idDelta:uvarint*   players whose link dropped and whose
 *                        seat is held for a resume, ascending ids, each the gap from the last
 *                        (the first from 0); 1 byte (count 0) when everyone is connected
 *             entities = DeltaCodec output (shared/replication/delta-codec.ts), against
 *                        the baseline; one body per distinct baseline when views are shared
 * ```
 */
export interface SnapshotHeader {
  tick: number;
  /** The baseline's tick, or 0 for a full snapshot. */
  baselineTick: number;
  ackSeq: number;
}

export function writeSnapshotHeader(out: ByteWriter, tick: number, baselineTick: number, ackSeq: number): void {
  out.u8(MessageType.Snapshot);
  out.uvarint(tick);
  out.uvarint(baselineTick === 0 ? 0 : tick - baselineTick);
  out.uvarint(ackSeq);
}

/** Bytes {@link writeSnapshotHeaderAt} will write: 4 to 16. */
export function snapshotHeaderLength(tick: number, baselineTick: number, ackSeq: number): number {
  return 1 + uvarintLength(tick) + uvarintLength(baselineTick === 0 ? 0 : tick - baselineTick) + uvarintLength(ackSeq);
}

/**
 * Write the header straight into `buf` at 0 and return where the body starts. The server frames
 * each client's snapshot this way, so no per-client writer or view is needed.
 */
export function writeSnapshotHeaderAt(buf: Uint8Array, tick: number, baselineTick: number, ackSeq: number): number {
  buf[0] = MessageType.Snapshot;
  const at = writeUvarintAt(buf, writeUvarintAt(buf, 1, tick), baselineTick === 0 ? 0 : tick - baselineTick);
  return writeUvarintAt(buf, at, ackSeq);
}

/** Read the header after the type byte; the reader is left at the body. */
export function readSnapshotHeader(input: ByteReader, out: SnapshotHeader): SnapshotHeader {
  out.tick = input.uvarint();
  const back = input.uvarint();
  if (back !== 0 && back >= out.tick) throw new WireError(WireErrorCode.OutOfRange, `snapshot baseline ${back} ticks back from tick ${out.tick}`);
  out.baselineTick = back === 0 ? 0 : out.tick - back;
  out.ackSeq = input.uvarint();
  return out;
}

/**
 * Write the detached-player list that opens a snapshot body. `ids` must be ascending: the room
 * keeps its players in join order, so it sorts the few detached ids first.
 */
export function writeDetachedIds(out: ByteWriter, ids: readonly number[]): void {
  out.uvarint(ids.length);
  let last = 0;
  for (let i = 0; i < ids.length; i++) {
    out.uvarint(ids[i] - last);
    last = ids[i];
  }
}

/**
 * Read the detached-player list into `out` (cleared first) and leave the reader at the entities.
 * Ids are u16 and strictly ascending; anything else is a malformed snapshot.
 */
export function readDetachedIds(input: ByteReader, out: number[]): number[] {
  const count = input.uvarint();
  if (count > 0xffff) throw new WireError(WireErrorCode.OutOfRange, `snapshot lists ${count} detached players, over 65535`);
  out.length = 0;
  let id = 0;
  for (let i = 0; i < count; i++) {
    const delta = input.uvarint();
    id += delta;
    if (delta === 0 || id > 0xffff) throw new WireError(WireErrorCode.OutOfRange, 'snapshot detached ids must be ascending u16 values from 1');
    out.push(id);
  }
  return out;
}
