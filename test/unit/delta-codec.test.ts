import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitReader } from '../../shared/binary/bit-reader';
import { BitWriter, expGolombLength } from '../../shared/binary/bit-writer';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError } from '../../shared/binary/wire-error';
import { arenaEntitySchema } from '../../shared/games/arena/arena-replication';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { compileSchema, type EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { quantizeTable } from '../../shared/replication/quantize';

/** Two kinds, one with a quantized angle and a wide counter: every field encoding the codec has. */
const schema: EntitySchema = {
  kinds: [
    {
      name: 'mover',
      fields: [
        { name: 'x', min: -1000, max: 20000, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: 20000, lerp: 'linear', role: 'y' },
        { name: 'aim', min: 0, max: 0xffff, bits: 6, lerp: 'angle16' },
        { name: 'score', min: 0, max: 0x7fffffff },
      ],
    },
    { name: 'flag', fields: [{ name: 'state', min: 0, max: 3 }] },
  ],
};
const compiled = compileSchema(schema);

interface Row {
  id: number;
  kind: number;
  values: number[];
}

/** A table of rows in ascending id order, quantized as the server would. */
function tableOf(rows: readonly Row[], s: EntitySchema = schema): EntityTable {
  const t = new EntityTable(s, 2);
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    const r = t.push(row.id, row.kind);
    row.values.forEach((v, f) => t.set(r, f, v));
  }
  quantizeTable(compileSchema(s), t);
  return t;
}

function rowsOf(t: EntityTable): Row[] {
  const out: Row[] = [];
  for (let r = 0; r < t.count; r++) {
    out.push({
      id: t.ids[r],
      kind: t.kinds[r],
      values: Array.from({ length: compiled.kinds[t.kinds[r]].fieldCount }, (_, f) => t.get(r, f)),
    });
  }
  return out;
}

const rowArb = fc.oneof(
  fc.record({
    id: fc.integer({ min: 1, max: 0xffffffff }),
    kind: fc.constant(0),
    values: fc.tuple(
      fc.integer({ min: -1000, max: 20000 }),
      fc.integer({ min: 0, max: 20000 }),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 0x7fffffff }),
    ),
  }),
  fc.record({ id: fc.integer({ min: 1, max: 0xffffffff }), kind: fc.constant(1), values: fc.tuple(fc.integer({ min: 0, max: 3 })) }),
);
const tableArb = fc
  .uniqueArray(rowArb, { selector: (r) => r.id, maxLength: 40 })
  .map((rows) => rows.map((r) => ({ ...r, values: [...r.values] })));

function roundTrip(codec: DeltaCodec, current: EntityTable, baseline: EntityTable | null, tick = 7) {
  const out = new ByteWriter(16);
  const next = new EntityTable(schema);
  codec.encode(current, baseline, out, tick, next);
  const decoded = new EntityTable(schema);
  const reader = new ByteReader(out.bytes());
  codec.decode(reader, baseline, decoded, tick);
  expect(reader.remaining).toBe(0);
  return { bytes: out.bytes().slice(), decoded, next };
}

describe('BitWriter and BitReader', () => {
  it('round-trip fixed fields and exp-Golomb codes of every size, and price them exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0, max: 32 }))),
        (items) => {
          const bytes = new ByteWriter(4);
          const w = new BitWriter().begin(bytes);
          let expected = 0;
          for (const [v, k, n] of items) {
            w.expGolomb(v, k);
            w.bits(v % 2 ** n, n);
            expected += expGolombLength(v, k) + n;
          }
          expect(w.finish()).toBe(expected);
          const r = new BitReader().begin(new ByteReader(bytes.bytes()));
          for (const [v, k, n] of items) {
            expect(r.expGolomb(k)).toBe(v);
            expect(r.bits(n)).toBe(v % 2 ** n);
          }
          r.end('test');
        },
      ),
    );
  });

  it('signed codes: small magnitudes are short, both signs round-trip', () => {
    const bytes = new ByteWriter();
    const w = new BitWriter().begin(bytes);
    for (const d of [0, -1, 1, -64, 64, -(2 ** 31) + 1, 2 ** 31 - 1]) w.signedExpGolomb(d, 3);
    w.finish();
    const r = new BitReader().begin(new ByteReader(bytes.bytes()));
    for (const d of [0, -1, 1, -64, 64, -(2 ** 31) + 1, 2 ** 31 - 1]) expect(r.signedExpGolomb(3)).toBe(d);
  });

  it('refuses reads past the end, non-zero padding and trailing bytes', () => {
    expect(() => new BitReader().begin(new ByteReader(new Uint8Array([0xff]))).bits(9)).toThrow(/truncated/);
    const padded = new BitReader().begin(new ByteReader(new Uint8Array([0b1010_0001])));
    padded.bits(3);
    expect(() => padded.end('body')).toThrow(/padding/);
    const trailing = new BitReader().begin(new ByteReader(new Uint8Array([0x80, 0])));
    trailing.bits(1);
    expect(() => trailing.end('body')).toThrow(/trailing/);
    // A run of zeros longer than any 32-bit code is an overflow, not a hang.
    expect(() => new BitReader().begin(new ByteReader(new Uint8Array(8))).expGolomb(0)).toThrow(/exceeds 32 bits/);
  });
});

describe('DeltaCodec', () => {
  const codec = new DeltaCodec(schema);

  it('round-trips any pair of tables: created, removed, changed, kind changes, quantized angles', () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.boolean(), (a, b, shareIds) => {
        // Half the time reuse a's ids in b, so most rows are updates rather than churn.
        const bRows = shareIds ? a.map((r, i) => ({ ...(b[i] ?? r), id: r.id })) : b;
        const baseline = tableOf(a);
        const current = tableOf(bRows);
        const { decoded, next } = roundTrip(codec, current, baseline);
        expect(rowsOf(decoded)).toEqual(rowsOf(current));
        expect(rowsOf(next)).toEqual(rowsOf(current));
        expect(Array.from(decoded.ticks.subarray(0, decoded.count))).toEqual(Array.from(next.ticks.subarray(0, next.count)));
      }),
    );
  });

  it('a full snapshot is a delta against nothing; an unchanged table costs a bit per entity', () => {
    const rows = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, kind: 0, values: [i * 10, i * 20, i * 300, i] }));
    const t = tableOf(rows);
    const full = roundTrip(codec, t, null);
    expect(rowsOf(full.decoded)).toEqual(rowsOf(t));
    const same = roundTrip(codec, t, t);
    // 1 partial bit + created count (3 bits) + 100 unchanged bits = 104 bits = 13 bytes.
    expect(same.bytes.length).toBe(13);
  });

  it('a walking entity costs about 3 bytes: two position deltas and a mask', () => {
    const before = tableOf(Array.from({ length: 100 }, (_, i) => ({ id: i + 1, kind: 0, values: [5000 + i, 5000, 0, 3] })));
    const after = tableOf(Array.from({ length: 100 }, (_, i) => ({ id: i + 1, kind: 0, values: [5000 + i + 64, 5000 - 64, 0, 3] })));
    const { bytes } = roundTrip(codec, after, before);
    expect(bytes.length / 100).toBeLessThanOrEqual(3.5);
  });

  it('angles take the short way round and arrive at their declared precision', () => {
    const a = tableOf([{ id: 1, kind: 0, values: [0, 0, 65500, 0] }]);
    expect(a.get(0, 2)).toBe(0); // 65500 rounds to the next 1024-step: a whole turn, 0
    const b = tableOf([{ id: 1, kind: 0, values: [0, 0, 1100, 0] }]);
    expect(b.get(0, 2)).toBe(1024);
    const { decoded } = roundTrip(codec, a, b);
    expect(decoded.get(0, 2)).toBe(0);
  });

  it('rejects a value outside its declared range by name instead of wrapping it', () => {
    expect(() => tableOf([{ id: 9, kind: 0, values: [20001, 0, 0, 0] }])).toThrow(
      /entity 9 \(mover\): x = 20001 is outside its declared range -1000\.\.20000/,
    );
    const arena = new EntityTable(arenaEntitySchema);
    arena.set(arena.push(1, 0), 3, 256); // hp was a u8 that wrapped 256 to 0
    expect(() => quantizeTable(compileSchema(arenaEntitySchema), arena)).toThrow(/hp = 256/);
  });

  it('ids anywhere in 1..2^32-1, and a kind change under the same id', () => {
    const a = tableOf([
      { id: 0xffffffff, kind: 0, values: [1, 2, 3, 4] },
      { id: 5, kind: 1, values: [2] },
    ]);
    const b = tableOf([
      { id: 0xffffffff, kind: 1, values: [1] },
      { id: 5, kind: 0, values: [0, 0, 0, 0] },
      { id: 0x7fffffff, kind: 1, values: [3] },
    ]);
    expect(rowsOf(roundTrip(codec, b, a).decoded)).toEqual(rowsOf(b));
    expect(rowsOf(roundTrip(codec, a, b).decoded)).toEqual(rowsOf(a));
  });

  it('deferred rows keep their old values and tick; the client learns which rows are stale', () => {
    const before = tableOf([1, 2, 3].map((id) => ({ id, kind: 0, values: [0, 0, 0, 0] })));
    before.ticks.fill(4);
    const after = tableOf([1, 2, 3, 4].map((id) => ({ id, kind: 0, values: [100, 0, 0, 0] })));
    const plan = codec.diff(after, before);
    plan.deferChange(1);
    plan.deferCreation(0);
    const out = new ByteWriter();
    const next = new EntityTable(schema);
    codec.write(out, 9, next);
    const decoded = new EntityTable(schema);
    codec.decode(new ByteReader(out.bytes()), before, decoded, 9);
    expect(rowsOf(decoded)).toEqual(rowsOf(next));
    expect(rowsOf(decoded).map((r) => [r.id, r.values[0]])).toEqual([
      [1, 100],
      [2, 0],
      [3, 100],
    ]);
    expect(Array.from(decoded.ticks.subarray(0, 3))).toEqual([9, 4, 9]);
  });

  it('refuses malformed bodies: truncation, duplicate ids, out-of-range values, trailing bytes', () => {
    const t = tableOf([{ id: 3, kind: 0, values: [1, 2, 3, 4] }]);
    const { bytes } = roundTrip(codec, t, null);
    const decode = (b: Uint8Array, base: EntityTable | null = null) => codec.decode(new ByteReader(b), base, new EntityTable(schema));
    expect(() => decode(bytes.subarray(0, bytes.length - 1))).toThrow(WireError);
    expect(() => decode(Uint8Array.from([...bytes, 0]))).toThrow(/trailing/);
    // Creating an id the baseline keeps is a lie.
    expect(() => decode(bytes, t)).toThrow(WireError);
    // A delta that walks x below its minimum.
    const w = new ByteWriter();
    const bw = new BitWriter().begin(w);
    bw.bit(0);
    bw.expGolomb(0, 2);
    bw.bits(1, 1);
    bw.bits(0b0001, 4);
    bw.signedExpGolomb(-5000, 6);
    bw.finish();
    expect(() => decode(w.bytes(), t)).toThrow(/leaves its range/);
  });
});
