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
 * SNAPSHOT := 0x11 tick:uvarint back:uvarint ackSeq:uvarint lead:uvarint body
 *             back   = tick − the baseline's tick: the body is a delta against the snapshot of
 *                      that tick, which the client acknowledged; 0 = a full snapshot
 *             ackSeq = the newest tick whose input slot the server has used for this client:
 *                      its input, or a repeat when the input was late (0 = none yet). Inputs
 *                      are stamped with the tick they are for, so this is also an input seq.
 *             lead   = how early this client's inputs arrived since its last snapshot, the
 *                      least of them, ms before their tick was simulated (negative: late):
 *                      0 = no input came, else zigzag(round(ms)) + 1. The client's input
 *                      clock steers by it (src/sdk/tick-sync.ts).
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
  /** How early the client's inputs arrived since its last snapshot, ms (least); NaN: none came. */
  inputLeadMs: number;
}

/** A header to read into. */
export function newSnapshotHeader(): SnapshotHeader {
  return { tick: 0, baselineTick: 0, ackSeq: 0, inputLeadMs: Number.NaN };
}

/** Largest |lead| the header carries, ms; beyond it the value is clamped. */
const MAX_LEAD_MS = 60_000;

/** The lead's wire code: 0 for none (NaN), else zigzag(round(ms)) + 1. */
export function leadCode(leadMs: number): number {
  if (Number.isNaN(leadMs)) return 0;
  const ms = Math.round(Math.max(-MAX_LEAD_MS, Math.min(MAX_LEAD_MS, leadMs)));
  return (ms >= 0 ? ms * 2 : -ms * 2 - 1) + 1;
}

function leadFromCode(code: number): number {
  if (code === 0) return Number.NaN;
  const z = code - 1;
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

export function writeSnapshotHeader(out: ByteWriter, tick: number, baselineTick: number, ackSeq: number, inputLeadMs = Number.NaN): void {
  out.u8(MessageType.Snapshot);
  out.uvarint(tick);
  out.uvarint(baselineTick === 0 ? 0 : tick - baselineTick);
  out.uvarint(ackSeq);
  out.uvarint(leadCode(inputLeadMs));
}

/** Bytes {@link writeSnapshotHeaderAt} will write: 5 to 19. `lead` is a {@link leadCode}. */
export function snapshotHeaderLength(tick: number, baselineTick: number, ackSeq: number, lead: number): number {
  return (
    1 + uvarintLength(tick) + uvarintLength(baselineTick === 0 ? 0 : tick - baselineTick) + uvarintLength(ackSeq) + uvarintLength(lead)
  );
}

/**
 * Write the header straight into `buf` at 0 and return where the body starts. The server frames
 * each client's snapshot this way, so no per-client writer or view is needed. `lead` is a
 * {@link leadCode}.
 */
export function writeSnapshotHeaderAt(buf: Uint8Array, tick: number, baselineTick: number, ackSeq: number, lead: number): number {
  buf[0] = MessageType.Snapshot;
  const at = writeUvarintAt(buf, writeUvarintAt(buf, 1, tick), baselineTick === 0 ? 0 : tick - baselineTick);
  return writeUvarintAt(buf, writeUvarintAt(buf, at, ackSeq), lead);
}

/** Read the header after the type byte; the reader is left at the body. */
export function readSnapshotHeader(input: ByteReader, out: SnapshotHeader): SnapshotHeader {
  out.tick = input.uvarint();
  const back = input.uvarint();
  if (back !== 0 && back >= out.tick)
    throw new WireError(WireErrorCode.OutOfRange, `snapshot baseline ${back} ticks back from tick ${out.tick}`);
  out.baselineTick = back === 0 ? 0 : out.tick - back;
  out.ackSeq = input.uvarint();
  const lead = input.uvarint();
  if (lead > leadCode(MAX_LEAD_MS) + 1)
    throw new WireError(WireErrorCode.OutOfRange, `snapshot input lead code ${lead} is beyond ±${MAX_LEAD_MS} ms`);
  out.inputLeadMs = leadFromCode(lead);
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
    if (delta === 0 || id > 0xffff)
      throw new WireError(WireErrorCode.OutOfRange, 'snapshot detached ids must be ascending u16 values from 1');
    out.push(id);
  }
  return out;
}
