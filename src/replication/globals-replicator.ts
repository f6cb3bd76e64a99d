import { ByteWriter } from '../../shared/binary/byte-writer';
import { writeGlobalsHeader } from '../../shared/protocol/globals-message';
import { DeltaCodec } from '../../shared/replication/delta-codec';
import { compileSchema, type EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';
import { everyoneSchema } from '../../shared/replication/everyone-schema';

/**
 * Builds the room's GLOBALS messages (see shared/protocol/globals-message.ts): the `everyone`
 * fields of every entity, outside interest management, for scoreboards and the like.
 */
export class GlobalsReplicator {
  private readonly codec: DeltaCodec;
  /** Per kind, the source field index of each `everyone` field (from the compiled schema). */
  private readonly fieldMap: readonly (readonly number[])[];
  /** What every client holds: the last broadcast. */
  private last: EntityTable;
  private next: EntityTable;
  private lastTick = 0;
  private readonly out = new ByteWriter(1024, 1 << 20, 'the GLOBALS size limit (1 MiB): fewer `everyone` fields');

  /** Null when the schema has no `everyone` field: then the room sends no GLOBALS. */
  static for(schema: EntitySchema): GlobalsReplicator | null {
    const derived = everyoneSchema(schema);
    return derived ? new GlobalsReplicator(schema, derived) : null;
  }

  private constructor(schema: EntitySchema, derived: EntitySchema) {
    this.codec = new DeltaCodec(derived);
    this.fieldMap = compileSchema(schema).kinds.map((k) => k.everyoneFields);
    this.last = new EntityTable(derived);
    this.next = new EntityTable(derived);
  }

  /**
   * Take the `everyone` fields from `table` (the room's sealed, quantized entities of `tick`).
   * Returns the GLOBALS delta to broadcast, or null when nothing changed. The bytes are fresh:
   * hand them to every client.
   */
  update(table: EntityTable, tick: number): Uint8Array | null {
    const next = this.next;
    next.clear();
    const map = this.fieldMap;
    for (let r = 0; r < table.count; r++) {
      const fields = map[table.kinds[r]];
      if (fields.length === 0) continue;
      const row = next.push(table.ids[r], table.kinds[r]);
      for (let f = 0; f < fields.length; f++) next.values[row * next.stride + f] = table.values[r * table.stride + fields[f]];
    }
    const plan = this.codec.diff(next, this.last);
    if (plan.isEmpty) return null;
    const out = this.out.reset();
    writeGlobalsHeader(out, tick, false);
    this.codec.write(out, tick, null);
    this.next = this.last;
    this.last = next;
    this.lastTick = tick;
    return out.bytes().slice();
  }

  /** A full GLOBALS of what everyone holds, for a client that joins or comes back. */
  full(): Uint8Array {
    const out = this.out.reset();
    writeGlobalsHeader(out, this.lastTick, true);
    this.codec.encode(this.last, null, out, this.lastTick, null);
    return out.bytes().slice();
  }
}
