import type { Worker } from 'node:cluster';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';

/** The query parameter that names the node a connection belongs to: `/ws?node=<id>`. */
export const NODE_PARAM = 'node';

/** Primary → worker: a connection, with the bytes already read from it (base64). */
interface StickyMessage {
  type: 'tickwire:connection';
  head: string;
}

/** Longest first packet read to find the request line, bytes. */
const MAX_HEAD_BYTES = 8192;

/**
 * The id named by `?node=` in an HTTP request's first line, or undefined. Only the request
 * line is read: the first packet of a WebSocket upgrade always carries it.
 */
export function routeOf(head: Buffer): string | undefined {
  const end = head.indexOf('\r\n');
  const line = head.subarray(0, end < 0 ? Math.min(head.length, 2048) : end).toString('latin1');
  const m = /^[A-Z]+ (\S+) HTTP\/1\.[01]$/.exec(line);
  if (!m) return undefined;
  const q = m[1]!.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(m[1]!.slice(q + 1)).get(NODE_PARAM) ?? undefined;
}

/** Whether an HTTP request's first line is for WebRTC signalling (`/.wrtc/…`). */
export function isSignalling(head: Buffer): boolean {
  const space = head.indexOf(0x20);
  return space > 0 && head.subarray(space + 1, space + 8).toString('latin1') === '/.wrtc/';
}

/** A stable slot in [0, n) for an address (FNV-1a over its text). */
export function addressSlot(address: string | undefined, n: number): number {
  let h = 0x811c9dc5;
  for (const ch of address ?? '') h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return (h >>> 0) % n;
}

/**
 * `--workers N`: the primary owns the public port and hands each TCP connection, with the
 * bytes it read to route it, to a worker. A request naming `?node=<worker's node id>` (the
 * URLs matchmaking hands out) goes to that worker, so a player reaches the process that holds
 * its seat, and its resumes do too; anything else (the demo, /health, /matchmake, a plain
 * JOIN) goes round robin, except WebRTC signalling, which goes by the client's address. The workers are full tickwire nodes sharing one Redis.
 */
export class StickyFront {
  private readonly server: Server;
  private readonly byNode = new Map<string, Worker>();
  private next = 0;

  constructor(private readonly log: Logger) {
    this.server = createServer({ pauseOnConnect: true }, (socket) => this.route(socket));
  }

  /** The worker that answers for `nodeId` (told by the worker once it is listening). */
  register(nodeId: string, worker: Worker): void {
    this.byNode.set(nodeId, worker);
  }

  unregister(worker: Worker): void {
    for (const [id, w] of this.byNode) if (w === worker) this.byNode.delete(id);
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as { port: number }).port);
      });
    });
  }

  private route(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.once('data', (head: Buffer) => {
      clearTimeout(timer);
      // pause() alone stops 'data' events but not the reads beneath them: bytes that arrive
      // while the handle is on its way (a JOIN sent as soon as the worker answered the upgrade)
      // would be read here and lost. Stop reading on the handle itself.
      socket.pause();
      (socket as unknown as { _handle?: { readStop?: () => number } })._handle?.readStop?.();
      const nodeId = routeOf(head.subarray(0, MAX_HEAD_BYTES));
      // Only workers that said they are ready: one still starting has no handler for the
      // connection yet, and it would be lost.
      const alive = [...new Set(this.byNode.values())].filter((w) => w.isConnected());
      if (alive.length === 0) {
        socket.destroy();
        return;
      }
      const named = nodeId === undefined ? undefined : this.byNode.get(nodeId);
      // WebRTC signalling is several requests (the offer, the answer, candidates, a close),
      // each maybe on its own TCP connection, and all must reach the worker that holds the peer
      // connection: they go by the client's address instead of round robin.
      const byAddress = named === undefined && isSignalling(head) ? alive[addressSlot(socket.remoteAddress, alive.length)] : undefined;
      const worker = named?.isConnected() ? named : (byAddress ?? alive[this.next++ % alive.length]!);
      worker.send({ type: 'tickwire:connection', head: head.toString('base64') } satisfies StickyMessage, socket, (err) => {
        if (err) {
          this.log.warn({ err: err.message }, 'could not hand a connection to a worker');
          socket.destroy();
        }
      });
    });
    socket.resume();
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** In a worker: take the connections the primary hands over and serve them as if accepted here. */
export function adoptStickyConnections(adopt: (socket: Socket, head: Buffer) => void): void {
  process.on('message', (msg: StickyMessage, socket?: Socket) => {
    if (msg?.type !== 'tickwire:connection' || !socket) return;
    adopt(socket, Buffer.from(msg.head, 'base64'));
  });
}
