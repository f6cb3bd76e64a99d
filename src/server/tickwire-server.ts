import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import { WebSocketServer } from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, MAX_TOKEN_LENGTH, type ErrorMessage, type NoticeMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { createTokenVerifier, DEFAULT_CLOCK_TOLERANCE_SEC, type TokenVerifier } from '../auth/token-verifier';
import { authWarnings, DEFAULT_EXPIRY_NOTICE_SEC } from '../auth/auth-options';
import type { TokenPolicy } from '../session/token-lifetime';
import { escapeForLog, LogSampler } from '../logging/log-sampler';
import { createLogger, type Logger } from '../logging/logger';
import { monotonicClock, type Clock } from '../loop/clock';
import { realLoopTimers, type LoopTimers, type TimerHandle } from '../loop/timers';
import { RoomManager } from '../rooms/room-manager';
import { resolveRoomType } from '../rooms/room-type';
import { Session, SessionState, type SessionHost, type TrafficCounters } from '../session/session';
import { MemoryLink, type MemoryLinkOptions } from '../transport/memory-transport';
import type { ServerTransport } from '../transport/transport';
import { WsTransport } from '../transport/ws-transport';
import { FrontDoor } from './front-door';
import { addRoomTotals, buildHealth, newRoomTotals, type HealthReport } from './health';
import { ServerMetrics } from './metrics';
import { monitorData as buildMonitorData } from './monitor-data';
import { handleOperatorRequest, OperatorAccess, OPERATOR_PATHS, type Listener } from './operator-routes';
import { isLoopbackAddress } from './address-key';
import { MatchmakeRoute } from './matchmake-route';
import type { DatagramTimers } from '../../shared/datagram/datagram-link';
import type { WebRtcHost } from '../transport/webrtc/webrtc-gateway';
import type { WebRtcGatewayLike, WebRtcOptions } from '../transport/webrtc/webrtc-options';
import type { WebRtcTransport } from '../transport/webrtc/webrtc-transport';
import type { TickwireServerOptions } from './server-options';
import type { RoomMoveOptions } from '../cluster/room-mover';
import { NodePresence } from '../cluster/node-presence';
import { MemoryRegistry } from '../cluster/memory-registry';
import { RedisRegistry } from '../cluster/redis-registry';
import { redactTokenParam, redactUrl } from '../logging/redact-url';
import type { ClusterRegistry } from '../cluster/cluster-registry';
import { Matchmaker } from '../cluster/matchmaker';
import { ClusterBus, type BusMessage } from '../cluster/cluster-bus';
import { ChatService } from '../chat/chat-service';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { NotificationService } from '../notifications/notification-service';
import type { TickwireData } from '../persistence/tickwire-data';
import { handleProfileRequest, type ProfileRoutesHost } from './profile-routes';
import { NodeRpc } from '../cluster/node-rpc';
import { RoomMover } from '../cluster/room-mover';
import type { NodeListing } from '../cluster/cluster-registry';
import type { Room } from '../rooms/room';

export type { TickwireServerOptions };

/** The built demo, relative to this file. */
export const DEFAULT_STATIC_DIR =
  [
    // From the sources (src/server/) and from the package build (dist/).
    fileURLToPath(new URL('../../client-demo/dist', import.meta.url)),
    fileURLToPath(new URL('../client-demo/dist', import.meta.url)),
  ].find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../client-demo/dist', import.meta.url));
/** How often timeouts are checked, ms. */
const HOUSEKEEPING_MS = 250;
/** /health is built at most this often, ms: a flood of health checks costs one build a second. */
const HEALTH_CACHE_MS = 1000;
/** Longest the driver sleeps when no room is due, ms. */
const IDLE_WAKE_MS = 50;
/** Paths geckos.io signals on (see WebRtcGateway). */
const WEBRTC_SIGNAL_PREFIX = '/.wrtc/v2/';
/** Where a client asks whether WebRTC is on before signalling (the SDK's 'auto' does). */
const WEBRTC_STATUS_PATH = '/.wrtc/status';

/**
 * Whether this server takes WebRTC, as JSON a client recognizes: `{"webrtc":"on"|"off"}`, 200 on
 * the status path, 404 on a signalling path of a server with it off (an SDK that signals
 * without asking learns the same). Any origin may read it: it says only on or off.
 */
function answerWebRtcStatus(res: ServerResponse, statusPath: boolean, on: boolean): void {
  res.writeHead(statusPath ? 200 : 404, {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    'cache-control': 'no-store',
  });
  res.end(on ? '{"webrtc":"on"}' : '{"webrtc":"off"}');
}
/** A wake-up this late, ms, means the process stalled: see `drive`. */
const STALL_MS = 50;
/**
 * Grace past `closeTimeoutMs` before the server drops a socket whose close handshake has not
 * finished, ms: ws's own close timer should have fired by then, so this only catches sockets
 * ws has no timer for (the peer half-closed, or stopped reading with our close frame unsent).
 */
const CLOSE_GRACE_MS = 1000;
/** Sockets the admin listener holds at once: a few scrapers and monitor tabs. */
const ADMIN_MAX_SOCKETS = 32;

/** Where a connection came from, for logs and (later) per-address limits. */
export interface ConnectionInfo {
  /** The peer's address. */
  remoteAddress: string | undefined;
  /** A bearer token that came with the connection (the `token` query parameter). */
  token?: string;
}

/**
 * The tickwire server: one HTTP port serving the demo at `/`, `GET /health`, and the game's
 * WebSocket endpoint at `/ws`.
 *
 * ```ts
 * const server = new TickwireServer({ roomTypes: [defineRoomType({ game: arenaGame })] });
 * const { port } = await server.listen();
 * ```
 */
export class TickwireServer implements SessionHost {
  readonly clock: Clock;
  readonly rooms: RoomManager;
  readonly log: Logger;
  readonly messageRate: { perSecond: number; burst: number };
  readonly maxQueuedBytes: number;
  readonly auth: TokenVerifier | undefined;
  readonly tokenPolicy: TokenPolicy | undefined;
  readonly logSampler: LogSampler;
  /** Per-address limits and who the client is behind proxies. */
  readonly frontDoor: FrontDoor;
  private healthCache: { at: number; body: string } | undefined;
  private readonly tickets = new WeakMap<Session, DoorTicket>();
  /** Every open session, whatever its transport. */
  readonly sessions = new Set<Session>();
  private readonly options: Required<
    Pick<
      TickwireServerOptions,
      'port' | 'host' | 'maxConnections' | 'joinTimeoutMs' | 'idleTimeoutMs' | 'closeTimeoutMs' | 'autoTick' | 'drainMs' | 'readStallMs'
    >
  >;
  private readonly maxBufferedBytes: number;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly serveStatic: ((req: IncomingMessage, res: ServerResponse, next: () => void) => void) | null;
  private readonly retired = newRoomTotals();
  private readonly closeCodes = new Map<number, number>();
  /** Messages and bytes in and out over every session (read by the metrics). */
  readonly traffic: TrafficCounters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  /** Prometheus metrics at /metrics (undefined with `metrics: false`). */
  readonly metrics: ServerMetrics | undefined;
  /** `POST /matchmake` and the seats this node holds for matchmade players. */
  readonly matchmaking: MatchmakeRoute;
  /** Who may use the operator routes (see {@link OperatorAccess}). */
  private readonly operatorAccess: OperatorAccess;
  /** The admin listener (operator routes and /health), when `admin` is set. */
  private readonly adminHttp: Server | undefined;
  private readonly adminOptions: { port: number; host: string } | undefined;
  /** This node in the cluster registry; set by listen(). */
  cluster: NodePresence | undefined;
  /** Join-or-create across the cluster (`POST /matchmake`); set by listen(). */
  matchmaker: Matchmaker | undefined;
  private rpc: NodeRpc | undefined;
  /** Hands live rooms to other nodes on a drain, and takes theirs (Redis only; see RoomMover). */
  mover: RoomMover | undefined;
  /**
   * Messages across nodes (set by listen()): notices to every player or to one identity, and
   * topics for game code. In memory without Redis: this node alone.
   */
  bus: ClusterBus | undefined;
  /** Room chat and the lobby (undefined with `chat: false`). */
  readonly chat: ChatService | undefined;
  /** Per-user notices: stored and delivered on connect with `data`, else to who is online. */
  readonly notifications: NotificationService;
  /** Profiles, chat history, notifications: the `data` option. */
  readonly data: TickwireData | undefined;
  /** What GET /profiles and /leaderboard read through (with `data`). */
  private readonly profileRoutes: ProfileRoutesHost | undefined;
  private readonly clusterOptions: TickwireServerOptions['cluster'];
  private readonly startedAt = Date.now();
  private nextConnectionId = 1;
  private timer: TimerHandle | undefined;
  private readonly driveTimers: LoopTimers;
  private lastHousekeeping = -Infinity;
  private closePromise: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  /** Set while draining: when the drain ends (ms on the clock) and how to end it. */
  private drainDeadline = Number.NaN;
  private endDrain: (() => void) | undefined;
  private draining_ = false;
  /** Set when the drain is over and the rooms stop: the tick driver stops with it. */
  private stopped = false;
  /** When the tick timer should fire, ms on the server clock; and whether a late one deferred. */
  private wakeAt = 0;
  private deferredDrive = false;

  constructor(options: TickwireServerOptions) {
    if (!options.roomTypes?.length) throw new Error('TickwireServer needs at least one room type in options.roomTypes');
    this.clock = options.clock ?? monotonicClock;
    this.driveTimers = options.driveTimers ?? realLoopTimers;
    this.log = options.logger ?? createLogger();
    const tickRate = options.tickRate ?? 30;
    const resumeWindowMs = options.resumeWindowMs ?? 20_000;
    const types = options.roomTypes.map((t) =>
      resolveRoomType(t, { tickRate, sendRate: options.sendRate ?? tickRate, maxPlayers: options.maxPlayers ?? 32, resumeWindowMs }),
    );
    const topRate = Math.max(...types.map((t) => t.tickRate));
    const perSecond = options.messagesPerSecond ?? 4 * topRate + 20;
    this.messageRate = { perSecond, burst: options.messageBurst ?? perSecond * 2 };
    const maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024;
    this.maxQueuedBytes = options.maxQueuedBytes ?? Math.max(1 << 20, 4 * maxBufferedBytes);
    // Snapshots stop at maxBufferedBytes, but the last one sent may take the queue past it by a
    // whole snapshot: a hard cap too close above would cut off clients that are merely slow.
    if (!(maxBufferedBytes > 0)) throw new RangeError(`maxBufferedBytes must be a positive number of bytes, got ${maxBufferedBytes}`);
    if (!(this.maxQueuedBytes >= 2 * maxBufferedBytes)) {
      throw new RangeError(
        `maxQueuedBytes (${this.maxQueuedBytes}) must be at least twice maxBufferedBytes (${maxBufferedBytes}): snapshots pause at maxBufferedBytes, and a client is only cut off (4008) well beyond that`,
      );
    }
    this.options = {
      port: options.port ?? 8080,
      host: options.host ?? '0.0.0.0',
      maxConnections: options.maxConnections ?? 5000,
      joinTimeoutMs: options.joinTimeoutMs ?? 5000,
      idleTimeoutMs: options.idleTimeoutMs ?? 15000,
      closeTimeoutMs: options.closeTimeoutMs ?? 2000,
      autoTick: options.autoTick ?? true,
      drainMs: options.drainMs ?? 0,
      readStallMs: options.readStallMs ?? 8000,
    };
    this.maxBufferedBytes = maxBufferedBytes;
    if (!(this.options.readStallMs > this.options.idleTimeoutMs / 3)) {
      throw new RangeError(
        `readStallMs (${this.options.readStallMs}) must be more than idleTimeoutMs / 3 (${this.options.idleTimeoutMs / 3}): heartbeats go that often, and a reading client must have time to answer one`,
      );
    }
    if (!(this.options.drainMs >= 0)) throw new RangeError(`drainMs must be ≥ 0 ms, got ${this.options.drainMs}`);
    this.auth = options.auth ? createTokenVerifier(options.auth) : undefined;
    const auth = options.auth;
    this.tokenPolicy = auth && {
      noticeLeadMs: (auth.expiryNoticeSec ?? DEFAULT_EXPIRY_NOTICE_SEC) * 1000,
      graceMs: (auth.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC) * 1000,
      wallNow: auth.now ?? Date.now,
    };
    for (const warning of auth ? authWarnings(auth) : []) this.log.warn(warning);
    this.logSampler = new LogSampler(options.logBurst ?? 5);
    this.frontDoor = new FrontDoor(options.frontDoor, this.messageRate.perSecond);
    const mm = options.matchmaking ?? {};
    this.rooms = new RoomManager(types, {
      log: this.log,
      maxRooms: options.maxRooms,
      maxBufferedBytes,
      roomId: options.roomId,
      maxReservations: mm.maxReservations,
    });
    // Load tests from one machine lift every per-address limit at once (perIpLimits: false).
    this.matchmaking = new MatchmakeRoute(this, mm, options.frontDoor?.perIpLimits ?? true, options.cluster?.reservationTtlMs ?? 10_000);
    this.rooms.on('room-disposed', (room) => addRoomTotals(this.retired, room));
    // A room starts its clock when made, so its first tick is one step after creation.
    this.rooms.on('room-created', (room) => {
      room.loop.start(this.clock.now());
      room.tickTimer = this.metrics?.tickTimer(room.type.name);
    });
    if (options.admin) {
      const host = options.admin.host ?? '127.0.0.1';
      this.adminOptions = { port: options.admin.port, host };
      // Off loopback the admin port is as open as the game port: only the token lets anyone in.
      if (!isLoopbackHost(host) && !options.operatorToken)
        throw new RangeError(
          `the admin listener on ${host} is reachable from other machines: set operatorToken (--operator-token), or bind it to 127.0.0.1`,
        );
    }
    this.operatorAccess = new OperatorAccess(
      options.operatorToken,
      this.adminOptions !== undefined && isLoopbackHost(this.adminOptions.host),
      () => (this.adminPort ? `${this.adminOptions!.host}:${this.adminPort}` : undefined),
    );
    this.clusterOptions = options.cluster;
    this.data = options.data;
    // The bus comes with listen(): chat and notices attach to it there.
    this.chat =
      options.chat === false
        ? undefined
        : new ChatService({ clock: this.clock, log: this.log, store: this.data?.chat, reads: this.frontDoor.dataReads }, options.chat);
    this.profileRoutes = this.data && {
      profiles: this.data.profiles,
      auth: this.auth,
      frontDoor: this.frontDoor,
      clock: this.clock,
      warn: (ip, fields, msg) => this.logSampler.write(this.log, 'warn', ip, this.clock.now(), fields, msg),
    };
    this.notifications = new NotificationService({
      log: this.log,
      store: this.data?.notifications,
      sessionsOf: (userId) => this.sessionsOfUser(userId),
    });
    this.rooms.on('room-disposed', (room) => this.chat?.roomDisposed(room.id));
    this.metrics = options.metrics === false ? undefined : new ServerMetrics(this);

    const staticDir = options.staticDir === undefined ? DEFAULT_STATIC_DIR : options.staticDir;
    this.serveStatic = staticDir && existsSync(staticDir) ? sirv(staticDir, { etag: true, dev: false }) : null;
    if (staticDir && !this.serveStatic)
      this.log.warn({ staticDir }, 'demo not built: run `npm run build:demo` (npm start does it for you)');

    // Node's defaults wait 60 s for headers and 5 min for a request: a slowloris holds sockets
    // that long. Bounded here, and a socket serves at most 100 requests (pipelined floods).
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    this.http = createServer(
      {
        headersTimeout,
        requestTimeout: Math.max(headersTimeout, 15_000),
        keepAliveTimeout: 5_000,
        maxHeaderSize: 8192,
        // How often Node looks for requests past their timeouts (its default, 30 s, would let a
        // slowloris hold a socket for 40 s).
        connectionsCheckingInterval: Math.min(1000, headersTimeout),
      },
      (req, res) => this.onRequest(req, res, 'public'),
    );
    this.http.maxHeadersCount = 64;
    this.http.maxRequestsPerSocket = 100;
    // Every TCP socket counts, game sockets included: room for the game and some HTTP besides.
    this.http.maxConnections = this.options.maxConnections + 256;
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
    // The operators' own port: the same timeouts, a few sockets, no game and no per-address rates
    // (its peers are on this host, which a same-host proxy's traffic on the game port shares).
    this.adminHttp = this.adminOptions
      ? createServer(
          { headersTimeout, requestTimeout: Math.max(headersTimeout, 15_000), keepAliveTimeout: 5_000, maxHeaderSize: 8192 },
          (req, res) => this.onRequest(req, res, 'admin'),
        )
      : undefined;
    if (this.adminHttp) {
      this.adminHttp.maxConnections = ADMIN_MAX_SOCKETS;
      this.adminHttp.maxRequestsPerSocket = 100;
    }
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('connection', (socket: Socket) => this.onTcpConnection(socket));
    this.webrtcOptions = options.webrtc?.enabled ? options.webrtc : undefined;
    this.maxPayloadBytes = options.maxPayloadBytes ?? 1024;
  }

  /** The WebRTC gateway, once listening with `webrtc.enabled`. */
  webrtc: WebRtcGatewayLike | undefined;
  private readonly webrtcOptions: WebRtcOptions | undefined;
  private readonly maxPayloadBytes: number;

  /**
   * Start the WebRTC gateway. geckos.io (and its native WebRTC stack) is loaded only here: a
   * WebSocket-only server never needs it installed (it is an optional peer dependency).
   */
  private async startWebRtc(options: WebRtcOptions): Promise<void> {
    let mod: typeof import('../transport/webrtc/webrtc-gateway');
    try {
      mod = await import('../transport/webrtc/webrtc-gateway');
    } catch (err) {
      throw new Error(
        `WebRTC needs @geckos.io/server 3.1 on node-datachannel 0.33: npm install @geckos.io/server@~3.1.0 node-datachannel@~0.33.4, with "overrides": { "node-datachannel": "$node-datachannel" } in your package.json (${(err as Error).message})`,
      );
    }
    // Real time, not this.clock: retransmissions run on the network's time, as TCP's do for
    // WebSocket (a test's ManualClock would freeze them).
    const timers: DatagramTimers = {
      now: () => performance.now(),
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.webrtc = new mod.WebRtcGateway(options, this.webrtcHost(), timers, this.maxPayloadBytes);
  }

  /** How the WebRTC gateway admits, hands over and releases its channels: as the WebSocket path does. */
  private webrtcHost(): WebRtcHost {
    const tickets = new Map<WebRtcTransport, DoorTicket>();
    return {
      admit: (req, ip) =>
        this.closing ? { status: 503, reason: 'the server is shutting down' } : this.frontDoor.admitUpgrade(req, ip, this.clock.now()),
      accept: (transport, ip) => {
        const ticket: DoorTicket = { ip, joined: false };
        tickets.set(transport, ticket);
        const session = this.acceptTransport(transport, { remoteAddress: ip });
        if (!session) return false;
        this.tickets.set(session, ticket);
        session.addressBudget = this.frontDoor.messageBudget(ip, this.clock.now());
        return true;
      },
      closed: (ip, transport) => {
        const ticket = transport ? tickets.get(transport) : undefined;
        if (transport) tickets.delete(transport);
        this.frontDoor.closed(ip, ticket?.joined ?? false, this.clock.now());
      },
      log: (level, fields, msg) => this.logSampler.write(this.log, level, String(fields.ip ?? 'unknown'), this.clock.now(), fields, msg),
    };
  }

  /** Start listening; resolves with the bound address (use `port: 0` for a free port). */
  async listen(): Promise<AddressInfo> {
    if (this.webrtcOptions && !this.webrtc) await this.startWebRtc(this.webrtcOptions);
    if (!this.cluster) {
      await this.joinCluster();
      this.chat?.attach(this.bus!, this.cluster!.nodeId);
      this.notifications.attach(this.bus!);
      await this.chat?.start();
    }
    try {
      await bind(this.http, this.options.port, this.options.host);
      if (this.adminHttp) {
        try {
          await bind(this.adminHttp, this.adminOptions!.port, this.adminOptions!.host);
        } catch (err) {
          await new Promise((resolve) => this.http.close(resolve));
          throw err;
        }
      }
    } catch (err) {
      // A port is taken: leave the cluster again rather than advertise a node nobody reaches.
      const presence = this.cluster;
      this.cluster = undefined;
      void this.rpc?.close();
      this.bus?.close();
      await presence?.stop();
      throw err;
    }
    const address = this.http.address() as AddressInfo;
    this.log.info(
      {
        port: address.port,
        host: address.address,
        adminPort: this.adminPort || undefined,
        roomTypes: this.rooms.typeNames,
        auth: this.auth !== undefined,
        webrtc: this.webrtc !== undefined,
        cluster: this.cluster?.registry.kind,
        node: this.cluster?.nodeId,
      },
      'listening',
    );
    if (this.options.autoTick) this.startTicking();
    return address;
  }

  /**
   * Start the tick driver (listen() does this with `autoTick` on): for a server reached only
   * through {@link openMemoryLink}, such as the netcode bench's. Calling it again does nothing.
   */
  startTicking(): void {
    if (this.timer === undefined) this.scheduleDrive();
  }

  /** The admin listener's port once listening (0 when there is none). */
  get adminPort(): number {
    return (this.adminHttp?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Connect the cluster registry (Redis with `cluster.redisUrl`, else memory) and publish this node. */
  private async joinCluster(): Promise<void> {
    const o = this.clusterOptions ?? {};
    let registry: ClusterRegistry;
    if (o.redisUrl) {
      registry = await RedisRegistry.connect({ url: o.redisUrl, keyPrefix: o.keyPrefix, nodeTtlMs: o.nodeTtlMs });
      this.log.info({ redis: redactUrl(o.redisUrl), keyPrefix: o.keyPrefix ?? 'tickwire:' }, 'cluster: registry in Redis');
    } else {
      registry = new MemoryRegistry(this.clock, o.nodeTtlMs);
    }
    this.cluster = new NodePresence(registry, this.rooms, {
      ...o,
      startedAt: this.startedAt,
      isDraining: () => this.draining,
      log: this.log,
    });
    if (o.stickyRoute) this.rooms.nodeRoute = this.cluster.nodeId;
    if (registry instanceof RedisRegistry) {
      this.rpc = await NodeRpc.start(registry.redis, o.keyPrefix ?? 'tickwire:', this.cluster.nodeId, this.matchmaking.reserveHere);
      if (o.roomMoves !== false && o.roomMoves?.enabled !== false) {
        this.mover = this.makeMover(registry, o.keyPrefix ?? 'tickwire:', o.roomMoves);
        this.rpc.importHandler = this.mover.importRoom;
      }
    }
    this.matchmaker = new Matchmaker(this.cluster, this.matchmaking.reserveHere, this.rpc, this.log, o.stickyRoute);
    this.bus = new ClusterBus(this.cluster.nodeId, this.deliverBusMessage, this.log);
    if (registry instanceof RedisRegistry) await this.bus.connectRedis(registry.redis, o.keyPrefix ?? 'tickwire:');
    await this.cluster.start();
  }

  private makeMover(registry: RedisRegistry, keyPrefix: string, options: RoomMoveOptions | undefined): RoomMover {
    const chat = this.chat;
    return new RoomMover(
      {
        rooms: this.rooms,
        clock: this.clock,
        log: this.log,
        nodeId: this.cluster!.nodeId,
        registry,
        redis: registry.redis,
        keyPrefix,
        rpc: this.rpc!,
        draining: () => this.draining,
        chatLines: (roomId) => chat?.roomLines(roomId) ?? [],
        restoreChat: (roomId, lines) => chat?.restoreRoom(roomId, lines),
        movedOut: (room, target) => this.tellMoved(room, target),
      },
      options,
    );
  }

  /** `room` runs on `target` now: each of its players is told where (NOTICE 'move') and closed 4016, its seat let go here. */
  private tellMoved(room: Room, target: NodeListing): void {
    const notice = encodeControl(MessageType.Notice, {
      kind: 'move',
      message: 'this server is shutting down: your game goes on on another server',
      node: target.id,
      url: target.publicUrl,
    } satisfies NoticeMessage);
    for (const session of this.sessions) if (session.room === room) session.moveOut(notice, `room moved to node ${target.id}`);
  }

  /** A notice from the bus to this node's players: everyone joined, or one identity's links. */
  private readonly deliverBusMessage = (msg: BusMessage): void => {
    if (msg.kind === 'topic') return;
    const notice = encodeControl(MessageType.Notice, {
      kind: msg.kind === 'notice-all' ? 'info' : 'direct',
      message: msg.message,
    } satisfies NoticeMessage);
    // One encoding for everyone: a transport that keeps bytes (WebRTC's resend buffer) copies them itself.
    if (msg.kind === 'notice-user') for (const session of this.sessionsOfUser(msg.userId)) session.send(notice);
    else for (const session of this.sessions) if (session.room) session.send(notice);
  };

  /** This node's joined sessions of one identity (a user may have several tabs). */
  private *sessionsOfUser(userId: string): Iterable<Session> {
    for (const session of this.sessions) if (session.room && session.identity?.userId === userId) yield session;
  }

  /**
   * Serve a TCP connection accepted elsewhere (the `--workers` primary), whose first bytes
   * `head` were read to route it: it goes through the same per-address checks as one accepted here.
   */
  adoptConnection(socket: Socket, head: Buffer): void {
    this.http.emit('connection', socket);
    socket.unshift(head);
    socket.resume();
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Run every room's due ticks and the timeout checks at the clock's current time. */
  pump(): void {
    const now = this.clock.now();
    this.rooms.pump(now);
    this.chat?.flush();
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      this.checkTimeouts(now);
      this.rooms.expireSeats(now);
      this.matchmaking.prune(now);
      this.logSampler.prune(now);
      this.frontDoor.prune(now);
    }
    if (this.endDrain && (now >= this.drainDeadline || this.sessions.size === 0)) this.endDrain();
  }

  health(): HealthReport {
    const report = buildHealth(this.rooms, this.retired, this.sessions.size, this.closeCodes, this.startedAt, this.draining);
    const w = this.webrtc;
    report.webrtc = w
      ? {
          channelsOpened: w.opened,
          refused: w.refused,
          datagramsDropped: w.counters.datagramsDropped,
          retransmits: w.counters.retransmits,
          attemptsPending: w.attemptsPending,
          attemptsAbandoned: w.attemptsAbandoned,
          bodiesRefused: w.bodiesRefused,
          bodyBytesRead: w.bodyBytesRead,
        }
      : null;
    report.cluster = this.cluster ? { ...this.cluster.stats, roomMoves: this.mover && { ...this.mover.stats } } : null;
    report.chat = this.chat?.report ?? null;
    report.notifications = { ...this.notifications.stats };
    report.data = this.data?.stats ?? null;
    const reads = this.frontDoor.dataReads;
    report.dataReads = { inFlight: reads.active, refused: reads.refused, max: reads.max };
    return report;
  }

  /** True from the start of {@link close}: new connections and joins are refused. */
  get draining(): boolean {
    return this.draining_;
  }

  /**
   * Shut down gracefully. First the drain (`drainMs`, default 0): stop accepting connections
   * and joins, tell every client with a NOTICE (kind 'shutdown', seconds left) while the rooms
   * keep ticking, and wait until the drain time is up or every client has gone. Then stop
   * ticking, close every client with 1001 (going away), wait until every link is gone, and
   * stop listening. A peer that does not answer the close handshake is dropped after
   * `closeTimeoutMs`, and any link still open `closeTimeoutMs` + 1 s after that is terminated,
   * so shutdown is bounded whatever the peers do. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    return (this.closePromise ??= this.drainThenShutDown());
  }

  private get closing(): boolean {
    return this.closePromise !== undefined;
  }

  private async drainThenShutDown(): Promise<void> {
    this.draining_ = true;
    // Tell the cluster at once: a draining node takes no new rooms.
    void this.cluster?.heartbeat();
    const drainMs = this.options.drainMs;
    // Rooms that may move are offered to other nodes first; their players hear of the drain
    // only if theirs stays (a shutdown notice would send them matchmaking).
    const moving = this.mover?.candidates() ?? new Set<Room>();
    const notice = encodeControl(MessageType.Notice, {
      kind: 'shutdown',
      message: 'the server is shutting down',
      secondsLeft: drainMs / 1000,
    } satisfies NoticeMessage);
    const tell = drainMs > 0;
    if (tell) for (const session of this.sessions) if (!session.room || !moving.has(session.room)) session.send(notice);
    if (moving.size > 0) {
      const started = performance.now();
      const moved = await this.mover!.moveAll(moving);
      const ms = Math.round(performance.now() - started);
      this.log.info({ rooms: moving.size, moved: moved.size, ms }, 'draining: live rooms offered to other nodes');
      if (tell)
        for (const session of this.sessions) if (session.room && moving.has(session.room) && !moved.has(session.room)) session.send(notice);
    }
    if (drainMs > 0 && this.sessions.size > 0) {
      this.log.info({ connections: this.sessions.size, drainMs }, 'draining: clients told, closing in drainMs');
      this.drainDeadline = this.clock.now() + drainMs;
      await new Promise<void>((resolve) => {
        // pump() ends the drain on the server's clock; this real-time backstop ends it even if
        // nothing pumps (autoTick off and a test that stopped driving time).
        const backstop = setTimeout(() => this.endDrain?.(), drainMs + CLOSE_GRACE_MS);
        this.endDrain = () => {
          clearTimeout(backstop);
          this.endDrain = undefined;
          resolve();
        };
      });
    }
    await this.shutDown();
  }

  private async shutDown(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.driveTimers.clearTimeout(this.timer);
    this.log.info({ connections: this.sessions.size, rooms: this.rooms.rooms.size }, 'shutting down');
    const drained = this.sessions.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
    for (const session of this.sessions) session.close(CloseCode.GoingAway, 'server shutting down');
    this.rooms.disposeAll(CloseCode.GoingAway, 'server shutting down');
    // Real time, not this.clock: the tick driver has stopped, and a test's ManualClock would
    // never reach the deadline.
    const deadline = setTimeout(() => {
      this.log.warn({ connections: this.sessions.size }, 'close handshakes overran; dropping the remaining links');
      for (const session of this.sessions) session.terminate();
    }, this.options.closeTimeoutMs + CLOSE_GRACE_MS);
    await drained;
    clearTimeout(deadline);
    this.auth?.close?.();
    this.webrtc?.dispose();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    if (this.adminHttp?.listening) {
      this.adminHttp.closeAllConnections();
      await new Promise<void>((resolve) => this.adminHttp!.close(() => resolve()));
    }
    await this.rpc?.close();
    this.chat?.close();
    this.notifications.close();
    this.bus?.close();
    await this.cluster?.stop();
    // The rooms' last stats (onDispose) and the last chat lines are queued: write them.
    await this.data?.flush().catch((err: unknown) => this.log.error({ err }, 'could not write the last batches'));
    this.log.info('stopped');
  }

  sessionJoined(session: Session): void {
    const ticket = this.tickets.get(session);
    if (ticket && !ticket.joined) {
      ticket.joined = true;
      this.frontDoor.joined(ticket.ip);
    }
    const userId = session.identity?.userId;
    if (userId && session.slot) this.data?.profiles.seen(userId, session.slot.name);
    this.chat?.join(session);
    this.notifications.joined(session);
  }

  socialMessage(session: Session, type: number, body: unknown): void {
    if (type === MessageType.NoticeRead) this.notifications.read(session, body);
    else if (this.chat) this.chat.message(session, type, body);
    else throw new WireError(WireErrorCode.UnknownType, `chat is off on this server (message type 0x0${type.toString(16)})`);
  }

  sessionClosed(session: Session, code: number, reason: string): void {
    this.sessions.delete(session);
    this.chat?.leave(session);
    // The server's own code when it closed first: after a terminate() the link reports 1006.
    const counted = session.sentCode ?? code;
    this.closeCodes.set(counted, (this.closeCodes.get(counted) ?? 0) + 1);
    // Sampled per address like the warnings: a flood of short-lived connections logs a few.
    this.logSampler.write(
      session.log,
      'info',
      session.address,
      this.clock.now(),
      { code: counted, socketCode: code, reason: escapeForLog(reason) },
      'connection closed',
    );
    if (this.sessions.size === 0) this.drained?.();
  }

  /**
   * Hand the server a client link from any transport; the session layer takes it from there.
   * Returns the session, or undefined if the link was refused (server full or shutting down).
   */
  acceptTransport(transport: ServerTransport, info: ConnectionInfo): Session | undefined {
    if (this.closing || this.sessions.size >= this.options.maxConnections) {
      const code = this.closing ? CloseCode.GoingAway : CloseCode.ServerFull;
      const reason = this.closing ? 'server shutting down' : `server full: ${this.options.maxConnections} connections`;
      this.logSampler.write(
        this.log,
        'warn',
        info.remoteAddress ?? 'unknown',
        this.clock.now(),
        { code, reason, ip: info.remoteAddress, transport: transport.kind },
        'connection refused',
      );
      // The refused link may still report events until it closes: nobody needs them.
      transport.bind(IGNORE_EVENTS);
      transport.send(encodeControl(MessageType.Error, { code, message: reason } satisfies ErrorMessage), 0);
      transport.close(code, reason);
      this.closeCodes.set(code, (this.closeCodes.get(code) ?? 0) + 1);
      return undefined;
    }
    const id = this.nextConnectionId++;
    const session = new Session(
      id,
      transport,
      this,
      this.log.child({ conn: id, ip: info.remoteAddress, transport: transport.kind }),
      info.token,
      info.remoteAddress,
    );
    this.sessions.add(session);
    return session;
  }

  /**
   * An in-process link to this server, as a network with no sockets: its `client` end is what
   * `TickwireClient`'s `connect` option returns. Tests use it to cut, delay and stall links;
   * a single-player game can run the server in the page this way.
   */
  openMemoryLink(options: MemoryLinkOptions & { token?: string } = {}): MemoryLink {
    const link = new MemoryLink(options);
    if (this.acceptTransport(link.server, { remoteAddress: 'memory', token: options.token })) link.client.opened();
    return link;
  }

  private scheduleDrive(): void {
    // Rooms keep ticking through a drain: players play on until the 1001.
    if (this.stopped) return;
    const wait = Math.max(1, Math.floor(Math.min(IDLE_WAKE_MS, this.rooms.msUntilNextStep())));
    this.wakeAt = this.clock.now() + wait;
    this.timer = this.driveTimers.setTimeout(this.drive, wait);
  }

  // Made once, so each wake-up schedules the next without allocating a closure.
  private readonly drive = (): void => {
    // Woken late (the process stalled: a GC pause, a busy host): read what the sockets hold
    // before catching up. Node runs timers before I/O, so catching up at once would simulate
    // the missed ticks without the inputs that arrived for them during the stall.
    if (!this.deferredDrive && this.clock.now() - this.wakeAt > STALL_MS) {
      this.deferredDrive = true;
      this.driveTimers.setImmediate(this.drive);
      return;
    }
    this.deferredDrive = false;
    this.pump();
    this.scheduleDrive();
  };

  private checkTimeouts(now: number): void {
    for (const session of this.sessions) {
      if (session.state === SessionState.Closing) {
        // Its handshake outlived the transport's close timer (or it never started one): free the slot.
        if (now - session.closingSince > this.options.closeTimeoutMs + CLOSE_GRACE_MS) {
          session.log.warn(
            { code: session.sentCode, closingMs: Math.round(now - session.closingSince) },
            'close handshake overran; dropping the link',
          );
          session.terminate();
        }
      } else if (session.state < SessionState.Joined && now - session.connectedAt > this.options.joinTimeoutMs) {
        session.reject(CloseCode.Timeout, `no JOIN within ${this.options.joinTimeoutMs} ms`);
      } else if (session.state === SessionState.Joined) {
        if (now - session.lastHeardAt > this.options.idleTimeoutMs) {
          // A peer that answers nothing will not complete a close handshake either: drop it
          // now, so its seat is detached (held for a resume) at once.
          session.reject(CloseCode.Timeout, `no message or heartbeat for ${this.options.idleTimeoutMs} ms`);
          session.terminate();
          continue;
        }
        const stall = session.readStall(now, this.maxBufferedBytes, this.options.readStallMs, this.options.readStallMs);
        if (stall) {
          // It reads nothing, so it will not read a close frame either: drop it, freeing what
          // was queued for it. A drop: the seat is held, in case the link itself was stuck.
          session.reject(CloseCode.TooSlow, stall);
          session.terminate();
        } else {
          session.heartbeat(now, this.options.idleTimeoutMs / 3);
          session.checkToken(now);
        }
      }
    }
  }

  /**
   * Route one HTTP request. On the game port (`public`): the per-address request rate first,
   * then WebRTC signalling, the operator routes (token only), matchmaking and the profile API.
   * On the admin port: the operator routes, /health and the static files (the monitor's page).
   */
  private onRequest(req: IncomingMessage, res: ServerResponse, via: Listener): void {
    const ip = via === 'admin' ? (req.socket.remoteAddress ?? 'unknown') : this.frontDoor.clientIp(req);
    if (via === 'public' && !this.frontDoor.admitRequest(ip, this.clock.now())) {
      this.logSampler.write(
        this.log,
        'warn',
        ip,
        this.clock.now(),
        { ip, url: escapeForLog(redactTokenParam(req.url ?? '')) },
        'http request over the rate limit',
      );
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' });
      res.end('too many requests\n');
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    if (OPERATOR_PATHS.has(path) && handleOperatorRequest(this, this.operatorAccess, req, res, path, via)) return;
    if (via === 'public') {
      if (path === WEBRTC_STATUS_PATH || (!this.webrtc && path.startsWith(WEBRTC_SIGNAL_PREFIX))) {
        answerWebRtcStatus(res, path === WEBRTC_STATUS_PATH, this.webrtc !== undefined);
        return;
      }
      if (this.webrtc && path.startsWith(WEBRTC_SIGNAL_PREFIX)) {
        this.webrtc.handle(req, res, ip);
        return;
      }
      if (path === '/matchmake' && this.matchmaker) {
        this.matchmaking.handle(req, res, ip);
        return;
      }
      if ((path === '/leaderboard' || path.startsWith('/profiles/')) && this.profileRoutes) {
        handleProfileRequest(this.profileRoutes, req, res, path, ip);
        return;
      }
    }
    if (path === '/health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
        res.end('method not allowed\n');
        return;
      }
      // Real time, not the server clock: a cache must expire even when a test holds time still.
      const now = performance.now();
      if (!this.healthCache || now - this.healthCache.at >= HEALTH_CACHE_MS)
        this.healthCache = { at: now, body: JSON.stringify(this.health()) };
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `max-age=${HEALTH_CACHE_MS / 1000}` });
      res.end(req.method === 'HEAD' ? undefined : this.healthCache.body);
      return;
    }
    const notFound = () => {
      res.writeHead(this.serveStatic ? 404 : 503, { 'content-type': 'text/plain' });
      res.end(this.serveStatic ? 'not found\n' : 'the demo is not built: run `npm run build:demo`\n');
    };
    if (this.serveStatic && (req.method === 'GET' || req.method === 'HEAD')) this.serveStatic(req, res, notFound);
    else notFound();
  }

  /** What `/monitor/data` answers. */
  monitorData(): unknown {
    return buildMonitorData(this.rooms.rooms.values(), this.health(), this.traffic);
  }

  /** Open connections by transport, for the metrics. */
  connectionsByTransport(): Record<string, number> {
    const out: Record<string, number> = { ws: 0, webrtc: 0 };
    for (const s of this.sessions) out[s.transportKind] = (out[s.transportKind] ?? 0) + 1;
    return out;
  }

  /** Every TCP connection, before any byte is parsed: cut an address already holding too many. */
  private onTcpConnection(socket: Socket): void {
    const peer = socket.remoteAddress ?? 'unknown';
    if (!this.frontDoor.socketOpened(peer, this.clock.now())) {
      this.logSampler.write(
        this.log,
        'warn',
        peer,
        this.clock.now(),
        { ip: peer },
        'tcp connection refused: too many open from this address',
      );
      socket.destroy();
      return;
    }
    socket.once('close', () => this.frontDoor.socketClosed(peer, this.clock.now()));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops watching a socket once it is handed to 'upgrade': without this
    // listener a reset during a refused upgrade would be an uncaught error.
    socket.on('error', onUpgradeSocketError);
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/ws' || this.closing) {
      refuseUpgrade(
        socket,
        this.closing ? 503 : 404,
        this.closing ? 'the server is shutting down' : 'no such endpoint: the game is at /ws',
      );
      return;
    }
    const ip = this.frontDoor.clientIp(req);
    const refusal = this.frontDoor.admitUpgrade(req, ip, this.clock.now());
    if (refusal) {
      this.logSampler.write(
        this.log,
        'warn',
        ip,
        this.clock.now(),
        { ip, status: refusal.status, reason: escapeForLog(refusal.reason) },
        'upgrade refused',
      );
      refuseUpgrade(socket, refusal.status, refusal.reason);
      return;
    }
    // Counted open from here until the TCP socket closes, however the handshake ends.
    const ticket: DoorTicket = { ip, joined: false };
    socket.once('close', () => this.frontDoor.closed(ip, ticket.joined, this.clock.now()));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = this.acceptTransport(new WsTransport(ws, socket), { remoteAddress: ip, token: tokenFromUrl(req.url) });
      if (!session) return;
      this.tickets.set(session, ticket);
      session.addressBudget = this.frontDoor.messageBudget(ip, this.clock.now());
    });
  }
}

/** A socket's place in the front door's per-address counts. */
interface DoorTicket {
  ip: string;
  joined: boolean;
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

/** Whether a bind address is this host only. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopbackAddress(host);
}

/** Refuse an upgrade with a plain HTTP answer (before the 101), then drop the socket. */
function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  const text = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    () => socket.destroy(),
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The `token` query parameter of an upgrade request, if any (a browser cannot set headers). */
function tokenFromUrl(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (q < 0) return undefined;
  const token = new URLSearchParams(url!.slice(q + 1)).get('token');
  // An over-long token is left for the verifier to refuse by name, cut so logs stay bounded.
  return token ? token.slice(0, MAX_TOKEN_LENGTH + 1) : undefined;
}

/** Events of a refused link: nobody listens. */
const IGNORE_EVENTS = { message() {}, heard() {}, controlFrame() {}, protocolError() {}, closed() {} };

function onUpgradeSocketError(this: Duplex): void {
  // A client that resets during the handshake: nothing to do but let the socket go.
  this.destroy();
}
