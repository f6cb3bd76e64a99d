import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, type ErrorMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { createLogger, type Logger } from '../logging/logger';
import { monotonicClock, type Clock } from '../loop/clock';
import { RoomManager } from '../rooms/room-manager';
import { resolveRoomType } from '../rooms/room-type';
import { ConnectionState, WsConnection, type ConnectionHost } from '../transport/ws-connection';
import { buildHealth, type HealthReport, type RetiredTotals } from './health';
import type { TickwireServerOptions } from './server-options';

export type { TickwireServerOptions };

/** The built demo, relative to this file. */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../client-demo/dist', import.meta.url));
/** How often timeouts are checked, ms. */
const HOUSEKEEPING_MS = 250;
/** Longest the driver sleeps when no room is due, ms. */
const IDLE_WAKE_MS = 50;
/**
 * Grace past `closeTimeoutMs` before the server drops a socket whose close handshake has not
 * finished, ms: ws's own close timer should have fired by then, so this only catches sockets
 * ws has no timer for (the peer half-closed, or stopped reading with our close frame unsent).
 */
const CLOSE_GRACE_MS = 1000;

/**
 * The tickwire server: one HTTP port serving the demo at `/`, `GET /health`, and the game's
 * WebSocket endpoint at `/ws`.
 *
 * ```ts
 * const server = new TickwireServer({ roomTypes: [defineRoomType({ game: arenaGame })] });
 * const { port } = await server.listen();
 * ```
 */
export class TickwireServer implements ConnectionHost {
  readonly clock: Clock;
  readonly rooms: RoomManager;
  readonly log: Logger;
  readonly messageRate: { perSecond: number; burst: number };
  readonly maxQueuedBytes: number;
  readonly connections = new Set<WsConnection>();
  private readonly options: Required<Pick<TickwireServerOptions, 'port' | 'host' | 'maxConnections' | 'joinTimeoutMs' | 'idleTimeoutMs' | 'closeTimeoutMs' | 'autoTick'>>;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly serveStatic: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | null;
  private readonly retired: RetiredTotals = { ticks: 0, overruns: 0, droppedSteps: 0, snapshotsSent: 0, snapshotsSkipped: 0, bytesSent: 0, inputsStarved: 0, inputsShed: 0, inputsDropped: 0 };
  private readonly closeCodes = new Map<number, number>();
  private readonly startedAt = Date.now();
  private nextConnectionId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastHousekeeping = -Infinity;
  private closePromise: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(options: TickwireServerOptions) {
    if (!options.roomTypes?.length) throw new Error('TickwireServer needs at least one room type in options.roomTypes');
    this.clock = options.clock ?? monotonicClock;
    this.log = options.logger ?? createLogger();
    const tickRate = options.tickRate ?? 30;
    const types = options.roomTypes.map((t) => resolveRoomType(t, { tickRate, sendRate: options.sendRate ?? tickRate, maxPlayers: options.maxPlayers ?? 32 }));
    const topRate = Math.max(...types.map((t) => t.tickRate));
    const perSecond = options.messagesPerSecond ?? 4 * topRate + 20;
    this.messageRate = { perSecond, burst: options.messageBurst ?? perSecond * 2 };
    const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? Math.max(1 << 20, 4 * maxBufferedBytes);
    // Snapshots stop at maxBufferedBytes, but the last one sent may take the queue past it by a
    // whole snapshot: a hard cap too close above would cut off clients that are merely slow.
    if (!(maxBufferedBytes > 0)) throw new RangeError(`maxBufferedBytes must be a positive number of bytes, got ${maxBufferedBytes}`);
    if (!(this.maxQueuedBytes >= 2 * maxBufferedBytes)) {
      throw new RangeError(`maxQueuedBytes (${this.maxQueuedBytes}) must be at least twice maxBufferedBytes (${maxBufferedBytes}): snapshots pause at maxBufferedBytes, and a client is only cut off (4008) well beyond that`);
    }
    this.options = {
      port: options.port ?? 8080,
      host: options.host ?? '0.0.0.0',
      maxConnections: options.maxConnections ?? 5000,
      joinTimeoutMs: options.joinTimeoutMs ?? 5000,
      idleTimeoutMs: options.idleTimeoutMs ?? 15000,
      closeTimeoutMs: options.closeTimeoutMs ?? 2000,
      autoTick: options.autoTick ?? true,
    };
    this.rooms = new RoomManager(types, { log: this.log, maxRooms: options.maxRooms, maxBufferedBytes });
    this.rooms.on('room-disposed', (room) => {
      this.retired.ticks += room.loop.steps;
      this.retired.overruns += room.loop.overruns;
      this.retired.droppedSteps += room.loop.droppedSteps;
      this.retired.snapshotsSent += room.stats.snapshotsSent;
      this.retired.snapshotsSkipped += room.stats.snapshotsSkipped;
      this.retired.bytesSent += room.stats.bytesSent;
      this.retired.inputsStarved += room.stats.inputsStarved;
      this.retired.inputsShed += room.stats.inputsShed;
      this.retired.inputsDropped += room.stats.inputsDropped;
    });
    // A room starts its clock when made, so its first tick is one step after creation.
    this.rooms.on('room-created', (room) => room.loop.start(this.clock.now()));

    const staticDir = options.staticDir === undefined ? DEFAULT_STATIC_DIR : options.staticDir;
    this.serveStatic = staticDir && existsSync(staticDir) ? sirv(staticDir, { etag: true, dev: false }) : null;
    if (staticDir && !this.serveStatic) this.log.warn({ staticDir }, 'demo not built: run `npm run build:demo` (npm start does it for you)');

    this.http = createServer((req, res) => this.onRequest(req, res));
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.maxPayloadBytes ?? 1024,
      clientTracking: false,
      // ws waits this long for a peer's close frame before dropping the socket (its default is
      // 30 s): bounds how long shutdown and a dead player's removal can take. (ws 8 supports
      // it; @types/ws does not list it yet.)
      ...({ closeTimeout: this.options.closeTimeoutMs } as object),
    });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Start listening; resolves with the bound address (use `port: 0` for a free port). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', reject);
        const address = this.http.address() as AddressInfo;
        this.log.info({ port: address.port, host: address.address, roomTypes: this.rooms.typeNames }, 'listening');
        if (this.options.autoTick) this.scheduleDrive();
        resolve(address);
      });
    });
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Run every room's due ticks and the timeout checks at the clock's current time. */
  pump(): void {
    const now = this.clock.now();
    this.rooms.pump(now);
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      this.checkTimeouts(now);
    }
  }

  health(): HealthReport {
    return buildHealth(this.rooms, this.retired, this.connections.size, this.closeCodes, this.startedAt);
  }

  /**
   * Stop ticking, close every client with 1001 (going away), wait until every socket is gone,
   * and stop listening. A peer that does not answer the close handshake is dropped after
   * `closeTimeoutMs`, and any socket still open `closeTimeoutMs` + 1 s after the call is
   * terminated, so shutdown is bounded whatever the peers do. Calling it again returns the
   * same promise.
   */
  close(): Promise<void> {
    return (this.closePromise ??= this.shutDown());
  }

  private get closing(): boolean {
    return this.closePromise !== undefined;
  }

  private async shutDown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.log.info({ connections: this.connections.size, rooms: this.rooms.rooms.size }, 'shutting down');
    const drained = this.connections.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    for (const conn of this.connections) conn.close(CloseCode.GoingAway, 'server shutting down');
    this.rooms.disposeAll(CloseCode.GoingAway, 'server shutting down');
    // Real time, not this.clock: the tick driver has stopped, and a test's ManualClock would
    // never reach the deadline.
    const deadline = setTimeout(() => {
      this.log.warn({ connections: this.connections.size }, 'close handshakes overran; dropping the remaining sockets');
      for (const conn of this.connections) conn.terminate();
    }, this.options.closeTimeoutMs + CLOSE_GRACE_MS);
    await drained;
    clearTimeout(deadline);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.log.info('stopped');
  }

  connectionClosed(conn: WsConnection, code: number, reason: string): void {
    this.connections.delete(conn);
    // The server's own code when it closed first: after a terminate() the socket reports 1006.
    const counted = conn.sentCode ?? code;
    this.closeCodes.set(counted, (this.closeCodes.get(counted) ?? 0) + 1);
    conn.log.info({ code: counted, socketCode: code, reason }, 'connection closed');
    if (this.connections.size === 0) this.drained?.();
  }

  private scheduleDrive(): void {
    if (this.closing) return;
    const wait = Math.min(IDLE_WAKE_MS, this.rooms.msUntilNextStep());
    this.timer = setTimeout(this.drive, Math.max(1, Math.floor(wait)));
  }

  // Made once, so each wake-up schedules the next without allocating a closure.
  private readonly drive = (): void => {
    this.pump();
    this.scheduleDrive();
  };

  private checkTimeouts(now: number): void {
    for (const conn of this.connections) {
      if (conn.state === ConnectionState.Closing) {
        // Its handshake outlived ws's close timer (or ws never started one): free the slot.
        if (now - conn.closingSince > this.options.closeTimeoutMs + CLOSE_GRACE_MS) {
          conn.log.warn({ code: conn.sentCode, closingMs: Math.round(now - conn.closingSince) }, 'close handshake overran; dropping the socket');
          conn.terminate();
        }
      } else if (conn.state === ConnectionState.Joining && now - conn.connectedAt > this.options.joinTimeoutMs) {
        conn.reject(CloseCode.Timeout, `no JOIN within ${this.options.joinTimeoutMs} ms`);
      } else if (conn.state === ConnectionState.Joined) {
        if (now - conn.lastHeardAt > this.options.idleTimeoutMs) {
          // A peer that answers nothing will not complete a close handshake either: drop it now
          // so its player leaves the room at once.
          conn.reject(CloseCode.Timeout, `no message or heartbeat for ${this.options.idleTimeoutMs} ms`);
          conn.terminate();
        }
        else conn.heartbeat(now, this.options.idleTimeoutMs / 3);
      }
    }
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/health') {
      const body = JSON.stringify(this.health());
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    const notFound = () => {
      res.writeHead(this.serveStatic ? 404 : 503, { 'content-type': 'text/plain' });
      res.end(this.serveStatic ? 'not found\n' : 'the demo is not built: run `npm run build:demo`\n');
    };
    if (this.serveStatic && (req.method === 'GET' || req.method === 'HEAD')) this.serveStatic(req, res, notFound);
    else notFound();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops watching a socket once it is handed to 'upgrade': without this
    // listener a reset during a refused upgrade would be an uncaught error.
    socket.on('error', onUpgradeSocketError);
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/ws' || this.closing) {
      socket.end(`HTTP/1.1 ${this.closing ? '503 Service Unavailable' : '404 Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.connections.size >= this.options.maxConnections) {
      // The refused socket can still get frames (and ws 'error's) until it closes.
      ws.on('error', onRefusedSocketError);
      const reason = `server full: ${this.options.maxConnections} connections`;
      this.log.warn({ code: CloseCode.ServerFull, reason, ip: req.socket.remoteAddress }, 'connection refused');
      ws.send(encodeControl(MessageType.Error, { code: CloseCode.ServerFull, message: reason } satisfies ErrorMessage));
      ws.close(CloseCode.ServerFull, reason);
      this.closeCodes.set(CloseCode.ServerFull, (this.closeCodes.get(CloseCode.ServerFull) ?? 0) + 1);
      return;
    }
    const id = this.nextConnectionId++;
    const conn = new WsConnection(id, ws, this, this.log.child({ conn: id, ip: req.socket.remoteAddress }));
    this.connections.add(conn);
  }
}

function onUpgradeSocketError(this: Duplex): void {
  // A client that resets during the handshake: nothing to do but let the socket go.
  this.destroy();
}

function onRefusedSocketError(this: WebSocket): void {
  // ws closes the socket itself after a protocol error; a refused client gets no more attention.
}
