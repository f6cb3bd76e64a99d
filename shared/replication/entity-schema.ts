import { bitWidth } from '../binary/bit-writer';
import { FNV_OFFSET, hashInt } from '../math/state-hash';

/**
 * How a game describes what it replicates, declared once next to its state type. Each entity has
 * an id, a kind (an index into `kinds`) and a fixed list of integer fields. Every field declares
 * its range, and the codec derives everything else from it: the wire width, the quantization,
 * how deltas are coded. Encoding checks the range, so a value that would not fit is a loud
 * `RangeError` naming the entity and field, never a silent wrap.
 *
 * ```ts
 * { name: 'x',   min: 0, max: 12800, lerp: 'linear', role: 'x' }   // 14 bits, exact
 * { name: 'aim', min: 0, max: 65535, bits: 8, lerp: 'angle16' }     // 256 steps of 1.4°
 * { name: 'score', min: 0, max: 1_000_000, everyone: true }         // also sent outside interest
 * ```
 */
export type FieldLerp = 'linear' | 'angle16' | 'none';

export interface FieldSchema {
  readonly name: string;
  /** Smallest value, inclusive (an integer). */
  readonly min: number;
  /** Largest value, inclusive (an integer up to 2^31 − 1; `max − min` below 2^31). */
  readonly max: number;
  /**
   * Precision on the wire, in bits (default: exact, as many as the range needs). Fewer bits
   * round the value to a coarser grid: `aim` with `bits: 8` sends 256 directions. Clients see
   * the rounded value, and so does the server's own replication record.
   */
  readonly bits?: number;
  /**
   * How the client SDK interpolates remote entities between snapshots: `linear` (positions),
   * `angle16` (an angle that wraps at the top of its range, quantized ones included) or `none`
   * (default: show the older snapshot's value until the newer one's time).
   */
  readonly lerp?: FieldLerp;
  /**
   * Bits of this field whose change between two snapshots means the entity jumped (a respawn,
   * a teleport): the client then does not interpolate it across that interval, but shows the
   * older snapshot until the newer one's time, instead of gliding it across the map. Default 0.
   */
  readonly jumpBits?: number;
  /** The entity's position on the interest grid: one field of a kind is `x`, one is `y`. */
  readonly role?: 'x' | 'y';
  /**
   * Every client needs this field whatever its view (a scoreboard's scores): the room also
   * sends it for every entity of the kind in a low-rate reliable GLOBALS message.
   */
  readonly everyone?: boolean;
  /**
   * Order of the exp-Golomb code for this field's deltas (default from the field's width: 6
   * for a 14-bit position). Deltas below 2^k cost k + 2 bits; each doubling beyond costs two more.
   */
  readonly deltaOrder?: number;
}

export interface EntityKindSchema {
  readonly name: string;
  readonly fields: readonly FieldSchema[];
  /**
   * Weight in the bandwidth budget's priority (default 1): when a client's snapshot cannot
   * carry every change, kinds with more weight go first.
   */
  readonly priority?: number;
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

/** Fields per kind at most: the changed-fields mask is one bit per field. */
export const MAX_FIELDS_PER_KIND = 24;
/** Fields wider than this go on the wire as exp-Golomb codes rather than fixed-width (scores, counters). */
const FIXED_WIDTH_MAX_BITS = 16;

/** One kind's layout, resolved once from its declaration. All arrays are indexed by field. */
export interface CompiledKind {
  readonly name: string;
  readonly fieldCount: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Quantization: wire value = (value − min) >> shift, rounded. */
  readonly shift: Uint8Array;
  /** 2^shift: one wire step in value units. */
  readonly scale: Float64Array;
  /** Largest wire value. */
  readonly qmax: Float64Array;
  /** Bits of a fixed-width absolute value, or 0: the value is an exp-Golomb code (order 4). */
  readonly absBits: Uint8Array;
  /** Exp-Golomb order of deltas. */
  readonly deltaK: Uint8Array;
  /** 1 where the wire value wraps (an angle): deltas take the short way round. */
  readonly wraps: Uint8Array;
  /** 1 where a delta is plainly new − old (exact and not wrapping): the codec's fast path. */
  readonly plainDelta: Uint8Array;
  /** Field index of the `x` / `y` role, or -1. */
  readonly xField: number;
  readonly yField: number;
  /** Field indices marked `everyone`. */
  readonly everyoneFields: readonly number[];
}

/**
 * An {@link EntitySchema} checked and resolved for the codec. Build one per schema
 * ({@link compileSchema} caches by object) and share it.
 */
export interface CompiledSchema {
  readonly schema: EntitySchema;
  readonly kinds: readonly CompiledKind[];
  /** Bits of a kind index on the wire (0 with a single kind). */
  readonly kindBits: number;
  /** Row stride of tables of this schema. */
  readonly stride: number;
  /** A hash of every kind and field declaration, as 8 hex digits: names the codec in WELCOME. */
  readonly fingerprint: string;
}

const compiled = new WeakMap<EntitySchema, CompiledSchema>();

/** Check and resolve `schema` (cached). Throws a TypeError naming the bad declaration. */
export function compileSchema(schema: EntitySchema): CompiledSchema {
  let c = compiled.get(schema);
  if (!c) {
    c = build(schema);
    compiled.set(schema, c);
  }
  return c;
}

function build(schema: EntitySchema): CompiledSchema {
  if (schema.kinds.length === 0 || schema.kinds.length > 256)
    throw new TypeError(`an entity schema has 1-256 kinds, not ${schema.kinds.length}`);
  let h = FNV_OFFSET;
  const hashText = (text: string) => {
    for (let i = 0; i < text.length; i++) h = hashInt(h, text.charCodeAt(i));
  };
  const kinds = schema.kinds.map((kind): CompiledKind => {
    const n = kind.fields.length;
    if (n > MAX_FIELDS_PER_KIND) throw new TypeError(`entity kind '${kind.name}' has ${n} fields; at most ${MAX_FIELDS_PER_KIND}`);
    const min = new Float64Array(n);
    const max = new Float64Array(n);
    const shift = new Uint8Array(n);
    const qmax = new Float64Array(n);
    const absBits = new Uint8Array(n);
    const deltaK = new Uint8Array(n);
    const wraps = new Uint8Array(n);
    let xField = -1;
    let yField = -1;
    const everyoneFields: number[] = [];
    const names = new Set<string>();
    hashText(`|${kind.name}`);
    kind.fields.forEach((f, i) => {
      const where = `field '${kind.name}.${f.name}'`;
      if (names.has(f.name)) throw new TypeError(`${where} is declared twice`);
      names.add(f.name);
      if (
        !Number.isInteger(f.min) ||
        !Number.isInteger(f.max) ||
        f.max < f.min ||
        f.max - f.min >= 2 ** 31 ||
        f.min < -(2 ** 31) ||
        f.max > 0x7fffffff
      ) {
        throw new TypeError(`${where} needs integer min ≤ max with max − min < 2^31 (got ${f.min}..${f.max})`);
      }
      const rangeBits = Math.max(1, bitWidth(f.max - f.min));
      const bits = f.bits ?? rangeBits;
      if (!Number.isInteger(bits) || bits < 1 || bits > rangeBits)
        throw new TypeError(`${where}: bits must be 1-${rangeBits}, got ${f.bits}`);
      min[i] = f.min;
      max[i] = f.max;
      shift[i] = rangeBits - bits;
      wraps[i] = f.lerp === 'angle16' ? 1 : 0;
      // An angle's range is a whole turn, so the top wire value wraps to 0; others stop at max.
      qmax[i] = wraps[i] ? 2 ** bits - 1 : Math.floor((f.max - f.min) / 2 ** shift[i]);
      absBits[i] = bits <= FIXED_WIDTH_MAX_BITS ? bits : 0;
      const k = f.deltaOrder ?? Math.min(8, Math.max(0, (bits >> 1) - 1));
      if (!Number.isInteger(k) || k < 0 || k > 16) throw new TypeError(`${where}: deltaOrder must be 0-16, got ${f.deltaOrder}`);
      deltaK[i] = k;
      if (f.role === 'x') {
        if (xField >= 0) throw new TypeError(`kind '${kind.name}' has two x roles`);
        xField = i;
      } else if (f.role === 'y') {
        if (yField >= 0) throw new TypeError(`kind '${kind.name}' has two y roles`);
        yField = i;
      }
      if (f.everyone) everyoneFields.push(i);
      hashText(`,${f.name}:${f.min}:${f.max}:${bits}:${wraps[i]}:${k}`);
    });
    if (xField < 0 !== yField < 0) throw new TypeError(`kind '${kind.name}' needs both an x and a y role, or neither`);
    const scale = Float64Array.from(shift, (sh) => 2 ** sh);
    const plainDelta = Uint8Array.from({ length: n }, (_, i) => (shift[i] === 0 && wraps[i] === 0 ? 1 : 0));
    return {
      name: kind.name,
      fieldCount: n,
      min,
      max,
      shift,
      scale,
      qmax,
      absBits,
      deltaK,
      wraps,
      plainDelta,
      xField,
      yField,
      everyoneFields,
    };
  });
  return {
    schema,
    kinds,
    kindBits: kinds.length <= 1 ? 0 : bitWidth(kinds.length - 1),
    stride: Math.max(1, maxFieldCount(schema)),
    fingerprint: h.toString(16).padStart(8, '0'),
  };
}

/** Wire value of `v` for field `f` of kind `k` (v already checked against the range). */
export function toWire(k: CompiledKind, f: number, v: number): number {
  const scale = k.scale[f];
  if (scale === 1) return v - k.min[f];
  const q = Math.floor((v - k.min[f] + scale / 2) / scale);
  return k.wraps[f] ? q % (k.qmax[f] + 1) : Math.min(q, k.qmax[f]);
}

/** The value a wire value stands for. */
export function fromWire(k: CompiledKind, f: number, q: number): number {
  return k.min[f] + q * k.scale[f];
}
