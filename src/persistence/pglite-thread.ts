import { Worker } from 'node:worker_threads';
import type { PGliteReply, PGliteRequest } from './pglite-worker';

/** A query runner: what the Kysely pool needs of PGlite. */
export interface QueryRunner {
  query(sql: string, params: readonly unknown[]): Promise<{ rows: unknown[]; affectedRows: number }>;
  close(): Promise<void>;
}

/**
 * PGlite on a worker thread ({@link ./pglite-worker}): the server's thread posts each query and
 * awaits the rows, so a write batch or a leaderboard scan never holds up a tick. In the sources
 * (tsx, vitest) the worker is the .ts file behind tsx's loader (pglite-worker-dev.mjs); in the
 * built package it is `dist/pglite-worker.js`.
 */
export class PGliteThread implements QueryRunner {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: PGliteReply) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: PGliteReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve(m);
    });
    worker.on('exit', (code) => {
      this.exited = new Error(`the embedded database's thread exited (${code})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Start the thread and open PGlite in `dataDir` (undefined: in memory, from `loadDataDir` if given). */
  static async start(dataDir: string | undefined, loadDataDir?: Blob): Promise<PGliteThread> {
    const here = import.meta.url;
    const fromSources = here.endsWith('.ts');
    // From the sources the worker registers tsx's loader first (a built package needs none).
    const worker = new Worker(new URL(fromSources ? './pglite-worker-dev.mjs' : './pglite-worker.js', here), {
      workerData: { dataDir, loadDataDir },
    });
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
    return new PGliteThread(worker);
  }

  private ask(req: Omit<PGliteRequest, 'id'>): Promise<PGliteReply> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ...req } as PGliteRequest);
    });
  }

  async query(sql: string, params: readonly unknown[]): Promise<{ rows: unknown[]; affectedRows: number }> {
    const r = await this.ask({ sql, params: [...params] });
    if ('error' in r) throw Object.assign(new Error(r.error.message), { code: r.error.code });
    if ('closed' in r) throw new Error('the embedded database is closed');
    return r;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    await this.ask({ close: true });
    await this.worker.terminate();
  }
}
