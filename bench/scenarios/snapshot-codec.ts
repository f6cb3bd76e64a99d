import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { arenaGame } from '../../shared/games/arena';
import { EntityTable } from '../../shared/replication/entity-table';
import { FullSnapshotCodec } from '../../shared/replication/full-snapshot-codec';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { entityTableOf, tablesEqual, warmArena } from './workload';

/** Entity counts timed (all walking players: the "bytes per moving entity" case). */
export const CODEC_ENTITIES = [10, 100, 1000] as const;

/**
 * The entity set every codec benchmark encodes: `entities` walking players (no shots, so the
 * count is exact), warmed up so positions and aims are spread over the arena.
 */
export function walkingEntitySet(entities: number): EntityTable {
  return entityTableOf(warmArena(entities, false).state);
}

/**
 * The hand-laid full snapshot codec (shared/replication/full-snapshot-codec.ts): encode an
 * EntityTable into a reused ByteWriter, and decode into a reused EntityTable. Both directions
 * are round-trip checked before timing.
 */
export const snapshotCodecScenario: Scenario = {
  name: 'snapshot-codec',
  run(ctx) {
    const rows: BenchRow[] = [];
    const codec = new FullSnapshotCodec(arenaGame.entitySchema);
    for (const entities of CODEC_ENTITIES) {
      const table = walkingEntitySet(entities);
      const writer = new ByteWriter(1024);
      codec.encode(table, null, writer);
      const bytes = writer.bytes().slice();
      const reader = new ByteReader();
      const decoded = new EntityTable(arenaGame.entitySchema);
      codec.decode(reader.reset(bytes), null, decoded);
      reader.expectEnd('benchmark snapshot');
      if (!tablesEqual(table, decoded)) throw new Error(`full codec round trip failed for ${entities} entities`);

      const size = { players: entities, entities, clients: null, bytesPerSnapshot: bytes.length, bytesPerEntity: bytes.length / entities };
      const enc = measure(`encode full ${entities}`, () => codec.encode(table, null, writer.reset()), ctx.settings);
      rows.push(row(enc, { scenario: 'encode: full codec', ...size }));
      const dec = measure(`decode full ${entities}`, () => codec.decode(reader.reset(bytes), null, decoded), ctx.settings);
      rows.push(row(dec, { scenario: 'decode: full codec', ...size }));
      ctx.log(`full codec ${entities}: ${bytes.length} B, encode ${enc.usPerOp.toFixed(2)} µs, decode ${dec.usPerOp.toFixed(2)} µs`);
    }
    return rows;
  },
};
