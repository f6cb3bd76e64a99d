import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
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

/** Read the header after the type byte; the reader is left at the body. */
export function readSnapshotHeader(input: ByteReader, out: SnapshotHeader): SnapshotHeader {
  out.tick = input.uvarint();
  out.ackSeq = input.uvarint();
  return out;
}
