import { expGolombLength, zigzag } from '../binary/bit-writer';
import { toWire, type CompiledSchema } from './entity-schema';
import type { EntityTable } from './entity-table';
import { ID_GAP_K, WIDE_VALUE_K, wireDelta } from './delta-fields';

/** Marks a baseline row as removed in {@link DeltaPlan.masks} (masks use at most 24 bits). */
export const REMOVED = 0x80000000;

/**
 * What {@link DeltaCodec.diff} found, for the bandwidth budget to trim before
 * {@link DeltaCodec.write}: per baseline row a changed-fields mask (or {@link REMOVED}) and the
 * matching current row, and the current rows to create. Arrays grow and are reused.
 */
export class DeltaPlan {
  current: EntityTable | null = null;
  baseline: EntityTable | null = null;
  /** Per baseline row: changed-fields mask, 0 (unchanged) or REMOVED. */
  masks = new Uint32Array(64);
  /** Per baseline row: the current row it matches, or -1. */
  match = new Int32Array(64);
  /** Per baseline row: 1 when the budget holds its change back for a later snapshot. */
  deferred = new Uint8Array(64);
  /** Current rows that the baseline lacks, ascending ids. */
  created = new Int32Array(64);
  createdCount = 0;
  /** Per created entry: 1 when the budget holds the creation back. */
  createdDeferred = new Uint8Array(64);
  /** Baseline rows with a changed field. */
  changed = 0;
  /** Baseline rows removed. */
  removed = 0;
  /** Changes and creations deferred. */
  deferredCount = 0;
  createdDeferredCount = 0;

  constructor(readonly schema: CompiledSchema) {}

  /** Whether the client's table would change at all. */
  get isEmpty(): boolean {
    return this.changed === 0 && this.removed === 0 && this.createdCount === 0;
  }

  /** Start a plan of `current` against `baseline`; the arrays grow to the baseline's rows. */
  reset(current: EntityTable, baseline: EntityTable): void {
    this.current = current;
    this.baseline = baseline;
    this.createdCount = 0;
    this.changed = 0;
    this.removed = 0;
    this.deferredCount = 0;
    this.createdDeferredCount = 0;
    const n = baseline.count;
    if (this.masks.length < n) {
      const size = Math.max(n, this.masks.length * 2);
      this.masks = new Uint32Array(size);
      this.match = new Int32Array(size);
      this.deferred = new Uint8Array(size);
    } else this.deferred.fill(0, 0, n);
  }

  addCreated(row: number): void {
    if (this.createdCount === this.created.length) {
      const created = new Int32Array(this.created.length * 2);
      created.set(this.created);
      this.created = created;
      this.createdDeferred = new Uint8Array(created.length);
    }
    this.createdDeferred[this.createdCount] = 0;
    this.created[this.createdCount++] = row;
  }

  /**
   * Bits the body costs besides changes and creations: the flag, the creation count (taken as
   * a byte), one bit per baseline row, and the masks of removed rows.
   */
  fixedBits(): number {
    const baseline = this.baseline!;
    let bits = 1 + 8 + baseline.count;
    if (this.removed > 0) {
      for (let i = 0; i < baseline.count; i++) if (this.masks[i] === REMOVED) bits += this.schema.kinds[baseline.kinds[i]].fieldCount;
    }
    return bits;
  }

  /** Bits the change of baseline row `i` costs (0 when unchanged). */
  changeBits(i: number): number {
    const mask = this.masks[i];
    if (mask === 0 || mask === REMOVED) return 0;
    const baseline = this.baseline!;
    const current = this.current!;
    const kind = this.schema.kinds[baseline.kinds[i]];
    const bb = i * baseline.stride;
    const cb = this.match[i] * current.stride;
    let bits = kind.fieldCount;
    for (let f = 0; f < kind.fieldCount; f++) {
      if ((mask & (1 << f)) !== 0)
        bits += expGolombLength(zigzag(wireDelta(kind, f, baseline.values[bb + f], current.values[cb + f])), kind.deltaK[f]);
    }
    return bits;
  }

  /** Bits creating entry `c` costs (its id gap taken from the previous entry). */
  createBits(c: number): number {
    const current = this.current!;
    const row = this.created[c];
    const prev = c === 0 ? 0 : current.ids[this.created[c - 1]];
    const kind = this.schema.kinds[current.kinds[row]];
    let bits = expGolombLength(current.ids[row] - prev, ID_GAP_K) + this.schema.kindBits;
    const base = row * current.stride;
    for (let f = 0; f < kind.fieldCount; f++) {
      bits += kind.absBits[f] !== 0 ? kind.absBits[f] : expGolombLength(toWire(kind, f, current.values[base + f]), WIDE_VALUE_K);
    }
    return bits;
  }

  deferChange(i: number): void {
    if (this.deferred[i] !== 0) return;
    this.deferred[i] = 1;
    this.deferredCount++;
  }

  deferCreation(c: number): void {
    if (this.createdDeferred[c] !== 0) return;
    this.createdDeferred[c] = 1;
    this.createdDeferredCount++;
    this.deferredCount++;
  }
}
