import { BitReader } from '../binary/bit-reader';
import { BitWriter } from '../binary/bit-writer';
import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';
import { compileSchema, type CompiledSchema, type EntitySchema } from './entity-schema';
import { EntityTable } from './entity-table';
import { DeltaPlan, REMOVED } from './delta-plan';
import { applyWireDelta, CREATED_COUNT_K, readCreations, wireDelta, writeCreation } from './delta-fields';

// The codec's parts: the plan the budget trims, and the per-field wire arithmetic shared with
// the cell codec. Re-exported for the importers of this file.
export { DeltaPlan, REMOVED } from './delta-plan';
export { applyWireDelta, readCreations, wireDelta, writeCreation } from './delta-fields';

/** Version of the entity body layout below; part of the codec name that WELCOME carries. */
export const DELTA_CODEC_VERSION = 1;

/** The codec's name for `schema`: its version and the schema's fingerprint, e.g. `tw-delta/1+9a0c41f2`. */
export function deltaCodecName(schema: EntitySchema): string {
  return `tw-delta/${DELTA_CODEC_VERSION}+${compileSchema(schema).fingerprint}`;
}

/** 2^0 … 2^63: `2 ** n` with a variable n is a Math.pow call (measured: half of chunkOf's time). */
const POW2 = Float64Array.from({ length: 64 }, (_, i) => 2 ** i);

/**
 * The entity body of a snapshot: bit-packed, against a baseline the client holds (an empty
 * table for a full snapshot). Encode and decode are side by side in this file.
 *
 * ```
 * entities := partial:1 created deltas pad-to-byte
 * created  := count:eg(2) { idGap:eg(3) kind:kindBits field:abs * fieldCount } * count
 *             ascending ids, each the gap from the previous one (the first from 0)
 * deltas   := for each baseline row, in its (ascending id) order:
 *               1 mask:fieldCount { delta:seg(k) for each set mask bit }   changed fields
 *               1 mask=0                                                   removed
 *               0 [deferred:1 if partial]                                  unchanged (or left
 *                                                                          out by the budget)
 * abs      := the wire value (value − min) >> shift in its bits, or eg(4) when over 16 bits
 * delta    := new − old wire value (the short way round for angles), signed exp-Golomb of the
 *             field's order
 * ```
 *
 * An unchanged entity costs one bit, a walking player about 3 bytes. Creation comes first so
 * the decoder can merge created rows into the baseline's in one pass, keeping every table in
 * ascending id order. A kind change reuses an id: the old row is removed and a new one created.
 *
 * Encoding runs in two steps so the bandwidth budget can act between them: {@link plan} works
 * out what changed (a {@link DeltaPlan}), then {@link write} emits the bits, skipping whatever
 * the budget deferred, and builds the table the client will hold.
 */
export class DeltaCodec {
  readonly schema: CompiledSchema;
  /** Names this codec and the exact schema: a client whose name differs is refused. */
  readonly name: string;
  /** The empty baseline of a full snapshot. */
  readonly empty: EntityTable;
  readonly plan: DeltaPlan;
  private readonly bw = new BitWriter();
  private readonly br = new BitReader();
  /** Decoder scratch: the created rows, merged into the output afterwards. */
  private readonly createdRows: EntityTable;

  constructor(schema: EntitySchema) {
    this.schema = compileSchema(schema);
    this.name = deltaCodecName(schema);
    this.empty = new EntityTable(schema, 1);
    this.createdRows = new EntityTable(schema);
    this.plan = new DeltaPlan(this.schema);
  }

  /**
   * Work out what changed between `baseline` (what the client holds) and `current` (every row
   * it should hold now, ascending ids). Fills and returns {@link plan}; nothing is written yet.
   */
  diff(current: EntityTable, baseline: EntityTable): DeltaPlan {
    const plan = this.plan;
    plan.reset(current, baseline);
    const kinds = this.schema.kinds;
    const stride = current.stride;
    const bIds = baseline.ids;
    const cIds = current.ids;
    const bCount = baseline.count;
    const cv = current.values;
    const bv = baseline.values;
    const masks = plan.masks;
    const match = plan.match;
    const rowCount = current.count;
    let i = 0;
    let j = 0;
    while (i < bCount || j < rowCount) {
      const bid = i < bCount ? bIds[i] : Infinity;
      const crow = j < rowCount ? j : -1;
      const cid = crow >= 0 ? cIds[crow] : Infinity;
      if (bid < cid) {
        masks[i] = REMOVED;
        match[i++] = -1;
        plan.removed++;
      } else if (cid < bid) {
        plan.addCreated(crow);
        j++;
      } else {
        const kind = current.kinds[crow];
        if (baseline.kinds[i] !== kind) {
          masks[i] = REMOVED;
          match[i] = -1;
          plan.removed++;
          plan.addCreated(crow);
        } else {
          let mask = 0;
          const n = kinds[kind].fieldCount;
          const cb = crow * stride;
          const bb = i * stride;
          for (let f = 0; f < n; f++) if (cv[cb + f] !== bv[bb + f]) mask |= 1 << f;
          masks[i] = mask;
          match[i] = crow;
          if (mask !== 0) plan.changed++;
        }
        i++;
        j++;
      }
    }
    return plan;
  }

  /**
   * Write the planned body to `out` (at its offset) and, when `next` is given, fill it with the
   * table the client holds after decoding: every row's `ticks` is `tick`, except rows the
   * budget deferred, which keep the baseline's. Returns the body's length in bytes.
   */
  write(out: ByteWriter, tick: number, next: EntityTable | null): number {
    const plan = this.plan;
    const current = plan.current!;
    const baseline = plan.baseline!;
    const kinds = this.schema.kinds;
    const bw = this.bw.begin(out);
    const start = out.offset;
    const partial = plan.deferredCount > 0;
    bw.bit(partial);

    // Created rows, ascending ids.
    const created = plan.created;
    const createdCount = plan.createdCount;
    const deferredCreated = plan.createdDeferred;
    bw.expGolomb(createdCount - plan.createdDeferredCount, CREATED_COUNT_K);
    let prevId = 0;
    for (let c = 0; c < createdCount; c++) {
      if (deferredCreated[c] !== 0) continue;
      const row = created[c];
      writeCreation(bw, this.schema, current, row, prevId);
      prevId = current.ids[row];
    }

    // Baseline rows: changed, removed, unchanged or deferred.
    if (next !== null) next.clear();
    const masks = plan.masks;
    const match = plan.match;
    const deferred = plan.deferred;
    let c = 0;
    const bCount = baseline.count;
    for (let i = 0; i < bCount; i++) {
      const bid = baseline.ids[i];
      if (next !== null) c = this.copyCreated(next, c, bid, tick);
      const mask = masks[i];
      if (mask === 0 && !partial) {
        // A run of unchanged rows (the common case): their bits at once, their rows in one copy.
        // The run stops before the next created id, which must go in between.
        const limit = c < createdCount ? current.ids[created[c]] : Infinity;
        let j = i + 1;
        while (j < bCount && masks[j] === 0 && baseline.ids[j] < limit) j++;
        bw.zeros(j - i);
        if (next !== null) next.pushRows(baseline, i, j, tick);
        i = j - 1;
        continue;
      }
      if (mask === REMOVED) {
        bw.bits(1, 1);
        bw.bits(0, kinds[baseline.kinds[i]].fieldCount);
        continue;
      }
      if (mask !== 0 && deferred[i] === 0) {
        const crow = match[i];
        const len = this.chunkOf(baseline, i, current, crow, mask);
        if (len > 0) bw.wide(this.chunkValue, len);
        else this.writeChange(baseline, i, current, crow, mask);
        if (next !== null) {
          const r = next.pushRow(current, crow);
          next.ticks[r] = tick;
        }
        continue;
      }
      bw.bits(0, 1);
      const isDeferred = deferred[i] !== 0;
      if (partial) bw.bit(isDeferred);
      if (next !== null) {
        if (isDeferred) next.pushRow(baseline, i);
        else {
          // Unchanged: the baseline's values are current as of this tick.
          const r = next.pushRow(baseline, i);
          next.ticks[r] = tick;
        }
      }
    }
    if (next !== null) this.copyCreated(next, c, Infinity, tick);
    bw.finish();
    return out.offset - start;
  }

  /** The last chunk {@link chunkOf} built. */
  private chunkValue = 0;

  /**
   * The bits of one changed row, `1 mask delta*`, as a number (exact up to 52 bits) into
   * {@link chunkValue}; returns their count, or 0 when they would not fit (then write them
   * with {@link writeChange}). One write per entity instead of four or five.
   */
  private chunkOf(baseline: EntityTable, i: number, current: EntityTable, crow: number, mask: number): number {
    const kind = this.schema.kinds[baseline.kinds[i]];
    const n = kind.fieldCount;
    const cb = crow * current.stride;
    const bb = i * baseline.stride;
    const cv = current.values;
    const bv = baseline.values;
    let v = POW2[n] + mask;
    let len = n + 1;
    for (let f = 0; f < n; f++) {
      if ((mask & (1 << f)) === 0) continue;
      const k = kind.deltaK[f];
      const d = wireDelta(kind, f, bv[bb + f], cv[cb + f]);
      // zigzag(d), written out: the call measured 17 % of a 100-walker encode (8.5 → 10 µs).
      const e = (d >= 0 ? d * 2 : -d * 2 - 1) + (1 << k);
      if (e >= 0x40000000) return 0;
      const w = 32 - Math.clz32(e);
      const codeLen = 2 * w - k - 1;
      len += codeLen;
      if (len > 52) return 0;
      v = v * POW2[codeLen] + e;
    }
    this.chunkValue = v;
    return len;
  }

  /** Write a changed row field by field (the general path, for chunks too long for a number). */
  private writeChange(baseline: EntityTable, i: number, current: EntityTable, crow: number, mask: number): void {
    const kind = this.schema.kinds[baseline.kinds[i]];
    const bw = this.bw;
    bw.bits(1, 1);
    bw.bits(mask, kind.fieldCount);
    const cb = crow * current.stride;
    const bb = i * baseline.stride;
    for (let f = 0; f < kind.fieldCount; f++) {
      if ((mask & (1 << f)) === 0) continue;
      bw.signedExpGolomb(wireDelta(kind, f, baseline.values[bb + f], current.values[cb + f]), kind.deltaK[f]);
    }
  }

  /** Append to `next` the planned (not deferred) created rows from index `c` with ids below `below`. */
  private copyCreated(next: EntityTable, c: number, below: number, tick: number): number {
    const plan = this.plan;
    const current = plan.current!;
    while (c < plan.createdCount && current.ids[plan.created[c]] < below) {
      if (plan.createdDeferred[c] === 0) {
        const r = next.pushRow(current, plan.created[c]);
        next.ticks[r] = tick;
      }
      c++;
    }
    return c;
  }

  /** {@link diff} then {@link write}: the whole body with nothing deferred. */
  encode(current: EntityTable, baseline: EntityTable | null, out: ByteWriter, tick = 0, next: EntityTable | null = null): number {
    this.diff(current, baseline ?? this.empty);
    return this.write(out, tick, next);
  }

  /**
   * Decode a body against `baseline` (null: a full snapshot) into `out`, in ascending id order,
   * and stamp rows with `tick` (deferred rows keep the baseline's). Strict: a body an encoder
   * could not have written (ids out of order, a duplicate id, a value outside its field's range,
   * non-zero padding, a trailing byte) throws a {@link WireError}.
   */
  decode(input: ByteReader, baseline: EntityTable | null, out: EntityTable, tick = 0): void {
    const base = baseline ?? this.empty;
    const kinds = this.schema.kinds;
    const br = this.br.begin(input);
    const partial = br.bit() === 1;

    const created = this.createdRows;
    created.clear();
    const createdCount = br.expGolomb(CREATED_COUNT_K);
    readCreations(br, this.schema, createdCount, created, tick);

    out.clear();
    out.reserve(base.count + createdCount);
    const stride = out.stride;
    let c = 0;
    for (let i = 0; i < base.count; i++) {
      const bid = base.ids[i];
      while (c < createdCount && created.ids[c] < bid) out.pushRow(created, c++);
      const kind = kinds[base.kinds[i]];
      if (br.bit() === 1) {
        const mask = br.bits(kind.fieldCount);
        if (mask === 0) continue; // removed
        const r = out.pushRow(base, i);
        out.ticks[r] = tick;
        const rb = r * stride;
        for (let f = 0; f < kind.fieldCount; f++) {
          if ((mask & (1 << f)) === 0) continue;
          const d = br.signedExpGolomb(kind.deltaK[f]);
          out.values[rb + f] = applyWireDelta(kind, f, out.values[rb + f], d);
        }
      } else {
        const deferred = partial && br.bit() === 1;
        const r = out.pushRow(base, i);
        if (!deferred) out.ticks[r] = tick;
      }
      if (c < createdCount && created.ids[c] === bid && out.count > 0 && out.ids[out.count - 1] === bid) {
        throw new WireError(WireErrorCode.OutOfRange, `snapshot creates entity ${bid}, which the baseline has and keeps`);
      }
    }
    while (c < createdCount) out.pushRow(created, c++);
    br.end('snapshot');
  }
}
