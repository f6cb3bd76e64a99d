import { BitWriter } from '../../shared/binary/bit-writer';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { CELL_COUNT_K, writeCreation, writeMemberChange } from '../../shared/replication/cell-codec';
import { cellOf, type CellGeometry } from '../../shared/replication/cell-geometry';
import type { CompiledSchema } from '../../shared/replication/entity-schema';
import type { EntityTable } from '../../shared/replication/entity-table';

/**
 * One sealed tick's rows laid out by grid cell (a counting sort, stable: ascending ids within a
 * cell). The pseudo-cell U (= cell count) holds the kinds without a position.
 */
export class CellLayout {
  tick = -1;
  /** Per row of the tick's table: its cell. */
  cellOfRow: Int32Array = new Int32Array(64);
  /** Rows by cell: cell c is order[start[c] .. start[c + 1]). */
  order: Int32Array = new Int32Array(64);
  readonly start: Int32Array;

  constructor(private readonly cellCount: number) {
    this.start = new Int32Array(cellCount + 2);
  }

  build(table: EntityTable, schema: CompiledSchema, geometry: CellGeometry): void {
    const n = table.count;
    if (this.order.length < n) {
      this.order = new Int32Array(Math.max(n, this.order.length * 2));
      this.cellOfRow = new Int32Array(this.order.length);
    }
    const { kinds, values, stride } = table;
    const cellOfRow = this.cellOfRow;
    const start = this.start;
    start.fill(0);
    const u = this.cellCount;
    for (let r = 0; r < n; r++) {
      const kind = schema.kinds[kinds[r]];
      const c = kind.xField < 0 ? u : cellOf(geometry, values[r * stride + kind.xField], values[r * stride + kind.yField]);
      cellOfRow[r] = c;
      start[c + 1]++;
    }
    for (let c = 1; c < start.length; c++) start[c] += start[c - 1];
    for (let r = 0; r < n; r++) this.order[start[cellOfRow[r]]++] = r;
    for (let c = start.length - 1; c > 0; c--) start[c] = start[c - 1];
    start[0] = 0;
  }
}

/**
 * This tick's full chunks (`count creation*`: every entity in the cell), for cells entering a
 * client's view: built on first use, then shared. Stored byte-aligned with their exact bit
 * length, and copied bit by bit into each body (see cell-codec.ts for the layout).
 */
export class FullChunks {
  private generation = 0;
  private readonly stamp: Int32Array;
  readonly byteStart: Int32Array;
  readonly bitLength: Int32Array;
  readonly bytes = new ByteWriter(4096, 1 << 26, 'the interest chunk arena (64 MiB)');

  constructor(cells: number) {
    this.stamp = new Int32Array(cells + 1);
    this.byteStart = new Int32Array(cells + 1);
    this.bitLength = new Int32Array(cells + 1);
  }

  reset(): void {
    this.generation++;
    this.bytes.reset();
  }

  has(cell: number): boolean {
    return this.stamp[cell] === this.generation;
  }

  done(cell: number, byteStart: number, bits: number): void {
    this.stamp[cell] = this.generation;
    this.byteStart[cell] = byteStart;
    this.bitLength[cell] = bits;
  }
}

/**
 * This tick's change bits against one baseline tick, a grid row at a time: the changes of every
 * cell of the row, back to back, so a client's kept cells in that row are one bit range
 * (`bitStart[first cell] .. bitStart[last cell + 1]`) copied at once. Also, per row, the
 * *arrivals*: entities now in one of its cells that were elsewhere at the baseline (or did not
 * exist), with their column and where they were.
 */
export class RowSet {
  baseTick = -1;
  baseline: EntityTable | null = null;
  layout: CellLayout | null = null;
  private generation = 0;
  private readonly rowStamp: Int32Array;
  /** Per cell (and U, last): the absolute bit position in {@link bytes} its changes start at. */
  readonly bitStart: Int32Array;
  /** Per row (and U, last): the bit position its changes end at. */
  readonly rowEnd: Int32Array;
  readonly arrivalStart: Int32Array;
  readonly arrivalEnd: Int32Array;
  /** Arrivals: the current row, its column, and its cell at the baseline (−1: none). */
  arrivalRows: Int32Array = new Int32Array(64);
  arrivalCols: Int32Array = new Int32Array(64);
  arrivalFrom: Int32Array = new Int32Array(64);
  arrivalsUsed = 0;
  /** Per baseline row: the current row of the same entity (same kind), or −1. */
  curOfBase: Int32Array = new Int32Array(64);
  /** Per current row: the baseline row of the same entity (same kind), or −1. */
  baseOfCur: Int32Array = new Int32Array(64);
  readonly bytes = new ByteWriter(4096, 1 << 26, 'the interest chunk arena (64 MiB)');

  constructor(cells: number, rows: number) {
    this.bitStart = new Int32Array(cells + 1);
    this.rowStamp = new Int32Array(rows + 1);
    this.rowEnd = new Int32Array(rows + 1);
    this.arrivalStart = new Int32Array(rows + 1);
    this.arrivalEnd = new Int32Array(rows + 1);
  }

  reset(baseTick: number, baseline: EntityTable | null, layout: CellLayout | null): void {
    this.baseTick = baseTick;
    this.baseline = baseline;
    this.layout = layout;
    this.generation++;
    this.arrivalsUsed = 0;
    this.bytes.reset();
  }

  /** Match `current`'s rows with the baseline's: one merge walk, both in ascending id order. */
  match(current: EntityTable): void {
    const base = this.baseline!;
    if (this.curOfBase.length < base.count) this.curOfBase = new Int32Array(Math.max(base.count, this.curOfBase.length * 2));
    if (this.baseOfCur.length < current.count) this.baseOfCur = new Int32Array(Math.max(current.count, this.baseOfCur.length * 2));
    const cob = this.curOfBase;
    const boc = this.baseOfCur;
    cob.fill(-1, 0, base.count);
    boc.fill(-1, 0, current.count);
    let i = 0;
    let j = 0;
    while (i < base.count && j < current.count) {
      const a = base.ids[i];
      const b = current.ids[j];
      if (a < b) i++;
      else if (b < a) j++;
      else {
        if (base.kinds[i] === current.kinds[j]) {
          cob[i] = j;
          boc[j] = i;
        }
        i++;
        j++;
      }
    }
  }

  has(row: number): boolean {
    return this.rowStamp[row] === this.generation;
  }

  markBuilt(row: number): void {
    this.rowStamp[row] = this.generation;
  }

  addArrival(row: number, col: number, from: number): void {
    if (this.arrivalsUsed === this.arrivalRows.length) {
      const n = this.arrivalsUsed * 2;
      this.arrivalRows = grow(this.arrivalRows, n);
      this.arrivalCols = grow(this.arrivalCols, n);
      this.arrivalFrom = grow(this.arrivalFrom, n);
    }
    this.arrivalRows[this.arrivalsUsed] = row;
    this.arrivalCols[this.arrivalsUsed] = col;
    this.arrivalFrom[this.arrivalsUsed++] = from;
  }
}

/**
 * The room's cell layouts for the ticks in its history, and this tick's chunks: the full ones
 * and one {@link RowSet} per baseline tick in use. A send costs cells × baselines in use (each
 * row of changes built once), however many clients keep each cell.
 */
export class CellChunks {
  readonly cellCount: number;
  private readonly layouts: CellLayout[];
  private readonly layoutTicks: Float64Array;
  private nextLayout = 0;
  /** The current tick's table and layout (after seal). */
  current: EntityTable | null = null;
  layout: CellLayout | null = null;
  readonly full: FullChunks;
  private readonly sets: RowSet[] = [];
  private setsUsed = 0;
  private readonly bw = new BitWriter();

  /** @param capacity layouts kept: the history's capacity, so every baseline has one */
  constructor(
    private readonly schema: CompiledSchema,
    readonly geometry: CellGeometry,
    capacity: number,
  ) {
    this.cellCount = geometry.cols * geometry.rows;
    this.layouts = Array.from({ length: capacity }, () => new CellLayout(this.cellCount));
    this.layoutTicks = new Float64Array(capacity).fill(-1);
    this.full = new FullChunks(this.cellCount);
  }

  /** Lay out the sealed table of `tick` (the same tick again overwrites, as the history does). */
  seal(tick: number, table: EntityTable): void {
    const cap = this.layouts.length;
    const newest = (this.nextLayout - 1 + cap) % cap;
    let slot = newest;
    if (this.layoutTicks[newest] !== tick) {
      slot = this.nextLayout;
      this.nextLayout = (slot + 1) % cap;
    }
    this.layoutTicks[slot] = tick;
    const layout = this.layouts[slot];
    layout.tick = tick;
    layout.build(table, this.schema, this.geometry);
    this.current = table;
    this.layout = layout;
    this.setsUsed = 0;
    this.full.reset();
  }

  layoutAt(tick: number): CellLayout | null {
    for (let i = 0; i < this.layouts.length; i++) if (this.layoutTicks[i] === tick) return this.layouts[i];
    return null;
  }

  /** This tick's changes against `baseline`, the room's table at `baseTick` (its `layout` is null when that tick's is gone). */
  setFor(baseTick: number, baseline: EntityTable): RowSet {
    for (let i = 0; i < this.setsUsed; i++) if (this.sets[i].baseTick === baseTick) return this.sets[i];
    if (this.setsUsed === this.sets.length) this.sets.push(new RowSet(this.cellCount, this.geometry.rows));
    const set = this.sets[this.setsUsed++];
    set.reset(baseTick, baseline, this.layoutAt(baseTick));
    if (set.layout !== null) set.match(this.current!);
    return set;
  }

  /** Cell `c`'s full chunk, built if this is its first use this tick. */
  ensureFull(c: number): void {
    const full = this.full;
    if (full.has(c)) return;
    const cur = this.current!;
    const layout = this.layout!;
    const out = full.bytes;
    const byteStart = out.offset;
    const bw = this.bw.begin(out);
    const from = layout.start[c];
    const to = layout.start[c + 1];
    bw.expGolomb(to - from, CELL_COUNT_K);
    let prevId = 0;
    for (let k = from; k < to; k++) {
      const r = layout.order[k];
      writeCreation(bw, this.schema, cur, r, prevId);
      prevId = cur.ids[r];
    }
    full.done(c, byteStart, bw.finish());
    out.ensure(4); // slack: BitWriter.copy may read a byte past a range
  }

  /**
   * Grid row `row`'s changes in `set` (row = the grid's row count: U), built if this is their
   * first use this tick.
   */
  ensureRow(set: RowSet, row: number): void {
    if (set.has(row)) return;
    const cols = this.geometry.cols;
    const isU = row === this.geometry.rows;
    const first = isU ? this.cellCount : row * cols;
    const last = isU ? this.cellCount : first + cols - 1;
    const cur = this.current!;
    const layout = this.layout!;
    const base = set.baseline!;
    const baseLayout = set.layout!;
    const kinds = this.schema.kinds;
    const out = set.bytes;
    const startBit = out.offset * 8;
    const bw = this.bw.begin(out);
    set.arrivalStart[row] = set.arrivalsUsed;
    for (let c = first; c <= last; c++) {
      set.bitStart[c] = startBit + bw.bitLength;
      // Changes of the entities in c at the baseline.
      for (let k = baseLayout.start[c]; k < baseLayout.start[c + 1]; k++) {
        const rb = baseLayout.order[k];
        writeMemberChange(bw, kinds[base.kinds[rb]], base, rb, cur, set.curOfBase[rb]);
      }
      // Arrivals: entities now in c that were not in c at the baseline.
      for (let k = layout.start[c]; k < layout.start[c + 1]; k++) {
        const r = layout.order[k];
        const rb = set.baseOfCur[r];
        const from = rb >= 0 ? baseLayout.cellOfRow[rb] : -1;
        if (from !== c) set.addArrival(r, c - first, from);
      }
    }
    set.rowEnd[row] = startBit + bw.bitLength;
    set.arrivalEnd[row] = set.arrivalsUsed;
    bw.finish();
    // Slack: BitWriter.copy may read a byte past the last one.
    out.ensure(4);
    set.markBuilt(row);
  }
}

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
