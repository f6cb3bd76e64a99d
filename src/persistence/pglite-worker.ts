/**
 * The embedded database's own thread: PGlite (PostgreSQL compiled to WebAssembly) runs its
 * queries synchronously inside the thread that calls it, so it lives here, in a worker, and the
 * server's thread (its ticks and sockets) only posts SQL and waits for answers. Started by
 * {@link PGliteThread}; one query at a time, in arrival order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** What the server's thread asks. */
export type PGliteRequest = { id: number; sql: string; params: unknown[] } | { id: number; close: true };
/** What this thread answers: rows, or an error's message and SQLSTATE code. */
export type PGliteReply =
  | { id: number; rows: unknown[]; affectedRows: number }
  | { id: number; error: { message: string; code?: string } }
  | { id: number; closed: true };

const port = parentPort!;
const { dataDir, loadDataDir } = workerData as { dataDir: string | undefined; loadDataDir: Blob | undefined };

try {
  const pg = await PGlite.create(dataDir, loadDataDir ? { loadDataDir } : {});
  let queue = Promise.resolve();
  port.on('message', (m: PGliteRequest) => {
    queue = queue.then(async () => {
      if ('close' in m) {
        await pg.close();
        port.postMessage({ id: m.id, closed: true } satisfies PGliteReply);
        port.close();
        return;
      }
      try {
        const r = await pg.query(m.sql, m.params);
        port.postMessage({ id: m.id, rows: r.rows, affectedRows: r.affectedRows ?? 0 } satisfies PGliteReply);
      } catch (err) {
        const e = err as { message?: string; code?: string };
        port.postMessage({ id: m.id, error: { message: e.message ?? String(err), code: e.code } } satisfies PGliteReply);
      }
    });
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ failed: (err as Error).message ?? String(err) });
}
