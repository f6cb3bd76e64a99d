import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type { SqliteReply, SqliteRequest } from './sqlite-worker';

/**
 * The embedded SQLite on a worker thread of its own ({@link ./sqlite-worker}), as a Kysely
 * dialect: Kysely builds and compiles each query here, on the server's thread (that part is
 * the ~0.3 ms a batch still costs it), and the statement runs there. In the sources (tsx,
 * vitest) the worker is the .ts file behind tsx's loader (sqlite-worker-dev.mjs); in the built
 * package it is `dist/sqlite-worker.js`.
 */
export function sqliteThreadDialect(file: string): Dialect {
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new SqliteThreadDriver(file),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}

/** The thread, its one connection, and the queue of borrowers (a transaction holds the connection from begin to commit). */
class SqliteThreadDriver implements Driver {
  private thread: SqliteThread | undefined;
  private connection: DatabaseConnection | undefined;
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  /**
   * A BEGIN not sent yet: it goes with the transaction's first statement, one round trip to
   * the thread fewer (each costs the server's thread ~0.07 ms; a profile batch has four).
   */
  private beginPending = false;

  constructor(private readonly file: string) {}

  async init(): Promise<void> {
    this.thread = await SqliteThread.start(this.file);
    const thread = this.thread;
    this.connection = {
      executeQuery: <R>(q: CompiledQuery) => {
        const begin = this.beginPending;
        this.beginPending = false;
        return thread.execute(q.sql, q.parameters, begin) as Promise<QueryResult<R>>;
      },
      // eslint-disable-next-line require-yield
      streamQuery: async function* () {
        throw new Error('streaming is not supported on the embedded database');
      },
    };
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // A release hands the connection straight to the next borrower (busy stays true), so a
    // caller arriving in between cannot take it too.
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy = true;
    return this.connection!;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  }

  async beginTransaction(): Promise<void> {
    this.beginPending = true;
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> {
    // A transaction that ran nothing has nothing to commit (its BEGIN was never sent).
    if (this.takeEmpty()) return;
    await c.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(c: DatabaseConnection): Promise<void> {
    if (this.takeEmpty()) return;
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }

  private takeEmpty(): boolean {
    const empty = this.beginPending;
    this.beginPending = false;
    return empty;
  }

  async destroy(): Promise<void> {
    await this.thread?.close();
  }
}

/** The worker and the statements waiting for its answers. */
class SqliteThread {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: SqliteReply) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: SqliteReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
    // A thread that dies fails what waits and what comes: the stores keep their batches.
    worker.on('exit', (code) => {
      this.exited = new Error(`the embedded database's thread exited (${code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Start the thread and open SQLite at `file` (`:memory:`: nothing on disk). Rejects with SQLite's reason. */
  static async start(file: string): Promise<SqliteThread> {
    const here = import.meta.url;
    const fromSources = here.endsWith('.ts');
    const worker = new Worker(new URL(fromSources ? './sqlite-worker-dev.mjs' : './sqlite-worker.js', here), { workerData: { file } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: { ready?: true; failed?: string }) => {
        worker.off('error', onError);
        worker.off('message', onMessage);
        if (m.ready) resolve();
        else reject(new Error(m.failed ?? 'the embedded database did not start'));
      };
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(err);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new SqliteThread(worker);
  }

  private ask(req: Omit<SqliteRequest, 'id'>): Promise<SqliteReply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...req } as SqliteRequest);
    });
  }

  /** Run one statement (after a BEGIN, with `begin`). */
  async execute(sql: string, params: readonly unknown[], begin = false): Promise<QueryResult<unknown>> {
    const r = await this.ask(begin ? { sql, params: params as unknown[], begin } : { sql, params: params as unknown[] });
    if ('error' in r) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    if ('closed' in r) throw new Error('the embedded database is closed');
    if ('rows' in r) return { rows: r.rows };
    return { rows: [], numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid) };
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.ask({ close: true });
    await this.worker.terminate();
  }
}
