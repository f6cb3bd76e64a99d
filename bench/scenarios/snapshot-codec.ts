import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { arenaGame } from '../../shared/games/arena';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { compileSchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { quantizeTable } from '../../shared/replication/quantize';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { stepOnce, tablesEqual, warmArena } from './workload';

/** Entity counts timed (all walking players: the "bytes per moving entity" case). */
export const CODEC_ENTITIES = [10, 100, 1000] as const;
/**
 * Baselines timed, in ticks back at 30 Hz: 0 = a full snapshot; 1 = the previous snapshot (a
 * LAN); 3 = 100 ms back, what a client 100 ms away has acknowledged when a snapshot goes out.
 */
export const BASELINE_AGES = [0, 1, 3] as const;

/** The replicated table of the state, quantized as the server sends it. */
function quantizedTable(state: Parameters<typeof arenaGame.writeEntities>[0]): EntityTable {
  const t = new EntityTable(arenaGame.entitySchema);
  arenaGame.writeEntities(state, t);
  quantizeTable(compileSchema(arenaGame.entitySchema), t);
  return t;
}

/**
 * The walking scenario: `entities` players walking (no shots, so the count is exact), warmed
 * up so positions and aims are spread, and the same players `age` ticks earlier as the baseline
 * (null for age 0). `moving` counts the entities that changed between the two.
 */
export function walkingDelta(entities: number, age: number): { current: EntityTable; baseline: EntityTable | null; moving: number } {
  const { state, inputs } = warmArena(entities, false);
  const baseline = age === 0 ? null : quantizedTable(state);
  for (let i = 0; i < age; i++) stepOnce(state, inputs);
  const current = quantizedTable(state);
  let moving = current.count;
  if (baseline) {
    moving = 0;
    for (let r = 0; r < current.count; r++) {
      for (let f = 0; f < current.stride; f++) {
        if (current.get(r, f) !== baseline.get(r, f)) {
          moving++;
          break;
        }
      }
    }
  }
  return { current, baseline, moving };
}

/**
 * The delta codec (shared/replication/delta-codec.ts): encode a body into a reused ByteWriter
 * against a baseline (or none: a full snapshot), and decode it into a reused EntityTable. Bytes
 * per entity are per *moving* entity for deltas. Round-trip checked before timing.
 */
export const snapshotCodecScenario: Scenario = {
  name: 'snapshot-codec',
  run(ctx) {
    const rows: BenchRow[] = [];
    const codec = new DeltaCodec(arenaGame.entitySchema);
    for (const entities of CODEC_ENTITIES) {
      for (const age of BASELINE_AGES) {
        const { current, baseline, moving } = walkingDelta(entities, age);
        const writer = new ByteWriter(1024);
        codec.encode(current, baseline, writer);
        const bytes = writer.bytes().slice();
        const reader = new ByteReader();
        const decoded = new EntityTable(arenaGame.entitySchema);
        codec.decode(reader.reset(bytes), baseline, decoded);
        if (!tablesEqual(current, decoded)) throw new Error(`delta codec round trip failed for ${entities} entities, ${age} ticks`);
        const label = age === 0 ? 'full' : `delta ${age} tick${age > 1 ? 's' : ''}`;
        const size = {
          players: entities,
          entities,
          clients: null,
          bytesPerSnapshot: bytes.length,
          bytesPerEntity: bytes.length / Math.max(1, moving),
          note: `${moving} moving`,
        };
        const enc = measure(`encode ${label} ${entities}`, () => codec.encode(current, baseline, writer.reset()), ctx.settings);
        rows.push(row(enc, { scenario: `encode: ${label}`, ...size }));
        const dec = measure(`decode ${label} ${entities}`, () => codec.decode(reader.reset(bytes), baseline, decoded), ctx.settings);
        rows.push(row(dec, { scenario: `decode: ${label}`, ...size }));
        ctx.log(
          `${label} ${entities}: ${bytes.length} B (${(bytes.length / Math.max(1, moving)).toFixed(2)} B per moving entity), encode ${enc.usPerOp.toFixed(2)} µs, decode ${dec.usPerOp.toFixed(2)} µs`,
        );
      }
    }
    return rows;
  },
};
