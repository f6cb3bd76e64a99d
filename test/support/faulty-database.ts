import { Kysely, type DatabaseConnection, type Dialect, type Driver, type TransactionSettings } from 'kysely';
import type { TickwireTables } from '../../src/persistence/schema';

/** What goes wrong, changed by the test at any moment. */
export interface Faults {
  /** Every statement fails, as with the database unreachable. */
  down: boolean;
  /** The next this-many commits land in the database, and then their answer is lost (they throw). */
  loseCommitAnswers: number;
  /** Commits that went through, answered or not. */
  commits: number;
}

/**
 * A Kysely over `dialect` (SQLite or PostgreSQL, really connected) with {@link Faults} put
 * between the stores and the driver: statements refused while `down`, and commits that
 * succeed but whose answer is lost (the case an additive store must not count twice).
 */
export function faultyKysely(dialect: Dialect, faults: Faults): Kysely<TickwireTables> {
  return new Kysely<TickwireTables>({
    dialect: {
      createAdapter: () => dialect.createAdapter(),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createIntrospector: (db) => dialect.createIntrospector(db),
      createDriver: () => faultyDriver(dialect.createDriver(), faults),
    },
  });
}

function faultyDriver(inner: Driver, faults: Faults): Driver {
  const refuse = () => {
    if (faults.down) throw new Error('the database is down (test fault)');
  };
  const wrap = (c: DatabaseConnection): DatabaseConnection => ({
    executeQuery: (q) => {
      refuse();
      return c.executeQuery(q);
    },
    streamQuery: (q, chunk) => {
      refuse();
      return c.streamQuery(q, chunk);
    },
  });
  // The driver's own calls get its own connection back, unwrapped.
  const unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const own = (c: DatabaseConnection) => unwrapped.get(c) ?? c;
  return {
    init: () => inner.init(),
    destroy: () => inner.destroy(),
    acquireConnection: async () => {
      const c = await inner.acquireConnection();
      const w = wrap(c);
      unwrapped.set(w, c);
      return w;
    },
    releaseConnection: (c) => inner.releaseConnection(own(c)),
    beginTransaction: (c, settings: TransactionSettings) => {
      refuse();
      return inner.beginTransaction(own(c), settings);
    },
    rollbackTransaction: (c) => inner.rollbackTransaction(own(c)),
    commitTransaction: async (c) => {
      refuse();
      await inner.commitTransaction(own(c));
      faults.commits++;
      if (faults.loseCommitAnswers > 0) {
        faults.loseCommitAnswers--;
        throw new Error('the commit landed but its answer was lost (test fault)');
      }
    },
  };
}
