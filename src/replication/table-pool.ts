import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';

/**
 * Entity tables for clients' private replication records, reused room-wide: a record's table
 * goes back when the record is acknowledged past, so in steady state a room holds about
 * (clients × snapshots in flight) tables and makes none.
 */
export class TablePool {
  private readonly free: EntityTable[] = [];

  constructor(private readonly schema: EntitySchema) {}

  take(): EntityTable {
    const t = this.free.pop();
    return t ?? new EntityTable(this.schema);
  }

  give(table: EntityTable): void {
    table.clear();
    this.free.push(table);
  }
}
