import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { StickyFront } from '../cluster/sticky-front';
import type { ServerCliOptions } from './server-cli-options';

/** A worker that dies this soon after starting is not restarted again (a crash loop), ms. */
const CRASH_LOOP_MS = 5000;

/**
 * `npm start -- --workers N`: this process owns the port and routes connections (see
 * {@link StickyFront}); N worker processes run the game, each a full node sharing Redis. A
 * worker that dies is replaced; SIGTERM/SIGINT drain every worker, then the primary exits.
 */
export async function runWorkersPrimary(opts: ServerCliOptions, log: Logger): Promise<void> {
  const front = new StickyFront(log);
  let readyCount = 0;
  let allReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (allReady = resolve));
  let stopping = false;
  let listening = false;
  const startedAt = new Map<Worker, number>();
  const fork = (index: number): void => {
    const worker = cluster.fork({ TICKWIRE_WORKER_INDEX: String(index) });
    startedAt.set(worker, Date.now());
    worker.on('message', (msg: { type?: string; nodeId?: string }) => {
      if (msg?.type === 'tickwire:ready' && msg.nodeId) {
        front.register(msg.nodeId, worker);
        if (++readyCount === opts.workers) allReady();
        log.info({ worker: index, pid: worker.process.pid, node: msg.nodeId }, 'worker ready');
      }
    });
    worker.on('exit', (code, signal) => {
      front.unregister(worker);
      if (stopping) return;
      if (!listening) {
        // A worker that cannot start (Redis unreachable, a bad setting) is a setup error:
        // stop rather than wait for a port that would never open. Its own log says why.
        log.fatal({ worker: index, code, signal }, 'a worker failed to start; stopping');
        stopping = true;
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        process.exit(1);
      }
      const lived = Date.now() - (startedAt.get(worker) ?? 0);
      log.error(
        { worker: index, code, signal, livedMs: lived },
        lived < CRASH_LOOP_MS ? 'worker died at startup; not restarting' : 'worker died; restarting',
      );
      if (lived >= CRASH_LOOP_MS) fork(index);
      else if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
    });
  };
  for (let i = 0; i < opts.workers; i++) fork(i);
  // The port opens once every worker can take connections.
  await ready;
  const port = await front.listen(opts.port, opts.host);
  listening = true;
  log.info({ port, host: opts.host, workers: opts.workers }, 'listening (workers)');
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'signal received; draining the workers');
    void front.close();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const w of workers) {
      w.once('exit', () => {
        if (--left === 0) {
          log.info('stopped');
          process.exit(0);
        }
      });
      w.process.kill('SIGTERM');
    }
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * Worker `index` of `workers` takes its own slice of the WebRTC port range (each worker's data
 * channels share one UDP socket, bound in its slice): 50000-50003 with 4 workers gives worker
 * i port 50000 + i. No range: each worker's socket takes a free port.
 */
export function workerPorts(
  range: { min: number; max: number } | undefined,
  index: number,
  workers: number,
): { min: number; max: number } | undefined {
  if (!range) return undefined;
  const size = Math.floor((range.max - range.min + 1) / workers);
  return { min: range.min + index * size, max: range.min + (index + 1) * size - 1 };
}
