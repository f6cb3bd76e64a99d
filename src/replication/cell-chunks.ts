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
 * Every cell's chunk against one baseline tick (0: none, the full chunks of entering cells),
 * for the current tick: built on first use, then shared by every client with that baseline.
 * A chunk is stored byte-aligned with its exact bit length, and copied bit by bit behind the
 * client's own part (see cell-codec.ts for the layout).
 */
export class ChunkSet {
  baseTick = -1;
  baseline: EntityTable | null = null;
  layout: CellLayout | null = null;
  private generation = 0;
  private readonly stamp: Int32Array;
  readonly byteStart: Int32Array;
  readonly bitLength: Int32Array;
  /** Per cell: its arrivals, arrivalRows/arrivalFrom[arrivalStart .. + arrivalCount). */
  readonly arrivalStart: Int32Array;
  readonly arrivalCount: Int32Array;
  arrivalRows: Int32Array = new Int32Array(64);
  /** The cell each arrival was in at the baseline. */
  arrivalFrom: Int32Array = new Int32Array(64);
  private arrivalsUsed = 0;
  readonly bytes = new ByteWriter(4096, 1 << 26, 'the interest chunk arena (64 MiB)');

  constructor(cells: number) {
    this.stamp = new Int32Array(cells + 1);
    this.byteStart = new Int32Array(cells + 1);
    this.bitLength = new Int32Array(cells + 1);
    this.arrivalStart = new Int32Array(cells + 1);
    this.arrivalCount = new Int32Array(cells + 1);
  }

  reset(baseTick: number, baseline: EntityTable | null, layout: CellLayout | null): void {
    this.baseTick = baseTick;
    this.baseline = baseline;
    this.layout = layout;
    this.generation++;
    this.arrivalsUsed = 0;
    this.bytes.reset();
  }

  has(cell: number): boolean {
    return this.stamp[cell] === this.generation;
  }

  /** Note an arrival of the cell being built. */
  addArrival(row: number, from: number): void {
    if (this.arrivalsUsed === this.arrivalRows.length) {
      const rows = new Int32Array(this.arrivalRows.length * 2);
      rows.set(this.arrivalRows);
      const from2 = new Int32Array(rows.length);
      from2.set(this.arrivalFrom);
      this.arrivalRows = rows;
      this.arrivalFrom = from2;
    }
    this.arrivalRows[this.arrivalsUsed] = row;
    this.arrivalFrom[this.arrivalsUsed++] = from;
  }

  get arrivalsEnd(): number {
    return this.arrivalsUsed;
  }

  done(cell: number, byteStart: number, bits: number, arrivalStart: number): void {
    this.stamp[cell] = this.generation;
    this.byteStart[cell] = byteStart;
    this.bitLength[cell] = bits;
    this.arrivalStart[cell] = arrivalStart;
    this.arrivalCount[cell] = this.arrivalsUsed - arrivalStart;
  }
}

/**
 * The room's cell layouts for the ticks in its history, and this tick's chunks, one
 * {@link ChunkSet} per baseline tick in use. The cost of a send is cells × baselines in use
 * (each chunk built once), however many clients hold each cell.
 */
export class CellChunks {
  readonly cellCount: number;
  private readonly layouts: CellLayout[];
  private readonly layoutTicks: Float64Array;
  private nextLayout = 0;
  /** The current tick's table and layout (after seal). */
  current: EntityTable | null = null;
  layout: CellLayout | null = null;
  private readonly sets: ChunkSet[] = [];
  private setsUsed = 0;
  private readonly bw = new BitWriter();
  private spawns: Int32Array = new Int32Array(64);

  /** @param capacity layouts kept: the history's capacity, so every baseline has one */
  constructor(
    private readonly schema: CompiledSchema,
    readonly geometry: CellGeometry,
    capacity: number,
  ) {
    this.cellCount = geometry.cols * geometry.rows;
    this.layouts = Array.from({ length: capacity }, () => new CellLayout(this.cellCount));
    this.layoutTicks = new Float64Array(capacity).fill(-1);
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
  }

  layoutAt(tick: number): CellLayout | null {
    for (let i = 0; i < this.layouts.length; i++) if (this.layoutTicks[i] === tick) return this.layouts[i];
    return null;
  }

  /** This tick's chunks against `baseline`, the room's table at `baseTick` (0 and null: none). */
  setFor(baseTick: number, baseline: EntityTable | null): ChunkSet {
    for (let i = 0; i < this.setsUsed; i++) if (this.sets[i].baseTick === baseTick) return this.sets[i];
    if (this.setsUsed === this.sets.length) this.sets.push(new ChunkSet(this.cellCount));
    const set = this.sets[this.setsUsed++];
    set.reset(baseTick, baseline, baseTick === 0 ? null : this.layoutAt(baseTick));
    return set;
  }

  /** Cell `c`'s chunk in `set`, built if this is its first use this tick. */
  ensure(set: ChunkSet, c: number): void {
    if (set.has(c)) return;
    const cur = this.current!;
    const layout = this.layout!;
    const base = set.baseline;
    const baseLayout = set.layout;
    const arrivalStart = set.arrivalsEnd;
    // The entities now in c: members (in c at the baseline too), arrivals, or spawns.
    let spawnCount = 0;
    for (let k = layout.start[c]; k < layout.start[c + 1]; k++) {
      const r = layout.order[k];
      if (base !== null) {
        const rb = base.indexOf(cur.ids[r]);
        if (rb >= 0 && base.kinds[rb] === cur.kinds[r]) {
          const from = baseLayout!.cellOfRow[rb];
          if (from !== c) set.addArrival(r, from);
          continue;
        }
      }
      if (spawnCount === this.spawns.length) {
        const s = new Int32Array(spawnCount * 2);
        s.set(this.spawns);
        this.spawns = s;
      }
      this.spawns[spawnCount++] = r;
    }
    const out = set.bytes;
    const byteStart = out.offset;
    const bw = this.bw.begin(out);
    bw.expGolomb(spawnCount, CELL_COUNT_K);
    let prevId = 0;
    for (let s = 0; s < spawnCount; s++) {
      writeCreation(bw, this.schema, cur, this.spawns[s], prevId);
      prevId = cur.ids[this.spawns[s]];
    }
    if (base !== null) {
      const kinds = this.schema.kinds;
      for (let k = baseLayout!.start[c]; k < baseLayout!.start[c + 1]; k++) {
        const rb = baseLayout!.order[k];
        let rc = cur.indexOf(base.ids[rb]);
        if (rc >= 0 && cur.kinds[rc] !== base.kinds[rb]) rc = -1;
        writeMemberChange(bw, kinds[base.kinds[rb]], base, rb, cur, rc);
      }
    }
    const bits = bw.finish();
    set.done(c, byteStart, bits, arrivalStart);
  }
}

/** Append `bits` bits stored from byte `start` of `bytes` (MSB first) to `bw`. */
export function appendBits(bw: BitWriter, bytes: Uint8Array, start: number, bits: number): void {
  let i = start;
  while (bits >= 24) {
    bw.bits((bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2], 24);
    i += 3;
    bits -= 24;
  }
  while (bits >= 8) {
    bw.bits(bytes[i++], 8);
    bits -= 8;
  }
  if (bits > 0) bw.bits(bytes[i] >>> (8 - bits), bits);
}
