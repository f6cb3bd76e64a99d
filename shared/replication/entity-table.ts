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
  /** Fields per row: the widest kind's field count. */
  readonly stride: number;

  constructor(readonly schema: EntitySchema, initialRows = 64) {
    this.stride = Math.max(1, maxFieldCount(schema));
    this.ids = new Uint32Array(initialRows);
    this.kinds = new Uint8Array(initialRows);
    this.values = new Int32Array(initialRows * this.stride);
  }

  clear(): void {
    this.count = 0;
  }

  /** Append a row and return its index; its fields start at zero. */
  push(id: number, kind: number): number {
    if (this.count === this.ids.length) this.grow(this.count * 2);
    const row = this.count++;
    this.ids[row] = id;
    this.kinds[row] = kind;
    this.values.fill(0, row * this.stride, (row + 1) * this.stride);
    return row;
  }

  get(row: number, field: number): number {
    return this.values[row * this.stride + field];
  }

  set(row: number, field: number, value: number): void {
    this.values[row * this.stride + field] = value;
  }

  /** Row of `id`, or -1. A linear scan: the SDK calls it once per snapshot to find its own player. */
  indexOf(id: number): number {
    for (let r = 0; r < this.count; r++) if (this.ids[r] === id) return r;
    return -1;
  }

  /** Make this table an exact copy of `other` (same schema). */
  copyFrom(other: EntityTable): void {
    if (other.count > this.ids.length) this.grow(other.count);
    this.count = other.count;
    this.ids.set(other.ids.subarray(0, other.count));
    this.kinds.set(other.kinds.subarray(0, other.count));
    this.values.set(other.values.subarray(0, other.count * this.stride));
  }

  private grow(rows: number): void {
    const ids = new Uint32Array(rows);
    ids.set(this.ids);
    const kinds = new Uint8Array(rows);
    kinds.set(this.kinds);
    const values = new Int32Array(rows * this.stride);
    values.set(this.values);
    this.ids = ids;
    this.kinds = kinds;
    this.values = values;
  }
}
