import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { MessageType } from './message-types';

/**
 * GLOBALS: the fields every client needs whatever its view (schema fields marked `everyone`,
 * such as scores), for every entity of their kinds. Sent reliably, at a low rate and only when
 * something changed, the same bytes to every client: a delta against the previous GLOBALS,
 * which every client holds because the channel is reliable and ordered. A joiner, or a player
 * coming back from a drop, first gets a full one.
 *
 * ```
 * GLOBALS := 0x13 tick:uvarint full:u8 entities     full = 1: against nothing, 0: against the last
 *            entities = DeltaCodec output over the schema's `everyone` fields only
 * ```
 */
export interface GlobalsHeader {
  tick: number;
  full: boolean;
}

export function writeGlobalsHeader(out: ByteWriter, tick: number, full: boolean): void {
  out.u8(MessageType.Globals);
  out.uvarint(tick);
  out.u8(full ? 1 : 0);
}

export function readGlobalsHeader(input: ByteReader, out: GlobalsHeader): GlobalsHeader {
  out.tick = input.uvarint();
  const full = input.u8();
  if (full > 1) throw new WireError(WireErrorCode.OutOfRange, `GLOBALS full flag must be 0 or 1, got ${full}`);
  out.full = full === 1;
  return out;
}
