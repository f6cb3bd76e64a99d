import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { uvarintLength, writeUvarintAt } from '../binary/varint';
import { MessageType } from './message-types';

/**
 * SNAPSHOT: a small per-client header, then a body shared by every client with the same view.
 *
 * ```
 * SNAPSHOT := 0x11 tick:uvarint ackSeq:uvarint body
 *             ackSeq = the newest input seq the server has applied for this client (0 = none)
 *             body   = SnapshotCodec output, encoded once per view and copied after each header
 * ```
 */
export interface SnapshotHeader {
  tick: number;
  ackSeq: number;
}

export function writeSnapshotHeader(out: ByteWriter, tick: number, ackSeq: number): void {
  out.u8(MessageType.Snapshot);
  out.uvarint(tick);
  out.uvarint(ackSeq);
}

/** Bytes {@link writeSnapshotHeaderAt} will write: 3 to 11. */
export function snapshotHeaderLength(tick: number, ackSeq: number): number {
  return 1 + uvarintLength(tick) + uvarintLength(ackSeq);
}

/**
 * Write the header straight into `buf` at 0 and return where the body starts. The server frames
 * each client's snapshot this way, so no per-client writer or view is needed.
 */
export function writeSnapshotHeaderAt(buf: Uint8Array, tick: number, ackSeq: number): number {
  buf[0] = MessageType.Snapshot;
  return writeUvarintAt(buf, writeUvarintAt(buf, 1, tick), ackSeq);
}

/** Read the header after the type byte; the reader is left at the body. */
export function readSnapshotHeader(input: ByteReader, out: SnapshotHeader): SnapshotHeader {
  out.tick = input.uvarint();
  out.ackSeq = input.uvarint();
  return out;
}
