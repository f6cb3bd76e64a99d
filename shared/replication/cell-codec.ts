import { BitReader } from '../binary/bit-reader';
import type { BitWriter } from '../binary/bit-writer';
import type { ByteReader } from '../binary/byte-reader';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { cellOf, type CellGeometry } from './cell-geometry';
import { applyWireDelta, ID_GAP_K, readAbsolute, wireDelta, writeAbsolute } from './delta-codec';
import { compileSchema, type CompiledKind, type CompiledSchema, type EntitySchema } from './entity-schema';
import { EntityTable } from './entity-table';

/**
 * The entity body of a snapshot when the room has interest management on: the client holds
 * whole grid cells, and the body is made of per-cell chunks the server encodes once per
 * (cell, baseline tick) and shares between every client that holds that cell.
 *
 * ```
 * cells    := leaving entering arrivals chunk(U) chunk(kept cell)* chunk(entering cell)* pad-to-byte
 * leaving  := count:eg(0) { gap:eg(0) }*     positions in the baseline's held-cell list (ascending)
 *                                            of the cells it drops, each the gap from the last − 1
 * entering := count:eg(0) { gap:eg(3) }*     cells it now holds besides the kept ones, ascending
 *                                            cell indices, each the gap from the last − 1 (first from −1)
 * arrivals := count:eg(0) creation*          entities now in a kept cell that were, at the
 *                                            baseline, in a cell the client does not keep
 * chunk(c) := count:eg(0) creation* change*  creations: entities now in c that did not exist at
 *                                            the baseline (any entity, for an entering cell);
 *                                            changes: one per entity that was in c at the baseline,
 *                                            ascending ids: 0 unchanged | 1 mask delta* | 1 0…0 gone
 * creation := idGap:eg(3) kind fieldValue*   ascending ids, the first gap from 0
 * ```
 * U is the pseudo-cell of kinds without a position: every client holds it. An entity that moved
 * from one kept cell to another travels as a change in its old cell's chunk and stays; one that
 * moved into a cell the client does not keep is dropped by the decoder (it computes every cell
 * from the positions); one that moved into an entering cell comes again in that cell's chunk.
 * So after decoding, the client holds exactly the room's entities in the cells it holds (and U),
 * at this tick's values, and the server's record of a client is only its list of cells.
 */

/** Exp-Golomb orders of the counts and gaps above. */
export const CELL_COUNT_K = 0;
export const CELL_GAP_K = 3;

/** Write one creation: the id's gap from `prevId`, the kind, every field's absolute value. */
export function writeCreation(bw: BitWriter, schema: CompiledSchema, table: EntityTable, row: number, prevId: number): void {
  bw.expGolomb(table.ids[row] - prevId, ID_GAP_K);
  const kind = table.kinds[row];
  bw.bits(kind, schema.kindBits);
  writeAbsolute(bw, schema.kinds[kind], table.values, row * table.stride);
}

/**
 * Write the change of baseline row `bi` of `base` into row `ci` of `current` (−1: gone, or now
 * of another kind): `0`, `1 mask delta*` or `1 0…0`. Returns the bits written.
 */
export function writeMemberChange(
  bw: BitWriter,
  kind: CompiledKind,
  base: EntityTable,
  bi: number,
  current: EntityTable,
  ci: number,
): void {
  const n = kind.fieldCount;
  if (ci < 0) {
    bw.bits(1, 1);
    bw.bits(0, n);
    return;
  }
  const bv = base.values;
  const cv = current.values;
  const bb = bi * base.stride;
  const cb = ci * current.stride;
  let mask = 0;
  for (let f = 0; f < n; f++) if (cv[cb + f] !== bv[bb + f]) mask |= 1 << f;
  if (mask === 0) {
    bw.bits(0, 1);
    return;
  }
  bw.bits(1, 1);
  bw.bits(mask, n);
  for (let f = 0; f < n; f++) {
    if ((mask & (1 << f)) !== 0) bw.signedExpGolomb(wireDelta(kind, f, bv[bb + f], cv[cb + f]), kind.deltaK[f]);
  }
}

const TWO_32 = 2 ** 32;
const TWO_20 = 2 ** 20;

/**
 * The client's side: decodes a cell body against the table it holds at the baseline (whose
 * `viewCells` say which cells it held) into the table it holds now, ascending ids, every row
 * stamped with the snapshot's tick. Strict like DeltaCodec.decode: anything an encoder could not
 * have written throws a {@link WireError}.
 */
export class CellDecoder {
  readonly schema: CompiledSchema;
  private readonly br = new BitReader();
  private readonly cellCount: number;
  /** Per cell while decoding: 3 kept, 1 dropped, 2 entering, 0 not held. Zero between calls. */
  private readonly marks: Uint8Array;
  private entering = new Int32Array(64);
  /** Rows decoded, in the order read; sorted by id into the output at the end. */
  private readonly rows: EntityTable;
  /** Sort keys: cell × 2^32 + baseline row, then id × 2^20 + decoded row. */
  private keys = new Float64Array(64);

  constructor(
    schema: EntitySchema,
    readonly geometry: CellGeometry,
  ) {
    this.schema = compileSchema(schema);
    this.cellCount = geometry.cols * geometry.rows;
    this.marks = new Uint8Array(this.cellCount + 1);
    this.rows = new EntityTable(schema);
  }

  /** The cell of row `r` of `t`, or the pseudo-cell U (= cell count) for kinds without a position. */
  cellOfRow(t: EntityTable, r: number): number {
    const kind = this.schema.kinds[t.kinds[r]];
    if (kind.xField < 0) return this.cellCount;
    const b = r * t.stride;
    return cellOf(this.geometry, t.values[b + kind.xField], t.values[b + kind.yField]);
  }

  decode(input: ByteReader, baseline: EntityTable | null, out: EntityTable, tick: number): void {
    const marks = this.marks;
    try {
      this.decodeInto(input, baseline, out, tick);
    } finally {
      // Leave the marks clear whatever happened (a malformed body throws half way).
      marks.fill(0);
    }
  }

  private decodeInto(input: ByteReader, baseline: EntityTable | null, out: EntityTable, tick: number): void {
    const br = this.br.begin(input);
    const marks = this.marks;
    const cells = this.cellCount;
    const held = baseline === null ? null : baseline.viewCells;
    const heldCount = baseline === null ? 0 : baseline.viewCellCount;
    for (let i = 0; i < heldCount; i++) marks[held![i]] = 3;

    const leaving = br.expGolomb(CELL_COUNT_K);
    if (leaving > heldCount) throw new WireError(WireErrorCode.OutOfRange, `snapshot drops ${leaving} of ${heldCount} held cells`);
    let pos = -1;
    for (let k = 0; k < leaving; k++) {
      pos += br.expGolomb(CELL_COUNT_K) + 1;
      if (pos >= heldCount) throw new WireError(WireErrorCode.OutOfRange, 'snapshot drops a cell it does not hold');
      marks[held![pos]] = 1;
    }
    const enteringCount = br.expGolomb(CELL_COUNT_K);
    if (enteringCount > cells) throw new WireError(WireErrorCode.OutOfRange, `snapshot adds ${enteringCount} cells of ${cells}`);
    if (this.entering.length < enteringCount) this.entering = new Int32Array(Math.max(enteringCount, this.entering.length * 2));
    let cell = -1;
    for (let k = 0; k < enteringCount; k++) {
      cell += br.expGolomb(CELL_GAP_K) + 1;
      if (cell >= cells || marks[cell] !== 0)
        throw new WireError(WireErrorCode.OutOfRange, `snapshot adds cell ${cell}, held or off the grid`);
      marks[cell] = 2;
      this.entering[k] = cell;
    }

    const rows = this.rows;
    rows.clear();
    this.readCreations(br, br.expGolomb(CELL_COUNT_K), tick);

    // The baseline's rows of the kept cells and U, grouped by cell, ascending ids within each.
    const base = baseline ?? rows;
    let n = 0;
    if (baseline !== null) {
      if (this.keys.length < baseline.count) this.keys = new Float64Array(Math.max(baseline.count, this.keys.length * 2));
      for (let r = 0; r < baseline.count; r++) {
        const c = this.cellOfRow(baseline, r);
        if (c === cells || marks[c] === 3) this.keys[n++] = c * TWO_32 + r;
      }
    }
    const keys = this.keys.subarray(0, n).sort();
    let p = 0;
    // U first, then the kept cells ascending, then the entering ones.
    let c = -1;
    for (let i = -1; i < heldCount; i++) {
      if (i === -1) c = cells;
      else if (marks[held![i]] === 3) c = held![i];
      else continue;
      this.readCreations(br, br.expGolomb(CELL_COUNT_K), tick);
      if (i === -1) {
        // U sorts last among the keys: its rows are at the end.
        let q = n;
        while (q > 0 && Math.floor(keys[q - 1] / TWO_32) === cells) q--;
        for (let k = q; k < n; k++) this.readChange(br, base, keys[k] - cells * TWO_32, tick);
        n = q;
      } else {
        while (p < n && Math.floor(keys[p] / TWO_32) === c) this.readChange(br, base, keys[p++] - c * TWO_32, tick);
      }
    }
    for (let k = 0; k < enteringCount; k++) this.readCreations(br, br.expGolomb(CELL_COUNT_K), tick);
    br.end('snapshot');

    // The cells held now: kept and entering, ascending.
    if (out.viewCells.length < heldCount + enteringCount) out.viewCells = new Int32Array(Math.max(16, (heldCount + enteringCount) * 2));
    let m = 0;
    let e = 0;
    for (let i = 0; i < heldCount; i++) {
      if (marks[held![i]] !== 3) continue;
      while (e < enteringCount && this.entering[e] < held![i]) out.viewCells[m++] = this.entering[e++];
      out.viewCells[m++] = held![i];
    }
    while (e < enteringCount) out.viewCells[m++] = this.entering[e++];
    this.sortInto(out);
    out.viewCellCount = m;
  }

  /** `count` creations (ascending ids, gaps from 0) into the decoded rows. */
  private readCreations(br: BitReader, count: number, tick: number): void {
    if (count * 2 > br.remainingBits)
      throw new WireError(WireErrorCode.OutOfRange, `snapshot claims ${count} new entities in ${br.remainingBits} bits`);
    const rows = this.rows;
    let id = 0;
    for (let k = 0; k < count; k++) {
      const gap = br.expGolomb(ID_GAP_K);
      if (k > 0 && gap === 0) throw new WireError(WireErrorCode.OutOfRange, 'snapshot creates the same entity id twice');
      id += gap;
      if (id > 0xffffffff) throw new WireError(WireErrorCode.OutOfRange, `snapshot entity id ${id} is over 2^32 − 1`);
      const kindIndex = br.bits(this.schema.kindBits);
      const kind = this.schema.kinds[kindIndex];
      if (kind === undefined) throw new WireError(WireErrorCode.OutOfRange, `snapshot entity kind ${kindIndex} is not in the schema`);
      const r = rows.push(id, kindIndex);
      readAbsolute(br, kind, rows.values, r * rows.stride);
      rows.ticks[r] = tick;
    }
  }

  /** The change of baseline row `r`; the row is kept unless gone or now in a cell not kept. */
  private readChange(br: BitReader, base: EntityTable, r: number, tick: number): void {
    const rows = this.rows;
    const kind = this.schema.kinds[base.kinds[r]];
    if (br.bit() === 0) {
      rows.ticks[rows.pushRow(base, r)] = tick;
      return;
    }
    const mask = br.bits(kind.fieldCount);
    if (mask === 0) return; // gone
    const o = rows.pushRow(base, r);
    rows.ticks[o] = tick;
    const ob = o * rows.stride;
    for (let f = 0; f < kind.fieldCount; f++) {
      if ((mask & (1 << f)) === 0) continue;
      rows.values[ob + f] = applyWireDelta(kind, f, rows.values[ob + f], br.signedExpGolomb(kind.deltaK[f]));
    }
    if (kind.xField >= 0 && this.marks[this.cellOfRow(rows, o)] !== 3) rows.count--; // moved out of the kept cells
  }

  /** The decoded rows into `out` in ascending id order; an id twice is malformed. */
  private sortInto(out: EntityTable): void {
    const rows = this.rows;
    const n = rows.count;
    if (n >= TWO_20) throw new WireError(WireErrorCode.OutOfRange, `snapshot holds ${n} entities`);
    if (this.keys.length < n) this.keys = new Float64Array(Math.max(n, this.keys.length * 2));
    for (let r = 0; r < n; r++) this.keys[r] = rows.ids[r] * TWO_20 + r;
    const keys = this.keys.subarray(0, n).sort();
    out.clear();
    out.reserve(n);
    let last = -1;
    for (let k = 0; k < n; k++) {
      const r = keys[k] % TWO_20;
      if (rows.ids[r] === last) throw new WireError(WireErrorCode.OutOfRange, `snapshot holds entity ${last} twice`);
      last = rows.ids[r];
      out.pushRow(rows, r);
    }
  }
}
