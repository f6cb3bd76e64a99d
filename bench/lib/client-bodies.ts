import { deepStrictEqual } from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { ByteWriter } from '../../shared/binary/byte-writer';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import type { PlayerSlot, Room } from '../../src/rooms/room';
import { measure, row, type BenchRow, type ScenarioContext } from './harness';

type Plain = Record<string, number>;

/**
 * One client's snapshot as plain objects, what a schema-less encoder would send for the same
 * change: `{ id, kind, …fields }` for each entity it newly holds, `{ id, …changed fields }` for
 * each changed one, and the removed ids.
 */
function plainChange(schema: EntitySchema, baseline: EntityTable | null, next: EntityTable): { set: Plain[]; removed: number[] } {
  const set: Plain[] = [];
  const removed: number[] = [];
  for (let r = 0; r < next.count; r++) {
    const id = next.ids[r];
    const kind = next.kinds[r];
    const fields = schema.kinds[kind].fields;
    const b = baseline ? baseline.indexOf(id) : -1;
    const e: Plain = { id };
    let changed = b < 0;
    if (b < 0) e.kind = kind;
    for (let f = 0; f < fields.length; f++) {
      if (b >= 0 && baseline!.get(b, f) === next.get(r, f)) continue;
      e[fields[f].name] = next.get(r, f);
      changed = true;
    }
    if (changed) set.push(e);
  }
  if (baseline) for (let r = 0; r < baseline.count; r++) if (next.indexOf(baseline.ids[r]) < 0) removed.push(baseline.ids[r]);
  return { set, removed };
}

/**
 * The same per-client data, three ways: for every client due a snapshot on the room's last
 * tick, take what it held (its acknowledged baseline) and what it holds now (its record of that
 * tick), and encode the change with the delta codec, msgpackr and JSON. One op encodes every
 * client's body once; msgpackr and JSON get ready-made objects (building them is not timed).
 */
export function compareClientBodies(
  room: Room,
  slots: readonly PlayerSlot<unknown>[],
  label: string,
  extra: { players: number; entities: number; clients: number },
  ctx: ScenarioContext,
): BenchRow[] {
  const schema = room.type.game.entitySchema;
  const rep = room.replicator;
  const pairs: { baseline: EntityTable | null; next: EntityTable }[] = [];
  for (const slot of slots) {
    const next = rep.heldBy(slot.replica, room.tick);
    if (!next) continue; // not due a snapshot this tick (staggered sends)
    const held = slot.replica.ackedTick > 0 ? rep.heldBy(slot.replica, slot.replica.ackedTick) : null;
    const copy = (t: EntityTable | null) => {
      if (!t) return null;
      const c = new EntityTable(schema);
      c.copyFrom(t);
      return c;
    };
    pairs.push({ baseline: copy(held), next: copy(next)! });
  }
  const objects = pairs.map((p) => plainChange(schema, p.baseline, p.next));
  const packr = new Packr({ useRecords: false });
  const writer = new ByteWriter(4096);
  const codec = rep.codec;
  let ours = 0;
  let mp = 0;
  let js = 0;
  for (let i = 0; i < pairs.length; i++) {
    ours += codec.encode(pairs[i].next, pairs[i].baseline, writer.reset());
    const packed = packr.pack(objects[i]);
    deepStrictEqual(packr.unpack(packed), objects[i], 'msgpackr round trip');
    mp += packed.length;
    js += Buffer.byteLength(JSON.stringify(objects[i]));
  }
  const n = Math.max(1, pairs.length);
  const note = `${pairs.length} client bodies per op`;
  const rows = [
    row(
      measure(
        `${label} bodies: delta codec`,
        () => {
          for (const p of pairs) codec.encode(p.next, p.baseline, writer.reset());
        },
        ctx.settings,
      ),
      { ...extra, scenario: `${label} bodies: delta codec`, bytesPerSnapshot: Math.round(ours / n), bytesPerEntity: null, note },
    ),
    row(
      measure(
        `${label} bodies: msgpackr`,
        () => {
          for (const o of objects) packr.pack(o);
        },
        ctx.settings,
      ),
      { ...extra, scenario: `${label} bodies: msgpackr`, bytesPerSnapshot: Math.round(mp / n), bytesPerEntity: null, note },
    ),
    row(
      measure(
        `${label} bodies: JSON`,
        () => {
          for (const o of objects) JSON.stringify(o);
        },
        ctx.settings,
      ),
      { ...extra, scenario: `${label} bodies: JSON`, bytesPerSnapshot: Math.round(js / n), bytesPerEntity: null, note },
    ),
  ];
  ctx.log(
    `${label}: per client body ${Math.round(ours / n)} B delta codec, ${Math.round(mp / n)} B msgpackr, ${Math.round(js / n)} B JSON`,
  );
  return rows;
}
