import type { BitReader } from '../binary/bit-reader';
import type { BitWriter } from '../binary/bit-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { fromWire, toWire, type CompiledKind, type CompiledSchema } from './entity-schema';
import type { EntityTable } from './entity-table';

/*
 * The per-field wire arithmetic of the delta body (see DeltaCodec for the layout): deltas
 * between quantized values, the short way round for angles, and entity creations written and
 * read with every field absolute. Shared by the delta codec, its plan and the cell codec.
 */

// Exp-Golomb orders of the counters, tuned for their usual sizes.
export const CREATED_COUNT_K = 2;
export const ID_GAP_K = 3;
export const WIDE_VALUE_K = 4;

/**
 * New minus old wire value of field `f`; for angles, the short way round. Small enough for V8
 * to inline in the hot loops: exact, non-wrapping fields (positions, counters) are the plain
 * difference; the rest go through {@link quantizedDelta} (measured: calling that for every
 * field cost a quarter of the encode).
 */
export function wireDelta(kind: CompiledKind, f: number, oldValue: number, newValue: number): number {
  return kind.plainDelta[f] !== 0 ? newValue - oldValue : quantizedDelta(kind, f, oldValue, newValue);
}

function quantizedDelta(kind: CompiledKind, f: number, oldValue: number, newValue: number): number {
  const d = toWire(kind, f, newValue) - toWire(kind, f, oldValue);
  if (kind.wraps[f] === 0) return d;
  const turn = kind.qmax[f] + 1;
  const half = turn / 2;
  return ((((d + half) % turn) + turn) % turn) - half;
}

/** The value after adding wire delta `d`; throws when it leaves the field's range. */
export function applyWireDelta(kind: CompiledKind, f: number, oldValue: number, d: number): number {
  let q = toWire(kind, f, oldValue) + d;
  if (kind.wraps[f] !== 0) {
    const turn = kind.qmax[f] + 1;
    if (d <= -turn || d >= turn) throw new WireError(WireErrorCode.OutOfRange, `snapshot angle delta ${d} is over a whole turn`);
    q = (q + turn) % turn;
  } else if (q < 0 || q > kind.qmax[f]) {
    throw new WireError(WireErrorCode.OutOfRange, `snapshot field ${kind.name}.${f} leaves its range`);
  }
  return fromWire(kind, f, q);
}

/** Write one creation: the id's gap from `prevId`, the kind, every field's absolute value. */
export function writeCreation(bw: BitWriter, schema: CompiledSchema, table: EntityTable, row: number, prevId: number): void {
  bw.expGolomb(table.ids[row] - prevId, ID_GAP_K);
  const kind = table.kinds[row];
  bw.bits(kind, schema.kindBits);
  writeAbsolute(bw, schema.kinds[kind], table.values, row * table.stride);
}

/**
 * Read `count` creations (ascending ids, each a gap from the previous, from 0) and append them
 * to `rows`, stamped with `tick`. Strict: a count the body cannot hold, a repeated id, an id
 * over 2^32 − 1, an unknown kind or a value over its range throws a {@link WireError}.
 * Shared by this codec and the cell codec.
 */
export function readCreations(br: BitReader, schema: CompiledSchema, count: number, rows: EntityTable, tick: number): void {
  // A created row takes at least 2 bits: refuse a count the body cannot hold before growing.
  if (count * 2 > br.remainingBits)
    throw new WireError(WireErrorCode.OutOfRange, `snapshot claims ${count} new entities in ${br.remainingBits} bits`);
  let id = 0;
  for (let k = 0; k < count; k++) {
    const gap = br.expGolomb(ID_GAP_K);
    if (k > 0 && gap === 0) throw new WireError(WireErrorCode.OutOfRange, 'snapshot creates the same entity id twice');
    id += gap;
    if (id > 0xffffffff) throw new WireError(WireErrorCode.OutOfRange, `snapshot entity id ${id} is over 2^32 − 1`);
    const kindIndex = br.bits(schema.kindBits);
    const kind = schema.kinds[kindIndex];
    if (kind === undefined) throw new WireError(WireErrorCode.OutOfRange, `snapshot entity kind ${kindIndex} is not in the schema`);
    const r = rows.push(id, kindIndex);
    readAbsolute(br, kind, rows.values, r * rows.stride);
    rows.ticks[r] = tick;
  }
}

function writeAbsolute(bw: BitWriter, kind: CompiledKind, values: Int32Array, base: number): void {
  for (let f = 0; f < kind.fieldCount; f++) {
    const q = toWire(kind, f, values[base + f]);
    if (kind.absBits[f] !== 0) bw.bits(q, kind.absBits[f]);
    else bw.expGolomb(q, WIDE_VALUE_K);
  }
}

function readAbsolute(br: BitReader, kind: CompiledKind, values: Int32Array, base: number): void {
  for (let f = 0; f < kind.fieldCount; f++) {
    const q = kind.absBits[f] !== 0 ? br.bits(kind.absBits[f]) : br.expGolomb(WIDE_VALUE_K);
    if (q > kind.qmax[f]) throw new WireError(WireErrorCode.OutOfRange, `snapshot field ${kind.name}.${f} is over its range`);
    values[base + f] = fromWire(kind, f, q);
  }
}
