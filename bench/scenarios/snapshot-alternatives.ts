import { deepStrictEqual } from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { arenaGame } from '../../shared/games/arena';
import type { EntityTable } from '../../shared/replication/entity-table';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { BASELINE_AGES, CODEC_ENTITIES, walkingDelta } from './snapshot-codec';

/** One entity as a plain object: what a schema-less encoder would be given. */
type PlainEntity = Record<string, number>;

/**
 * The same data the delta codec sends, as plain objects: every entity `{ id, kind, x, y, … }`
 * for a full snapshot; for a delta, only the entities that changed, each `{ id, …changed fields }`
 * (removals and creations do not occur in the walking scenario).
 */
export function toPlainObjects(current: EntityTable, baseline: EntityTable | null): PlainEntity[] {
  const kinds = arenaGame.entitySchema.kinds;
  const out: PlainEntity[] = [];
  for (let r = 0; r < current.count; r++) {
    const kind = current.kinds[r];
    const fields = kinds[kind].fields;
    const e: PlainEntity = { id: current.ids[r] };
    if (!baseline) e.kind = kind;
    let changed = false;
    for (let f = 0; f < fields.length; f++) {
      if (baseline && baseline.get(r, f) === current.get(r, f)) continue;
      e[fields[f].name] = current.get(r, f);
      changed = true;
    }
    if (changed || !baseline) out.push(e);
  }
  return out;
}

/**
 * For context: the same snapshots as snapshot-codec (full, and deltas 1 and 3 ticks back),
 * encoded the obvious ways: msgpackr (`pack` of plain objects, plain maps as the protocol's
 * control messages use) and JSON (`JSON.stringify`, bytes = its UTF-8 length). Their input is
 * the ready-made object array, so finding the changes and building objects is not timed, which
 * flatters them. Bytes per entity are per moving entity for deltas. Round-trip checked first.
 */
export const snapshotAlternativesScenario: Scenario = {
  name: 'snapshot-alternatives',
  run(ctx) {
    const rows: BenchRow[] = [];
    const packr = new Packr({ useRecords: false });
    for (const entities of CODEC_ENTITIES) {
      for (const age of BASELINE_AGES) {
        const { current, baseline, moving } = walkingDelta(entities, age);
        const objects = toPlainObjects(current, baseline);
        const label = age === 0 ? 'full' : `delta ${age} tick${age > 1 ? 's' : ''}`;
        const per = Math.max(1, moving);

        // A copy: the pack result may share msgpackr's reused buffer, and it must outlive later packs.
        const packed = Buffer.from(packr.pack(objects));
        deepStrictEqual(packr.unpack(packed), objects, `msgpackr round trip failed for ${entities} entities`);
        const mp = {
          players: entities,
          entities,
          clients: null,
          bytesPerSnapshot: packed.length,
          bytesPerEntity: packed.length / per,
          note: `${moving} moving`,
        };
        rows.push(
          row(
            measure(`msgpackr pack ${label} ${entities}`, () => packr.pack(objects), ctx.settings),
            { scenario: `encode: msgpackr ${label}`, ...mp },
          ),
        );
        rows.push(
          row(
            measure(`msgpackr unpack ${label} ${entities}`, () => packr.unpack(packed), ctx.settings),
            { scenario: `decode: msgpackr ${label}`, ...mp },
          ),
        );

        const json = JSON.stringify(objects);
        deepStrictEqual(JSON.parse(json), objects, `JSON round trip failed for ${entities} entities`);
        const jsonBytes = Buffer.byteLength(json);
        const js = {
          players: entities,
          entities,
          clients: null,
          bytesPerSnapshot: jsonBytes,
          bytesPerEntity: jsonBytes / per,
          note: `${moving} moving`,
        };
        rows.push(
          row(
            measure(`JSON.stringify ${label} ${entities}`, () => JSON.stringify(objects), ctx.settings),
            { scenario: `encode: JSON ${label}`, ...js },
          ),
        );
        rows.push(
          row(
            measure(`JSON.parse ${label} ${entities}`, () => JSON.parse(json), ctx.settings),
            { scenario: `decode: JSON ${label}`, ...js },
          ),
        );
        ctx.log(`alternatives ${label} ${entities}: msgpackr ${packed.length} B, JSON ${jsonBytes} B`);
      }
    }
    return rows;
  },
};
