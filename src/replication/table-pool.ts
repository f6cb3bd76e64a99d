import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';

/** A pooled record table and how many records hold it (a group's shared trimmed record: several). */
class RecordTable extends EntityTable {
  refs = 1;
}

/**
 * Entity tables for clients' replication records, reused room-wide: a record's table goes back
 * when the record is acknowledged past, so in steady state a room holds about (clients ×
 * snapshots in flight) tables and makes none. A table may be shared by several records (clients
 * that got the same budget-trimmed body, see SharedTrim): it is reference-counted and goes back
 * when the last one lets go.
 */
export class TablePool {
  private readonly free: RecordTable[] = [];

  constructor(private readonly schema: EntitySchema) {}

  /** A cleared table, held once (by the caller). */
  take(): EntityTable {
    const t = this.free.pop() ?? new RecordTable(this.schema);
    t.refs = 1;
    return t;
  }

  /** One more holder of `table` (taken from this pool). */
  share(table: EntityTable): void {
    (table as RecordTable).refs++;
  }

  /** A holder lets go of `table`; the last one returns it to the pool. */
  give(table: EntityTable): void {
    const t = table as RecordTable;
    if (--t.refs > 0) return;
    t.clear();
    this.free.push(t);
  }
}
