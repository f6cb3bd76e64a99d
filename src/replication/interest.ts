import type { CompiledSchema } from '../../shared/replication/entity-schema';
import type { EntityTable } from '../../shared/replication/entity-table';
import { UniformGrid } from '../../shared/spatial/uniform-grid';
import type { ClientReplica } from './client-replica';

/**
 * Interest management for a room type: each client is sent only the entities near it.
 *
 * ```
 *   ┌──────────── outer box: view + margin ───────────┐
 *   │  ┌────────── view (viewWidth × viewHeight) ───┐  │   enters when inside the view,
 *   │  │                 ● own entity               │  │   leaves when outside the outer box:
 *   │  └────────────────────────────────────────────┘  │   no flicker along the edge
 *   └──────────────────────────────────────────────────┘
 * ```
 * Positions come from the schema's `x`/`y` roles; kinds without them are seen by everyone.
 * The client's own entity (id = player id) is always in its view.
 */
export interface InterestOptions {
  /** World bounds, world units (positions outside are clamped onto the grid's edge cells). */
  minX?: number;
  minY?: number;
  width: number;
  height: number;
  /**
   * The view: a box this size centred on the client's own entity (the entity whose id is its
   * player id), or where the room type's `viewCenter` hook puts it, world units.
   */
  viewWidth: number;
  viewHeight: number;
  /** How far outside the view an entity must go to leave it, units (default 1/8 of the view's smaller side). */
  margin?: number;
  /** Grid cell edge, units (default a quarter of the view's smaller side). */
  cellSize?: number;
}

/** The room's spatial grid, rebuilt each send, and the per-client view query over it. */
export class InterestGrid {
  private readonly grid: UniformGrid;
  private readonly halfW: number;
  private readonly halfH: number;
  private readonly margin: number;
  /** Each row's position, copied out at build so the per-client filter reads flat arrays. */
  private xs: Int32Array = new Int32Array(64);
  private ys: Int32Array = new Int32Array(64);
  /** Rows of kinds without a position: in every view. */
  private unpositioned: Int32Array = new Int32Array(64);
  private unpositionedCount = 0;
  /** Bitset of the rows chosen by the current gather (cleared as it is read out). */
  private marks: Int32Array = new Int32Array(64);
  /** The last gathered view: rows of the current table, ascending. */
  rows: Int32Array = new Int32Array(256);

  constructor(
    private readonly schema: CompiledSchema,
    readonly options: InterestOptions,
  ) {
    const small = Math.min(options.viewWidth, options.viewHeight);
    if (!(small > 0) || !(options.width > 0) || !(options.height > 0))
      throw new RangeError('interest: width, height, viewWidth and viewHeight must be positive');
    this.halfW = options.viewWidth / 2;
    this.halfH = options.viewHeight / 2;
    this.margin = options.margin ?? small / 8;
    this.grid = new UniformGrid({
      minX: options.minX ?? 0,
      minY: options.minY ?? 0,
      width: options.width,
      height: options.height,
      cellSize: options.cellSize ?? small / 4,
    });
  }

  /** Index every positioned row of `table` (once per send). */
  build(table: EntityTable): void {
    const grid = this.grid;
    grid.clear();
    this.unpositionedCount = 0;
    const { kinds, values, stride, count } = table;
    if (this.xs.length < count) {
      this.xs = new Int32Array(Math.max(count, this.xs.length * 2));
      this.ys = new Int32Array(this.xs.length);
    }
    const xs = this.xs;
    const ys = this.ys;
    for (let r = 0; r < count; r++) {
      const kind = this.schema.kinds[kinds[r]];
      if (kind.xField < 0) {
        if (this.unpositionedCount === this.unpositioned.length) this.unpositioned = grow(this.unpositioned);
        this.unpositioned[this.unpositionedCount++] = r;
      } else {
        const x = (xs[r] = values[r * stride + kind.xField]);
        const y = (ys[r] = values[r * stride + kind.yField]);
        grid.insert(r, x, y);
      }
    }
    grid.build();
  }

  /**
   * The rows of `table` in this client's view, ascending, into {@link rows}; returns how many.
   * The view follows the client's own entity (row `ownRow`, or -1: the last centre stays).
   * Entities the client holds (`baseline`) stay until they pass the margin.
   */
  gather(table: EntityTable, ownRow: number, replica: ClientReplica, baseline: EntityTable | null): number {
    const { kinds, values, stride, ids } = table;
    if (ownRow >= 0 && !replica.centerFromHook) {
      const kind = this.schema.kinds[kinds[ownRow]];
      if (kind.xField >= 0) {
        replica.centerX = values[ownRow * stride + kind.xField];
        replica.centerY = values[ownRow * stride + kind.yField];
        replica.hasCenter = true;
      }
    }
    // Chosen rows are marked in a bitset over the table's rows, then read out in ascending
    // order: the id order the codec needs, without sorting (measured: the sort was a third of
    // this function's time at 100 rows a view).
    const words = (table.count + 31) >>> 5;
    if (this.marks.length < words) this.marks = new Int32Array(Math.max(words, this.marks.length * 2));
    const marks = this.marks;
    let lo = words;
    let hi = -1;
    for (let i = 0; i < this.unpositionedCount; i++) {
      const r = this.unpositioned[i];
      marks[r >>> 5] |= 1 << (r & 31);
      lo = Math.min(lo, r >>> 5);
      hi = Math.max(hi, r >>> 5);
    }
    if (ownRow >= 0) {
      marks[ownRow >>> 5] |= 1 << (ownRow & 31);
      lo = Math.min(lo, ownRow >>> 5);
      hi = Math.max(hi, ownRow >>> 5);
    }
    if (replica.hasCenter) {
      const cx = replica.centerX;
      const cy = replica.centerY;
      const ix = this.halfW;
      const iy = this.halfH;
      const ox = ix + this.margin;
      const oy = iy + this.margin;
      const found = this.grid.queryBox(cx - ox, cy - oy, cx + ox, cy + oy);
      const results = this.grid.results;
      const xs = this.xs;
      const ys = this.ys;
      for (let i = 0; i < found; i++) {
        const r = results[i];
        const ddx = xs[r] - cx;
        const ddy = ys[r] - cy;
        const dx = ddx < 0 ? -ddx : ddx;
        const dy = ddy < 0 ? -ddy : ddy;
        if (dx > ox || dy > oy) continue;
        if ((dx <= ix && dy <= iy) || (baseline !== null && baseline.indexOf(ids[r]) >= 0)) {
          const w = r >>> 5;
          marks[w] |= 1 << (r & 31);
          if (w < lo) lo = w;
          if (w > hi) hi = w;
        }
      }
    }
    if (this.rows.length < table.count) this.rows = new Int32Array(Math.max(table.count, this.rows.length * 2));
    const rows = this.rows;
    let n = 0;
    for (let w = lo; w <= hi; w++) {
      let bits = marks[w];
      if (bits === 0) continue;
      marks[w] = 0;
      const base = w << 5;
      while (bits !== 0) {
        const low = bits & -bits;
        rows[n++] = base + 31 - Math.clz32(low);
        bits ^= low;
      }
    }
    return n;
  }
}

function grow(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
