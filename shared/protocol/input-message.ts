import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { MessageType } from './message-types';

/**
 * INPUT: the newest few inputs, oldest first, plus an acknowledgement of the newest snapshot.
 *
 * ```
 * INPUT := 0x10 ackTick:uvarint firstSeq:uvarint count:u8 viewLag:uvarint input[count]
 *          input i has seq firstSeq + i; each is InputCodec.byteLength bytes
 *          viewLag = how far the client's drawing of the others lagged behind the newest
 *                    input's tick when it was made, 1/16 ticks (0 = not drawing): the server
 *                    rewinds that player's shots by it (lag compensation), up to a cap
 * ```
 * An input's seq is the server tick it is meant for: the client's input clock runs a little
 * ahead of the server (src/sdk/tick-sync.ts), and the server applies each input at its tick.
 * Every message repeats the unacknowledged inputs (up to 8), so a lost or late message costs
 * nothing; the server takes them in any order and drops the ones it already has.
 */
export const MAX_INPUTS_PER_MESSAGE = 8;

export interface InputHeader {
  /** Newest snapshot tick the client holds (0 = none yet). */
  ackTick: number;
  /** Seq of the first input in the message (seqs start at 1). */
  firstSeq: number;
  /** Inputs that follow. */
  count: number;
  /** The newest input's tick less the tick the client was drawing others at, 1/16 ticks (0 = unknown). */
  viewLag16: number;
}

/** Largest view lag INPUT carries, 1/16 ticks (4096 ticks: far beyond any rewind cap). */
export const MAX_VIEW_LAG16 = 0xffff;

/** Write an INPUT header; the caller then writes exactly `count` inputs with the game's codec. */
export function writeInputHeader(out: ByteWriter, ackTick: number, firstSeq: number, count: number, viewLag16 = 0): void {
  if (count < 1 || count > MAX_INPUTS_PER_MESSAGE) throw new RangeError(`INPUT carries 1-${MAX_INPUTS_PER_MESSAGE} inputs, not ${count}`);
  out.u8(MessageType.Input);
  out.uvarint(ackTick);
  out.uvarint(firstSeq);
  out.u8(count);
  out.uvarint(Math.max(0, Math.min(MAX_VIEW_LAG16, Math.round(viewLag16))));
}

/**
 * Read the header after the type byte and check that exactly `count` inputs follow, so the
 * caller can read them without further length checks. Fills and returns `out`.
 */
export function readInputHeader(input: ByteReader, inputBytes: number, out: InputHeader): InputHeader {
  out.ackTick = input.uvarint();
  out.firstSeq = input.uvarint();
  out.count = input.u8();
  if (out.firstSeq === 0) throw new WireError(WireErrorCode.OutOfRange, 'INPUT seqs start at 1');
  if (out.firstSeq + out.count - 1 > 0xffffffff) throw new WireError(WireErrorCode.OutOfRange, 'INPUT seqs must stay below 2^32');
  if (out.count === 0 || out.count > MAX_INPUTS_PER_MESSAGE) {
    throw new WireError(WireErrorCode.OutOfRange, `INPUT count ${out.count} is outside 1-${MAX_INPUTS_PER_MESSAGE}`);
  }
  out.viewLag16 = input.uvarint();
  if (out.viewLag16 > MAX_VIEW_LAG16)
    throw new WireError(WireErrorCode.OutOfRange, `INPUT view lag ${out.viewLag16} is over ${MAX_VIEW_LAG16} sixteenths of a tick`);
  const expected = out.count * inputBytes;
  if (input.remaining !== expected) {
    throw new WireError(
      input.remaining < expected ? WireErrorCode.Truncated : WireErrorCode.TrailingBytes,
      `INPUT with ${out.count} input(s) must have ${expected} payload bytes, has ${input.remaining}`,
    );
  }
  return out;
}
