import { fromWire, toWire, type CompiledSchema } from './entity-schema';
import type { EntityTable } from './entity-table';

/**
 * Check every value of `table` against its field's declared range and round quantized fields to
 * the precision the wire carries, in place, so that the server's record of what a client holds
 * and the client's decoded table agree exactly. Throws a RangeError that names the entity, the
 * field, the value and the range: a value the wire cannot carry is a bug in the game, and
 * sending it wrapped or clipped would show players something that never happened.
 */
export function quantizeTable(schema: CompiledSchema, table: EntityTable): void {
  const { ids, kinds, values, stride, count } = table;
  for (let r = 0; r < count; r++) {
    const kindIndex = kinds[r];
    const kind = schema.kinds[kindIndex];
    if (kind === undefined) throw new RangeError(`entity ${ids[r]} has kind ${kindIndex}, which the schema does not declare`);
    const base = r * stride;
    for (let f = 0; f < kind.fieldCount; f++) {
      const v = values[base + f];
      if (v < kind.min[f] || v > kind.max[f]) {
        throw new RangeError(
          `entity ${ids[r]} (${kind.name}): ${schema.schema.kinds[kindIndex].fields[f].name} = ${v} is outside its declared range ${kind.min[f]}..${kind.max[f]}`,
        );
      }
      if (kind.shift[f] !== 0) values[base + f] = fromWire(kind, f, toWire(kind, f, v));
    }
  }
}
