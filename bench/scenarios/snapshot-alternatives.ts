import { deepStrictEqual } from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { arenaGame } from '../../shared/games/arena';
import type { EntityTable } from '../../shared/replication/entity-table';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { CODEC_ENTITIES, walkingEntitySet } from './snapshot-codec';

/** One entity as a plain object: what a schema-less encoder would be given. */
type PlainEntity = Record<string, number>;

/** The table as an array of plain objects `{ id, kind, x, y, aim, hp, score, flags }` (field names from the schema). */
export function toPlainObjects(table: EntityTable): PlainEntity[] {
  const kinds = arenaGame.entitySchema.kinds;
  const out: PlainEntity[] = [];
  for (let r = 0; r < table.count; r++) {
    const kind = table.kinds[r];
    const e: PlainEntity = { id: table.ids[r], kind };
    const fields = kinds[kind].fields;
    for (let f = 0; f < fields.length; f++) e[fields[f].name] = table.get(r, f);
    out.push(e);
  }
  return out;
}

/**
 * For context: the same entity sets as snapshot-codec, encoded the obvious ways: msgpackr
 * (`pack` of an array of plain objects, plain maps as the protocol's control messages use) and
 * JSON (`JSON.stringify`, bytes = its UTF-8 length). Their input is the ready-made object array,
 * so building those objects is not timed, which flatters them slightly. Round-trip checked first.
 */
export const snapshotAlternativesScenario: Scenario = {
  name: 'snapshot-alternatives',
  run(ctx) {
    const rows: BenchRow[] = [];
    const packr = new Packr({ useRecords: false });
    for (const entities of CODEC_ENTITIES) {
      const objects = toPlainObjects(walkingEntitySet(entities));

      // A copy: the pack result may share msgpackr's reused buffer, and it must outlive later packs.
      const packed = Buffer.from(packr.pack(objects));
      deepStrictEqual(packr.unpack(packed), objects, `msgpackr round trip failed for ${entities} entities`);
      const mp = { players: entities, entities, clients: null, bytesPerSnapshot: packed.length, bytesPerEntity: packed.length / entities };
      rows.push(row(measure(`msgpackr pack ${entities}`, () => packr.pack(objects), ctx.settings), { scenario: 'encode: msgpackr', ...mp }));
      rows.push(row(measure(`msgpackr unpack ${entities}`, () => packr.unpack(packed), ctx.settings), { scenario: 'decode: msgpackr', ...mp }));

      const json = JSON.stringify(objects);
      deepStrictEqual(JSON.parse(json), objects, `JSON round trip failed for ${entities} entities`);
      const jsonBytes = Buffer.byteLength(json);
      const js = { players: entities, entities, clients: null, bytesPerSnapshot: jsonBytes, bytesPerEntity: jsonBytes / entities };
      rows.push(row(measure(`JSON.stringify ${entities}`, () => JSON.stringify(objects), ctx.settings), { scenario: 'encode: JSON', ...js }));
      rows.push(row(measure(`JSON.parse ${entities}`, () => JSON.parse(json), ctx.settings), { scenario: 'decode: JSON', ...js }));
      ctx.log(`alternatives ${entities}: msgpackr ${packed.length} B, JSON ${jsonBytes} B`);
    }
    return rows;
  },
};
