/**
 * The embedded SQLite's own thread: better-sqlite3 runs each statement synchronously in the
 * thread that calls it, and a commit that meets a WAL checkpoint or a slow disk can take tens
 * of milliseconds (measured on this box's disk: p99 28 ms, max 57 ms for 60-line inserts), so
 * it lives here, and the server's thread only posts SQL and awaits the answer. Started by
 * {@link ./sqlite-thread}; one statement at a time, in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqlite } from './sqlite-database';

/** What the server's thread asks: one statement (`begin`: open a transaction first), or the close. */
export type SqliteRequest = { id: number; sql: string; params: unknown[]; begin?: true } | { id: number; close: true };
/** What this thread answers: rows (a reader), the changes (a writer), or an error's message and SQLite code. */
export type SqliteReply =
  | { id: number; rows: unknown[] }
  | { id: number; changes: number; lastInsertRowid: number | bigint }
  | { id: number; error: { message: string; code?: string } }
  | { id: number; closed: true };

const port = parentPort!;
const { file } = workerData as { file: string };

try {
  const db = openSqlite(file);
  port.on('message', (m: SqliteRequest) => {
    if ('close' in m) {
      db.close();
      port.postMessage({ id: m.id, closed: true } satisfies SqliteReply);
      port.close();
      return;
    }
    try {
      if (m.begin) db.prepare('begin').run([]);
      const stmt = db.prepare(m.sql);
      if (stmt.reader) port.postMessage({ id: m.id, rows: stmt.all(m.params) } satisfies SqliteReply);
      else {
        const r = stmt.run(m.params);
        port.postMessage({ id: m.id, changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid } satisfies SqliteReply);
      }
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: m.id, error: { message: e.message ?? String(err), code: e.code } } satisfies SqliteReply);
    }
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message ?? String(err) });
}
