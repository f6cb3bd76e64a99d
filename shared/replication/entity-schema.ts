/**
 * How a game describes what it replicates. Each entity has an id, a kind (an index into
 * `kinds`) and a fixed list of integer fields, so the codecs can be generic over games.
 *
 * Field types fix the wire size and range:
 * | type    | bytes | range            |
 * |---------|-------|------------------|
 * | u8      | 1     | 0..255           |
 * | u16     | 2     | 0..65535         |
 * | i16     | 2     | -32768..32767    |
 * | uvarint | 1-5   | 0..2^31-1        |
 * | svarint | 1-5   | int32            |
 *
 * `lerp` tells the client SDK how to interpolate remote entities between snapshots:
 * `linear` (positions), `angle16` (a u16 angle that wraps at 65536) or `none` (snap to newest).
 */
export type FieldType = 'u8' | 'u16' | 'i16' | 'uvarint' | 'svarint';
export type FieldLerp = 'linear' | 'angle16' | 'none';

export interface FieldSchema {
  readonly name: string;
  readonly type: FieldType;
  readonly lerp?: FieldLerp;
  /**
   * Bits of this field whose change between two snapshots means the entity jumped (a respawn,
   * a teleport): the client then does not interpolate it across that interval, but shows the
   * older snapshot until the newer one's time, instead of gliding it across the map. Default 0.
   */
  readonly jumpBits?: number;
}

export interface EntityKindSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
}

export interface EntitySchema {
  /** Kind index = position in this list (at most 256 kinds). */
  readonly kinds: readonly EntityKindSchema[];
}

/** The widest kind's field count: the stride of an {@link EntityTable} row. */
export function maxFieldCount(schema: EntitySchema): number {
  let max = 0;
  for (const kind of schema.kinds) max = Math.max(max, kind.fields.length);
  return max;
}

const RANGES: Record<FieldType, [number, number]> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  uvarint: [0, 0x7fffffff],
  svarint: [-0x80000000, 0x7fffffff],
};

/** Inclusive [min, max] of a field type, for validation and property tests. */
export function fieldRange(type: FieldType): readonly [number, number] {
  return RANGES[type];
}
