import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Logger } from '../logging/logger';
import { redactUrl } from '../logging/redact-url';
import { migrateToLatest } from './migrations';
import { PGlitePool } from './pglite-pool';
import { PGliteThread } from './pglite-thread';
import type { TickwireTables } from './schema';

/** Where the data lives. With neither field: PGlite in `./data`. */
export interface DatabaseOptions {
  /**
   * A PostgreSQL connection string (`postgres://user@host:5432/db`): use that server. The CLI
   * reads it from `DATABASE_URL`.
   */
  url?: string;
  /**
   * The embedded database's folder (PGlite: PostgreSQL compiled to WebAssembly, in this
   * process), made if missing. Default `./data`. `'memory://'` keeps nothing on disk (tests).
   */
  dataDir?: string;
  /**
   * A PGlite data-folder tarball to start from instead of an empty cluster (`PGlite.dumpDataDir`):
   * skips initdb's ~3 s. With `dataDir: 'memory://'` only; the tests use it.
   */
  loadDataDir?: Blob;
  /** Connections to PostgreSQL (default 4). PGlite is always one. */
  poolSize?: number;
  logger?: Logger;
}

/** An open database with the schema migrated to the latest version. */
export interface TickwireDatabase {
  readonly db: Kysely<TickwireTables>;
  /** 'pglite' (embedded) or 'postgres'. */
  readonly kind: 'pglite' | 'postgres';
  /** Where: the data folder, or the URL without its password. */
  readonly where: string;
  /** The migrations this open applied (empty when the schema was already current). */
  readonly applied: string[];
  close(): Promise<void>;
}

/**
 * Open the database and run the migrations: PostgreSQL when `url` is set, else the embedded
 * PGlite in `dataDir`. The same SQL runs on both. Throws with what to fix when the server is
 * unreachable or a migration fails.
 */
export async function openDatabase(options: DatabaseOptions = {}): Promise<TickwireDatabase> {
  let db: Kysely<TickwireTables>;
  let kind: TickwireDatabase['kind'];
  let where: string;
  if (options.url) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 4 });
    // An idle client that loses its server emits 'error' on the pool; unhandled, it would end the process.
    pool.on('error', (err) => options.logger?.warn({ err }, 'database: an idle connection failed'));
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
    let unlock = () => {};
    if (!memory) {
      mkdirSync(dir, { recursive: true });
      unlock = lockDataDir(resolve(dir));
    }
    let pg;
    try {
      // On a thread of its own: PGlite runs each query synchronously in the thread that calls it.
      pg = await PGliteThread.start(memory ? undefined : resolve(dir), memory ? options.loadDataDir : undefined);
    } catch (err) {
      unlock();
      throw new Error(`cannot open the embedded database in ${resolve(dir)}: ${(err as Error).message}`, { cause: err });
    }
    db = new Kysely({ dialect: new PostgresDialect({ pool: new PGlitePool(pg, unlock) }) });
    kind = 'pglite';
    where = memory ? 'memory' : resolve(dir);
  }
  let applied: string[];
  try {
    applied = await migrateToLatest(db as Kysely<unknown>);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, kind, where, applied, close: () => db.destroy() };
}

/**
 * Claim a PGlite data folder for this process: PGlite is one process's database, and two
 * processes writing one folder would corrupt it. The claim is a file holding our pid; a claim
 * whose process is gone (a crash) is taken over. Returns the release.
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
