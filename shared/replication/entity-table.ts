import { maxFieldCount, type EntitySchema } from './entity-schema';

/**
 * One tick's replicated entities as a struct of typed arrays: row `r` has `ids[r]`, `kinds[r]`
 * and fields `values[r * stride + f]`. Tables are reused tick after tick (`clear()` keeps the
 * capacity), so filling and encoding them allocates nothing once they have grown to size.
 */
export class EntityTable {
  /** Rows in use. */
  count = 0;
  ids: Uint32Array;
  kinds: Uint8Array;
  values: Int32Array;
  /**
   * Per row, the snapshot tick whose values the row holds. Replication sets it: a row the
   * bandwidth budget left out of a snapshot keeps an older tick, which tells the client's
   * interpolation (and the server's priority) that the row is stale.
   */
  ticks: Uint32Array;
  /** Fields per row: the widest kind's field count. */
  readonly stride: number;
  /**
   * With interest management, the grid cells whose entities this table holds, ascending
   * (`viewCells[0..viewCellCount)`): the client's record of its view, which the next snapshot's
   * cell changes are against (shared/replication/cell-codec.ts). Empty otherwise.
   */
  viewCells: Int32Array = new Int32Array(0);
  viewCellCount = 0;

  constructor(
    readonly schema: EntitySchema,
    initialRows = 64,
  ) {
    this.stride = Math.max(1, maxFieldCount(schema));
    this.ids = new Uint32Array(initialRows);
    this.kinds = new Uint8Array(initialRows);
    this.ticks = new Uint32Array(initialRows);
    this.values = new Int32Array(initialRows * this.stride);
  }

  clear(): void {
    this.count = 0;
    this.viewCellCount = 0;
  }

  /** Append a row and return its index; its fields start at zero. */
  push(id: number, kind: number): number {
    if (this.count === this.ids.length) this.grow(this.count * 2);
    const row = this.count++;
    this.ids[row] = id;
    this.kinds[row] = kind;
    this.ticks[row] = 0;
    this.values.fill(0, row * this.stride, (row + 1) * this.stride);
    return row;
  }

  /** Append a copy of row `row` of `from` (same schema) and return its index. */
  pushRow(from: EntityTable, row: number): number {
    if (this.count === this.ids.length) this.grow(this.count * 2);
    const r = this.count++;
    this.ids[r] = from.ids[row];
    this.kinds[r] = from.kinds[row];
    this.ticks[r] = from.ticks[row];
    const s = this.stride;
    for (let f = 0; f < s; f++) this.values[r * s + f] = from.values[row * s + f];
    return r;
  }

  /**
   * Append rows `start..end` (exclusive) of `from` (same schema) in one block copy, each stamped
   * with `tick`: the codec's fast path for runs of unchanged entities.
   */
  pushRows(from: EntityTable, start: number, end: number, tick: number): void {
    const n = end - start;
    if (this.count + n > this.ids.length) this.grow(Math.max(this.count + n, this.ids.length * 2));
    const r = this.count;
    this.ids.set(from.ids.subarray(start, end), r);
    this.kinds.set(from.kinds.subarray(start, end), r);
    this.ticks.fill(tick, r, r + n);
    const s = this.stride;
    this.values.set(from.values.subarray(start * s, end * s), r * s);
    this.count += n;
  }

  /** Make room for `rows` rows without growing later. */
  reserve(rows: number): void {
    if (rows > this.ids.length) this.grow(rows);
  }

  get(row: number, field: number): number {
    return this.values[row * this.stride + field];
  }

  set(row: number, field: number, value: number): void {
    this.values[row * this.stride + field] = value;
  }

  /** Row of `id`, or -1: a binary search, for tables in ascending id order (replicated ones are). */
  indexOf(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid];
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Whether ids strictly ascend, as the codec needs. */
  isSortedById(): boolean {
    const ids = this.ids;
    for (let r = 1; r < this.count; r++) if (ids[r] <= ids[r - 1]) return false;
    return true;
  }

  /**
   * Put the rows in ascending id order. Games write their entities in id order, so this only
   * runs when ids wrapped around (the arena's projectile ids after 2^31 shots): it allocates.
   */
  sortById(): void {
    const n = this.count;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => this.ids[a] - this.ids[b]);
    for (let i = 1; i < n; i++) {
      if (this.ids[order[i]] === this.ids[order[i - 1]])
        throw new RangeError(`entity id ${this.ids[order[i]]} appears twice in one snapshot`);
    }
    const copy = new EntityTable(this.schema, Math.max(1, n));
    copy.copyFrom(this);
    this.count = 0;
    for (let i = 0; i < n; i++) this.pushRow(copy, order[i]);
  }

  /** Make this table an exact copy of `other` (same schema). */
  copyFrom(other: EntityTable): void {
    if (other.count > this.ids.length) this.grow(other.count);
    this.count = other.count;
    this.ids.set(other.ids.subarray(0, other.count));
    this.kinds.set(other.kinds.subarray(0, other.count));
    this.ticks.set(other.ticks.subarray(0, other.count));
    this.values.set(other.values.subarray(0, other.count * this.stride));
    if (this.viewCells.length < other.viewCellCount) this.viewCells = new Int32Array(other.viewCells.length);
    this.viewCells.set(other.viewCells.subarray(0, other.viewCellCount));
    this.viewCellCount = other.viewCellCount;
  }

  private grow(rows: number): void {
    const ids = new Uint32Array(rows);
    ids.set(this.ids);
    const kinds = new Uint8Array(rows);
    kinds.set(this.kinds);
    const ticks = new Uint32Array(rows);
    ticks.set(this.ticks);
    this.ticks = ticks;
    const values = new Int32Array(rows * this.stride);
    values.set(this.values);
    this.ids = ids;
    this.kinds = kinds;
    this.values = values;
  }
}
