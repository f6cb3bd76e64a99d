import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';
import type { EntitySchema, FieldType } from './entity-schema';
import type { EntityTable } from './entity-table';
import type { SnapshotCodec } from './snapshot-codec';

/** Field type → a small integer, so the hot loops switch on numbers, not strings. */
const Wire = { U8: 0, U16: 1, I16: 2, UVarint: 3, SVarint: 4 } as const;
type Wire = (typeof Wire)[keyof typeof Wire];
const WIRE_OF: Record<FieldType, Wire> = { u8: Wire.U8, u16: Wire.U16, i16: Wire.I16, uvarint: Wire.UVarint, svarint: Wire.SVarint };

/**
 * Every entity, every field, every time: the simplest correct body.
 *
 * ```
 * body   := count:uvarint entity*
 * entity := idDelta:svarint kind:u8 field*     (idDelta from the previous entity's id, first from 0)
 * field  := as its schema type (u8 | u16 LE | i16 LE | uvarint | zigzag svarint)
 * ```
 * Ids are delta-coded, so a table in ascending id order costs one byte per id.
 */
export class FullSnapshotCodec implements SnapshotCodec {
  readonly name = 'full';
  /** Per kind, the wire type of each field. */
  private readonly layouts: Wire[][];

  constructor(schema: EntitySchema) {
    if (schema.kinds.length > 256) throw new RangeError('an entity schema may have at most 256 kinds');
    this.layouts = schema.kinds.map((k) => k.fields.map((f) => WIRE_OF[f.type]));
  }

  encode(current: EntityTable, _baseline: EntityTable | null, out: ByteWriter): void {
    const { count, ids, kinds, values, stride } = current;
    out.uvarint(count);
    let prevId = 0;
    for (let r = 0; r < count; r++) {
      const id = ids[r];
      out.svarint((id - prevId) | 0);
      prevId = id;
      const kind = kinds[r];
      out.u8(kind);
      const layout = this.layouts[kind];
      const base = r * stride;
      for (let f = 0; f < layout.length; f++) {
        const v = values[base + f];
        switch (layout[f]) {
          case Wire.U8: out.u8(v); break;
          case Wire.U16: out.u16(v); break;
          case Wire.I16: out.i16(v); break;
          case Wire.UVarint: out.uvarint(v); break;
          case Wire.SVarint: out.svarint(v); break;
        }
      }
    }
  }

  decode(input: ByteReader, _baseline: EntityTable | null, out: EntityTable): void {
    out.clear();
    const count = input.uvarint();
    // Each entity takes at least two bytes, so a count beyond that is a lie: refuse before growing.
    if (count * 2 > input.remaining) {
      throw new WireError(WireErrorCode.OutOfRange, `snapshot claims ${count} entities in ${input.remaining} bytes`);
    }
    let id = 0;
    for (let i = 0; i < count; i++) {
      id = (id + input.svarint()) >>> 0;
      const kind = input.u8();
      const layout = this.layouts[kind];
      if (layout === undefined) throw new WireError(WireErrorCode.OutOfRange, `snapshot entity kind ${kind} is not in the schema`);
      const row = out.push(id, kind);
      const base = row * out.stride;
      for (let f = 0; f < layout.length; f++) {
        let v: number;
        switch (layout[f]) {
          case Wire.U8: v = input.u8(); break;
          case Wire.U16: v = input.u16(); break;
          case Wire.I16: v = input.i16(); break;
          case Wire.UVarint: v = input.uvarint(); break;
          default: v = input.svarint(); break;
        }
        out.values[base + f] = v;
      }
    }
  }
}
