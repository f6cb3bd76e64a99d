import { Packr } from 'msgpackr';
import type { StateCodec } from './game-definition';

/**
 * msgpackr for plain-data states: records off (every object is written whole, with its keys, so
 * two nodes never depend on a shared record table) and `moreTypes` on, so typed arrays come
 * back as typed arrays of the same kind.
 */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** The codec a game gets when it gives none: right for states made of plain data only. */
export function plainStateCodec<S>(): StateCodec<S> {
  return {
    encode: (state) => packr.pack(state),
    decode: (bytes) => packr.unpack(bytes) as S,
  };
}
