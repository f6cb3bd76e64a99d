export interface UniformGridOptions {
  /** World bounds in world units; positions outside are clamped into the edge cells. */
  minX?: number; // default 0
  minY?: number; // default 0
  width: number;
  height: number;
  /** Cell edge, world units. */
  cellSize: number;
}

/**
 * A uniform grid over a rectangle, rebuilt from scratch each tick: inserts are appended, then
 * `build()` lays them out cell by cell with a counting sort into flat typed arrays (no per-cell
 * arrays, nothing allocated once grown). Queries return every item of the cells a box touches,
 * in a fixed order, so code that depends on the order stays deterministic.
 */
export class UniformGrid {
  readonly cols: number;
  readonly rows: number;
  readonly cellSize: number;
  private readonly minX: number;
  private readonly minY: number;
  /** Items inserted since clear(). */
  count = 0;
  private itemIndex: Int32Array = new Int32Array(64);
  private itemCell: Int32Array = new Int32Array(64);
  /** Items laid out by cell: cell c holds sorted[cellStart[c] .. cellStart[c + 1]). */
  private sorted: Int32Array = new Int32Array(64);
  private readonly cellStart: Int32Array;
  /** The last query's items (see {@link queryBox}). */
  results: Int32Array = new Int32Array(64);

  constructor(options: UniformGridOptions) {
    if (!(options.cellSize > 0) || !(options.width > 0) || !(options.height > 0))
      throw new RangeError('UniformGrid: width, height and cellSize must be positive');
    this.cellSize = options.cellSize;
    this.minX = options.minX ?? 0;
    this.minY = options.minY ?? 0;
    this.cols = Math.max(1, Math.ceil(options.width / options.cellSize));
    this.rows = Math.max(1, Math.ceil(options.height / options.cellSize));
    this.cellStart = new Int32Array(this.cols * this.rows + 1);
  }

  /** Forget every item; capacity is kept. */
  clear(): void {
    this.count = 0;
  }

  /** Add item `index` (an integer ≥ 0) at (x, y). */
  insert(index: number, x: number, y: number): void {
    if (this.count === this.itemIndex.length) {
      const n = this.count * 2;
      this.itemIndex = grow(this.itemIndex, n);
      this.itemCell = grow(this.itemCell, n);
      this.sorted = new Int32Array(n);
    }
    this.itemIndex[this.count] = index;
    this.itemCell[this.count] = this.rowOf(y) * this.cols + this.colOf(x);
    this.count++;
  }

  /** Lay the items out by cell (counting sort, stable: insertion order within a cell). */
  build(): void {
    const start = this.cellStart;
    start.fill(0);
    const n = this.count;
    for (let i = 0; i < n; i++) start[this.itemCell[i] + 1]++;
    for (let c = 1; c < start.length; c++) start[c] += start[c - 1];
    // Fill using the next free slot per cell; start[c] is restored afterwards.
    for (let i = 0; i < n; i++) this.sorted[start[this.itemCell[i]]++] = this.itemIndex[i];
    for (let c = start.length - 1; c > 0; c--) start[c] = start[c - 1];
    start[0] = 0;
  }

  /**
   * Items in every cell that overlaps the box [minX, maxX] × [minY, maxY] (inclusive), into
   * {@link results}; returns how many. Cells row-major, within a cell in insertion order.
   * Callers test exact positions themselves: cells over-approximate.
   */
  queryBox(minX: number, minY: number, maxX: number, maxY: number): number {
    if (maxX < minX || maxY < minY) return 0;
    const c0 = this.colOf(minX);
    const c1 = this.colOf(maxX);
    const r0 = this.rowOf(minY);
    const r1 = this.rowOf(maxY);
    const start = this.cellStart;
    let found = 0;
    for (let r = r0; r <= r1; r++) {
      const from = start[r * this.cols + c0];
      const to = start[r * this.cols + c1 + 1];
      const n = to - from;
      if (found + n > this.results.length) this.results = grow(this.results, Math.max(found + n, this.results.length * 2));
      this.results.set(this.sorted.subarray(from, to), found);
      found += n;
    }
    return found;
  }

  private colOf(x: number): number {
    const c = Math.floor((x - this.minX) / this.cellSize);
    return c < 0 ? 0 : c >= this.cols ? this.cols - 1 : c;
  }

  private rowOf(y: number): number {
    const r = Math.floor((y - this.minY) / this.cellSize);
    return r < 0 ? 0 : r >= this.rows ? this.rows - 1 : r;
  }
}

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a.subarray(0, Math.min(a.length, n)));
  return b;
}
