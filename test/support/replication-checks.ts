import type { EntityTable } from '../../shared/replication/entity-table';

/** A fresh row of a record that is not the world's: its id, the record's values, the world's (empty when absent). */
export type StaleRow = [id: number, recorded: number[], world: number[]];

/**
 * The rows of `record` stamped with `tick` (brought up to date by that tick's snapshot) whose
 * values differ from `world`'s row of the same id, or whose id is not in `world` at all. Empty
 * when every fresh row is the world.
 *
 * Property tests run this for every client on every tick (hundreds of thousands of rows per
 * test): one plain loop here and one `expect(...).toEqual([])` per call costs a small part of
 * an `expect` per row, and a failure still lists each offending row with both values.
 */
export function freshRowsUnlikeWorld(record: EntityTable, world: EntityTable, tick: number): StaleRow[] {
  const stale: StaleRow[] = [];
  const stride = record.stride;
  for (let r = 0; r < record.count; r++) {
    if (record.ticks[r] !== tick) continue;
    const w = world.indexOf(record.ids[r]);
    let same = w >= 0 && world.stride === stride;
    for (let f = 0; same && f < stride; f++) same = record.values[r * stride + f] === world.values[w * stride + f];
    if (same) continue;
    const recorded = Array.from(record.values.subarray(r * stride, (r + 1) * stride));
    stale.push([record.ids[r], recorded, w >= 0 ? Array.from(world.values.subarray(w * world.stride, (w + 1) * world.stride)) : []]);
  }
  return stale;
}
