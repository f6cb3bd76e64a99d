import { BitReader } from '../binary/bit-reader';
import type { BitWriter } from '../binary/bit-writer';
import type { ByteReader } from '../binary/byte-reader';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { cellOf, type CellGeometry } from './cell-geometry';
import { applyWireDelta, readCreations, wireDelta } from './delta-codec';
import { compileSchema, type CompiledKind, type CompiledSchema, type EntitySchema } from './entity-schema';
import { EntityTable } from './entity-table';

/**
 * The entity body of a snapshot when the room has interest management on: the client holds
 * grid cells, and most of the body is made of per-cell change bits the server encodes once per
 * (cell, baseline tick) and copies into the body of every client that keeps that cell.
 *
 * A client's cells ("view"): a rectangle of cells, less the `missing` ones (held back by the
 * bandwidth budget), plus an `extra` cell (its own entity's, when that is outside the
 * rectangle), kept as `[c0, c1, r0, r1, extra, missing…]` (columns c0..c1, rows r0..r1; an
 * empty rectangle has c0 > c1). Of the cells held now, the *kept* ones are those in both
 * rectangles (the baseline's and this one) and in neither missing list; the others are *entering*.
 *
 * ```
 * cells    := view arrivals changes(U) changes(kept cell)* full(entering cell)* pad-to-byte
 * view     := 1                                 the same cells as the baseline
 *           | 0 dc0 dc1 dr0 dr1:seg(0)          the rectangle's edges, each new − baseline's
 *               count:eg(0) { gap:eg(3) }*      missing cells, ascending, gap from the last − 1
 *               (0 | 1 extra:eg(4))             the extra cell
 * arrivals := count:eg(0) creation*             entities now in kept cells (or of kinds without a
 *                                               position) that were, at the baseline, in no kept
 *                                               cell: new ones, and ones that crossed into the view
 * changes(c) := change*                         one per entity in c at the baseline, ascending ids:
 *                                               0 unchanged | 1 mask delta* | 1 0…0 gone
 *                                               (an empty cell costs nothing)
 * full(c)  := count:eg(0) creation*             every entity now in c
 * creation := idGap:eg(3) kind fieldValue*      ascending ids, the first gap from 0
 * ```
 * U is the pseudo-cell of kinds without a position: every client keeps it. An entity that moved
 * from one kept cell to another travels as a change in its old cell and stays; one that moved
 * into a cell that is not kept is dropped by the decoder (it computes every cell from the
 * positions); one that moved into an entering cell comes again in that cell's full chunk. So
 * after decoding, the client holds exactly the room's entities in its cells (and U) at this
 * tick's values, and the server's record of a client is only its view.
 */

/** Exp-Golomb orders of the counts and gaps above. */
export const CELL_COUNT_K = 0;
export const CELL_GAP_K = 3;
const EXTRA_K = 4;

/** Offsets in a view record. */
export const VIEW_C0 = 0;
export const VIEW_C1 = 1;
export const VIEW_R0 = 2;
export const VIEW_R1 = 3;
export const VIEW_EXTRA = 4;
/** Where the missing cells start: a view record's length is this plus their count. */
export const VIEW_MISSING = 5;
/** No cells: the baseline of a full snapshot. */
export const EMPTY_VIEW: Int32Array = Int32Array.of(0, -1, 0, -1, -1);

/** Write `next`'s view against `base`'s (records of `nextLength` and `baseLength` entries). */
export function writeViewChange(bw: BitWriter, base: Int32Array, baseLength: number, next: Int32Array, nextLength: number): void {
  let same = baseLength === nextLength;
  for (let k = 0; same && k < nextLength; k++) same = base[k] === next[k];
  if (same) {
    bw.bits(1, 1);
    return;
  }
  bw.bits(0, 1);
  for (let k = 0; k < 4; k++) bw.signedExpGolomb(next[k] - base[k], 0);
  bw.expGolomb(nextLength - VIEW_MISSING, CELL_COUNT_K);
  let prev = -1;
  for (let k = VIEW_MISSING; k < nextLength; k++) {
    bw.expGolomb(next[k] - prev - 1, CELL_GAP_K);
    prev = next[k];
  }
  if (next[VIEW_EXTRA] < 0) bw.bits(0, 1);
  else {
    bw.bits(1, 1);
    bw.expGolomb(next[VIEW_EXTRA], EXTRA_K);
  }
}

/** One creation's bits, as the delta codec writes them (the cell bodies use the same). */
export { writeCreation } from './delta-codec';

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

/** Cell marks while decoding. */
const ENTERING = 2;
const KEPT = 3;
const WAS_MISSING = 8;

/**
 * The client's side: decodes a cell body against the table it holds at the baseline (whose
 * `viewCells` is its view record) into the table it holds now, ascending ids, every row stamped
 * with the snapshot's tick. Strict like DeltaCodec.decode: anything an encoder could not have
 * written throws a {@link WireError}.
 */
export class CellDecoder {
  readonly schema: CompiledSchema;
  private readonly br = new BitReader();
  private readonly cellCount: number;
  /** Per cell while decoding (KEPT, ENTERING, 0); zero between calls. */
  private readonly marks: Uint8Array;
  private view: Int32Array;
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
    this.view = new Int32Array(VIEW_MISSING + 16);
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
    try {
      this.decodeInto(input, baseline, out, tick);
    } finally {
      // Leave the marks clear whatever happened (a malformed body throws half way).
      this.marks.fill(0);
    }
  }

  private decodeInto(input: ByteReader, baseline: EntityTable | null, out: EntityTable, tick: number): void {
    const br = this.br.begin(input);
    const marks = this.marks;
    const cells = this.cellCount;
    const cols = this.geometry.cols;
    const base = baseline !== null && baseline.viewCellCount >= VIEW_MISSING ? baseline.viewCells : EMPTY_VIEW;
    const baseLength = base === EMPTY_VIEW ? VIEW_MISSING : baseline!.viewCellCount;
    const viewLength = this.readView(br, base, baseLength);
    const view = this.view;

    // Mark the cells held now (ENTERING), then promote those kept (KEPT).
    const c0 = view[VIEW_C0];
    const c1 = view[VIEW_C1];
    const r0 = view[VIEW_R0];
    const r1 = view[VIEW_R1];
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) marks[r * cols + c] = ENTERING;
    for (let k = VIEW_MISSING; k < viewLength; k++) marks[view[k]] = 0;
    if (view[VIEW_EXTRA] >= 0) marks[view[VIEW_EXTRA]] = ENTERING;
    for (let k = VIEW_MISSING; k < baseLength; k++) marks[base[k]] |= WAS_MISSING;
    const kc0 = Math.max(c0, base[VIEW_C0]);
    const kc1 = Math.min(c1, base[VIEW_C1]);
    const kr0 = Math.max(r0, base[VIEW_R0]);
    const kr1 = Math.min(r1, base[VIEW_R1]);
    for (let r = kr0; r <= kr1; r++) for (let c = kc0; c <= kc1; c++) if (marks[r * cols + c] === ENTERING) marks[r * cols + c] = KEPT;
    for (let k = VIEW_MISSING; k < baseLength; k++) marks[base[k]] &= ~WAS_MISSING;

    const rows = this.rows;
    rows.clear();
    readCreations(br, this.schema, br.expGolomb(CELL_COUNT_K), this.rows, tick);

    // The baseline's rows in kept cells and U, grouped by cell, ascending ids within each.
    let n = 0;
    if (baseline !== null) {
      if (this.keys.length < baseline.count) this.keys = new Float64Array(Math.max(baseline.count, this.keys.length * 2));
      for (let r = 0; r < baseline.count; r++) {
        const c = this.cellOfRow(baseline, r);
        if (c === cells || marks[c] === KEPT) this.keys[n++] = c * TWO_32 + r;
      }
    }
    const keys = this.keys.subarray(0, n).sort();
    // U first: it sorts last among the keys.
    let q = n;
    while (q > 0 && Math.floor(keys[q - 1] / TWO_32) === cells) q--;
    for (let k = q; k < n; k++) this.readChange(br, baseline!, keys[k] - cells * TWO_32, tick);
    // Then the kept cells, ascending: the keys are in that order already.
    for (let k = 0; k < q; k++) {
      const key = keys[k];
      this.readChange(br, baseline!, key - Math.floor(key / TWO_32) * TWO_32, tick);
    }
    // Then the entering cells, ascending.
    let extraDone = view[VIEW_EXTRA] < 0;
    for (let r = r0; r <= r1; r++) {
      for (let c = r * cols + c0; c <= r * cols + c1; c++) {
        if (!extraDone && view[VIEW_EXTRA] < c) {
          readCreations(br, this.schema, br.expGolomb(CELL_COUNT_K), this.rows, tick);
          extraDone = true;
        }
        if (marks[c] === ENTERING) readCreations(br, this.schema, br.expGolomb(CELL_COUNT_K), this.rows, tick);
      }
    }
    if (!extraDone) readCreations(br, this.schema, br.expGolomb(CELL_COUNT_K), this.rows, tick);
    br.end('snapshot');

    this.sortInto(out);
    if (out.viewCells.length < viewLength) out.viewCells = new Int32Array(viewLength * 2);
    out.viewCells.set(view.subarray(0, viewLength));
    out.viewCellCount = viewLength;
  }

  /** The view change into {@link view}; returns the record's length. */
  private readView(br: BitReader, base: Int32Array, baseLength: number): number {
    if (this.view.length < baseLength) this.view = new Int32Array(baseLength * 2);
    const view = this.view;
    if (br.bit() === 1) {
      view.set(base.subarray(0, baseLength));
      return baseLength;
    }
    for (let k = 0; k < 4; k++) view[k] = base[k] + br.signedExpGolomb(0);
    const { cols, rows } = this.geometry;
    const empty = view[VIEW_C0] > view[VIEW_C1] || view[VIEW_R0] > view[VIEW_R1];
    if (empty) view.set(EMPTY_VIEW.subarray(0, 4));
    else if (view[VIEW_C0] < 0 || view[VIEW_C1] >= cols || view[VIEW_R0] < 0 || view[VIEW_R1] >= rows)
      throw new WireError(WireErrorCode.OutOfRange, 'snapshot view leaves the grid');
    const missing = br.expGolomb(CELL_COUNT_K);
    if (missing > (view[VIEW_C1] - view[VIEW_C0] + 1) * (view[VIEW_R1] - view[VIEW_R0] + 1))
      throw new WireError(WireErrorCode.OutOfRange, `snapshot view misses ${missing} cells`);
    if (this.view.length < VIEW_MISSING + missing) {
      const grown = new Int32Array((VIEW_MISSING + missing) * 2);
      grown.set(this.view.subarray(0, VIEW_MISSING));
      this.view = grown;
    }
    let cell = -1;
    for (let k = 0; k < missing; k++) {
      cell += br.expGolomb(CELL_GAP_K) + 1;
      const r = Math.floor(cell / cols);
      const c = cell - r * cols;
      if (c < this.view[VIEW_C0] || c > this.view[VIEW_C1] || r < this.view[VIEW_R0] || r > this.view[VIEW_R1])
        throw new WireError(WireErrorCode.OutOfRange, `snapshot view misses cell ${cell}, outside it`);
      this.view[VIEW_MISSING + k] = cell;
    }
    this.view[VIEW_EXTRA] = -1;
    if (br.bit() === 1) {
      const extra = br.expGolomb(EXTRA_K);
      const r = Math.floor(extra / cols);
      const c = extra - r * cols;
      const inRect = c >= this.view[VIEW_C0] && c <= this.view[VIEW_C1] && r >= this.view[VIEW_R0] && r <= this.view[VIEW_R1];
      if (extra >= this.cellCount || inRect)
        throw new WireError(WireErrorCode.OutOfRange, `snapshot view's extra cell ${extra} is off the grid or in the view`);
      this.view[VIEW_EXTRA] = extra;
    }
    return VIEW_MISSING + missing;
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
    if (kind.xField >= 0 && this.marks[this.cellOfRow(rows, o)] !== KEPT) rows.count--; // moved out of the kept cells
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
