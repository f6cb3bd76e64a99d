import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AdminBinding, Listener } from './operator-access';

/** Sockets the admin listener holds at once: a few scrapers and monitor tabs. */
const ADMIN_MAX_SOCKETS = 32;
/** Requests one socket may carry, on either listener: a pipelined flood ends after this many. */
const MAX_REQUESTS_PER_SOCKET = 100;
/** Headers a request may carry (Node's default is 2,000). */
const MAX_HEADERS_COUNT = 64;
/** TCP sockets beyond `maxConnections` the game port takes: room for the game and some HTTP besides. */
const HTTP_SOCKET_HEADROOM = 256;

/** How the HTTP listeners bound slow and greedy clients. */
export interface HttpListenerLimits {
  /** Time a client has to send its request headers, ms (default 10,000). */
  headersTimeoutMs: number;
  /** Game connections at once; the game port takes 256 TCP sockets more. */
  maxConnections: number;
}

/**
 * The server's HTTP listeners: the game port (the demo, the game's upgrades, the public routes)
 * and, with `admin`, the operators' own port. Both hand every request to `onRequest`, saying
 * which listener it came in on.
 */
export class HttpListeners {
  /** The game port's server: upgrades and TCP connections are watched on it. */
  readonly game: Server;
  /** The admin listener (operator routes and /health), when `admin` is set. */
  private readonly admin: Server | undefined;

  constructor(
    limits: HttpListenerLimits,
    private readonly adminBinding: AdminBinding | undefined,
    onRequest: (req: IncomingMessage, res: ServerResponse, via: Listener) => void,
  ) {
    // Node's defaults wait 60 s for headers and 5 min for a request: a slowloris holds sockets
    // that long. Bounded here, and a socket serves at most 100 requests (pipelined floods).
    const headersTimeout = limits.headersTimeoutMs;
    this.game = createServer(
      {
        headersTimeout,
        requestTimeout: Math.max(headersTimeout, 15_000),
        keepAliveTimeout: 5_000,
        maxHeaderSize: 8192,
        // How often Node looks for requests past their timeouts (its default, 30 s, would let a
        // slowloris hold a socket for 40 s).
        connectionsCheckingInterval: Math.min(1000, headersTimeout),
      },
      (req, res) => onRequest(req, res, 'public'),
    );
    this.game.maxHeadersCount = MAX_HEADERS_COUNT;
    this.game.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
    // Every TCP socket counts, game sockets included.
    this.game.maxConnections = limits.maxConnections + HTTP_SOCKET_HEADROOM;
    // The operators' own port: the same timeouts, a few sockets, no game and no per-address rates
    // (its peers are on this host, which a same-host proxy's traffic on the game port shares).
    this.admin = adminBinding
      ? createServer(
          { headersTimeout, requestTimeout: Math.max(headersTimeout, 15_000), keepAliveTimeout: 5_000, maxHeaderSize: 8192 },
          (req, res) => onRequest(req, res, 'admin'),
        )
      : undefined;
    if (this.admin) {
      this.admin.maxConnections = ADMIN_MAX_SOCKETS;
      this.admin.maxRequestsPerSocket = MAX_REQUESTS_PER_SOCKET;
    }
  }

  /**
   * Bind the game port, then the admin port; if the admin port cannot be had, the game port is
   * let go again. Rejects when a port cannot be had.
   */
  async listen(port: number, host: string): Promise<AddressInfo> {
    await bind(this.game, port, host);
    if (this.admin) {
      try {
        await bind(this.admin, this.adminBinding!.port, this.adminBinding!.host);
      } catch (err) {
        await new Promise((resolve) => this.game.close(resolve));
        throw err;
      }
    }
    return this.game.address() as AddressInfo;
  }

  /** The game port once listening (0 before). */
  get port(): number {
    return (this.game.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The admin listener's port once listening (0 when there is none). */
  get adminPort(): number {
    return (this.admin?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Serve a TCP connection accepted elsewhere, whose first bytes `head` were already read. */
  adopt(socket: Socket, head: Buffer): void {
    this.game.emit('connection', socket);
    socket.unshift(head);
    socket.resume();
  }

  /** Drop every socket and stop listening, the game port first. */
  async close(): Promise<void> {
    this.game.closeAllConnections();
    await new Promise<void>((resolve) => this.game.close(() => resolve()));
    if (this.admin?.listening) {
      this.admin.closeAllConnections();
      await new Promise<void>((resolve) => this.admin!.close(() => resolve()));
    }
  }
}

/** Listen on `port` and `host`; rejects when the port cannot be had. */
function bind(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
