import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { fieldRange, type EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { FullSnapshotCodec } from '../../shared/replication/full-snapshot-codec';
import { arenaEntitySchema } from '../../shared/games/arena';

// A schema with every field type, to exercise the codec beyond the arena.
const wideSchema: EntitySchema = {
  kinds: [
    { name: 'a', fields: [{ name: 'u8', type: 'u8' }, { name: 'u16', type: 'u16' }, { name: 'i16', type: 'i16' }] },
    { name: 'b', fields: [{ name: 'uv', type: 'uvarint' }, { name: 'sv', type: 'svarint' }] },
    { name: 'c', fields: [] },
  ],
};

/** An arbitrary table for `schema`: random ids in any order, random in-range field values. */
function arbTable(schema: EntitySchema) {
  const entity = fc.integer({ min: 0, max: schema.kinds.length - 1 }).chain((kind) =>
    fc.record({
      id: fc.nat(0xffffffff),
      kind: fc.constant(kind),
      values: fc.tuple(...schema.kinds[kind].fields.map((f) => fc.integer({ min: fieldRange(f.type)[0], max: fieldRange(f.type)[1] }))),
    }),
  );
  return fc.array(entity, { maxLength: 300 }).map((rows) => {
    const t = new EntityTable(schema, 1);
    for (const row of rows) {
      const r = t.push(row.id, row.kind);
      (row.values as number[]).forEach((v, f) => t.set(r, f, v));
    }
    return t;
  });
}

function rows(t: EntityTable) {
  return Array.from({ length: t.count }, (_, r) => ({
    id: t.ids[r],
    kind: t.kinds[r],
    values: Array.from(t.values.subarray(r * t.stride, r * t.stride + t.stride)),
  }));
}

describe('FullSnapshotCodec', () => {
  for (const [name, schema] of [['every field type', wideSchema], ['arena', arenaEntitySchema]] as const) {
    it(`round-trips random tables (${name})`, () => {
      const codec = new FullSnapshotCodec(schema);
      const w = new ByteWriter(16);
      const out = new EntityTable(schema, 1);
      fc.assert(
        fc.property(arbTable(schema), (table) => {
          codec.encode(table, null, w.reset());
          const r = new ByteReader(w.bytes());
          codec.decode(r, null, out);
          r.expectEnd('snapshot');
          expect(rows(out)).toEqual(rows(table));
        }),
        { numRuns: 200 },
      );
    });
  }

  it('spends one byte per id on ascending ids', () => {
    const codec = new FullSnapshotCodec(wideSchema);
    const t = new EntityTable(wideSchema);
    for (let id = 1; id <= 100; id++) t.push(id, 2);
    const w = new ByteWriter();
    codec.encode(t, null, w);
    // count (1 byte) + per entity: id delta 1 + kind 1
    expect(w.offset).toBe(1 + 100 * 2);
  });

  it('rejects truncated bodies, unknown kinds and impossible counts', () => {
    const codec = new FullSnapshotCodec(arenaEntitySchema);
    const t = new EntityTable(arenaEntitySchema);
    const r0 = t.push(5, 0);
    t.set(r0, 0, 1000);
    const w = new ByteWriter();
    codec.encode(t, null, w);
    const full = w.bytes().slice();
    const decode = (bytes: Uint8Array) => {
      try {
        codec.decode(new ByteReader(bytes), null, new EntityTable(arenaEntitySchema));
        return 'ok';
      } catch (err) {
        return (err as WireError).code;
      }
    };
    expect(decode(full)).toBe('ok');
    expect(decode(full.subarray(0, full.length - 1))).toBe(WireErrorCode.Truncated);
    const badKind = full.slice();
    badKind[2] = 9; // count, id delta, kind
    expect(decode(badKind)).toBe(WireErrorCode.OutOfRange);
    expect(decode(Uint8Array.of(0xff, 0xff, 0x03, 0, 0))).toBe(WireErrorCode.OutOfRange);
  });
});
