import type { EntitySchema } from '../../shared/replication/entity-schema';
import { EntityTable } from '../../shared/replication/entity-table';

/**
 * The room's last few sent entity tables, newest last: the baselines that clients' deltas are
 * encoded against. A ring of `capacity` tables reused in turn, so storing a tick allocates nothing
 * once the tables have grown; a tick older than the ring is gone and its clients get a full
 * snapshot.
 */
export class SnapshotHistory {
  private readonly tables: EntityTable[];
  private readonly ticks: Float64Array;
  private next = 0;

  /** @param capacity snapshots kept (the room sizes it to its history window, about 1 s of sends) */
  constructor(
    schema: EntitySchema,
    readonly capacity: number,
  ) {
    this.tables = Array.from({ length: capacity }, () => new EntityTable(schema));
    this.ticks = new Float64Array(capacity).fill(-1);
  }

  /** The (cleared) table that will hold `tick`, overwriting the oldest. Fill it before any `get`. */
  begin(tick: number): EntityTable {
    // The same tick again (a resume re-seals between steps): overwrite it rather than push out
    // an older baseline, so a storm of resumes cannot age every client's baseline out.
    const newest = (this.next - 1 + this.capacity) % this.capacity;
    if (this.ticks[newest] === tick) {
      this.tables[newest].clear();
      return this.tables[newest];
    }
    const slot = this.next;
    this.next = (slot + 1) % this.capacity;
    this.ticks[slot] = tick;
    const table = this.tables[slot];
    table.clear();
    return table;
  }

  /** The table stored for `tick`, or null when it was never stored or has been overwritten. */
  get(tick: number): EntityTable | null {
    // Newest first: baselines are almost always recent.
    for (let i = 1; i <= this.capacity; i++) {
      const slot = (this.next - i + this.capacity) % this.capacity;
      if (this.ticks[slot] === tick) return this.tables[slot];
      if (this.ticks[slot] < tick) return null;
    }
    return null;
  }
}
