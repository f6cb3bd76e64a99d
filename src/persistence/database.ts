import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Logger } from '../logging/logger';
import { redactUrl } from '../logging/redact-url';
import { migrateToLatest, type Engine } from './migrations';
import type { TickwireTables } from './schema';
import { sqliteThreadDialect } from './sqlite-thread';

/** Where the data lives. With neither field: SQLite in `./data/tickwire.sqlite`. */
export interface DatabaseOptions {
  /**
   * A PostgreSQL connection string (`postgres://user@host:5432/db`): use that server. The CLI
   * reads it from `DATABASE_URL`.
   */
  url?: string;
  /**
   * The embedded database's folder (SQLite, in this process on a thread of its own: the file
   * `tickwire.sqlite` and its `-wal` log), made if missing. Default `./data`. `'memory://'` keeps nothing on disk (tests).
   */
  dataDir?: string;
  /** Connections to PostgreSQL (default 4). SQLite is always one. */
  poolSize?: number;
  logger?: Logger;
}

/** An open database with the schema migrated to the latest version. */
export interface TickwireDatabase {
  readonly db: Kysely<TickwireTables>;
  /** 'sqlite' (embedded) or 'postgres'. */
  readonly kind: Engine;
  /** Where: the data folder, or the URL without its password. */
  readonly where: string;
  /** The migrations this open applied (empty when the schema was already current). */
  readonly applied: string[];
  close(): Promise<void>;
}

/** The embedded database's file in its data folder. */
export const SQLITE_FILE = 'tickwire.sqlite';

/**
 * Open the database and run the migrations: PostgreSQL when `url` is set, else the embedded
 * SQLite in `dataDir`. The same Kysely queries run on both. Throws with what to fix when the
 * server is unreachable or a migration fails.
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<TickwireDatabase> {
  let db: Kysely<TickwireTables>;
  let kind: Engine;
  let where: string;
  let unlock = () => {};
  if (options.url) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 4 });
    // A connection that fails emits 'error' on its client (while a query runs: the query fails
    // too, and the store keeps its batch) and, when idle, on the pool as well. Unhandled, either
    // event would end the process: a PostgreSQL restart or a network cut must cost writes, not
    // the server. The client's listener logs it; the pool's is there only to be a listener.
    pool.on('connect', (client) =>
      client.on('error', (err) =>
        options.logger?.warn({ err }, 'database: a connection failed; its query fails, the next one opens a new connection'),
      ),
    );
    pool.on('error', () => {});
    db = new Kysely({ dialect: new PostgresDialect({ pool }) });
    kind = 'postgres';
    where = redactUrl(options.url);
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy();
      throw new Error(`cannot reach PostgreSQL at ${where}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    const dir = options.dataDir ?? './data';
    const memory = dir.startsWith('memory://');
    if (!memory) {
      mkdirSync(dir, { recursive: true });
      unlock = lockDataDir(resolve(dir));
    }
    // On a thread of its own: a statement runs synchronously in the thread that calls it.
    db = new Kysely({ dialect: sqliteThreadDialect(memory ? ':memory:' : join(resolve(dir), SQLITE_FILE)) });
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      await db.destroy().catch(() => {});
      unlock();
      throw new Error(`cannot open the embedded database in ${resolve(dir)}: ${(err as Error).message}`, { cause: err });
    }
    kind = 'sqlite';
    where = memory ? 'memory' : resolve(dir);
  }
  let applied: string[];
  try {
    applied = await migrateToLatest(db as Kysely<unknown>, kind);
  } catch (err) {
    await db.destroy();
    unlock();
    throw err;
  }
  return {
    db,
    kind,
    where,
    applied,
    close: async () => {
      await db.destroy();
      unlock();
    },
  };
}

/**
 * Claim an embedded data folder for this process: two processes writing one folder's stores
 * would each batch and count on their own. The claim is a file holding our pid; a claim whose
 * process is gone (a crash) is taken over. Returns the release.
 */
function lockDataDir(dir: string): () => void {
  const file = join(dir, 'tickwire.pid');
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const pid = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) throw new Error(`the data folder ${dir} is in use by process ${pid}`);
    writeFileSync(file, String(process.pid));
  }
  return () => rmSync(file, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
