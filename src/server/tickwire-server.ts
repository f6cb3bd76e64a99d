import type { AddressInfo, Socket } from 'node:net';
import { CloseCode } from '../../shared/protocol/close-codes';
import { encodeControl, type ErrorMessage } from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { createTokenVerifier, DEFAULT_CLOCK_TOLERANCE_SEC, type TokenVerifier } from '../auth/token-verifier';
import { authWarnings, DEFAULT_EXPIRY_NOTICE_SEC } from '../auth/auth-options';
import { ChatService } from '../chat/chat-service';
import type { ClusterBus } from '../cluster/cluster-bus';
import type { Matchmaker } from '../cluster/matchmaker';
import type { NodePresence } from '../cluster/node-presence';
import type { NodeRpc } from '../cluster/node-rpc';
import type { RoomMover } from '../cluster/room-mover';
import { escapeForLog, LogSampler } from '../logging/log-sampler';
import { createLogger, type Logger } from '../logging/logger';
import { monotonicClock, type Clock } from '../loop/clock';
import { realLoopTimers } from '../loop/timers';
import { NotificationService } from '../notifications/notification-service';
import type { TickwireData } from '../persistence/tickwire-data';
import { RoomManager } from '../rooms/room-manager';
import { Session, type SessionHost, type TrafficCounters } from '../session/session';
import type { TokenPolicy } from '../session/token-lifetime';
import { MemoryLink, type MemoryLinkOptions } from '../transport/memory-transport';
import type { ServerTransport } from '../transport/transport';
import type { WebRtcGatewayLike, WebRtcOptions } from '../transport/webrtc/webrtc-options';
import { joinCluster, leaveCluster } from './cluster-bootstrap';
import { FrontDoor } from './front-door';
import { addRoomTotals, newRoomTotals, serverHealth, type HealthReport } from './health';
import { HttpListeners } from './http-listeners';
import { HttpRoutes } from './http-routes';
import { MatchmakeRoute } from './matchmake-route';
import { ServerMetrics } from './metrics';
import { monitorData as buildMonitorData } from './monitor-data';
import { adminBinding, operatorAccessFor } from './operator-access';
import { sessionsOfUser } from './player-notices';
import { resolveServerLimits, type ServerLimits } from './server-limits';
import type { ConnectionInfo, TickwireServerOptions } from './server-options';
import { checkSessionTimeouts } from './session-timeouts';
import { releaseServer, Shutdown } from './shutdown';
import { TickDriver } from './tick-driver';
import { UpgradeDoor } from './upgrade-door';
import { startWebRtcGateway } from './webrtc-bootstrap';

export type { ConnectionInfo, TickwireServerOptions };
export { DEFAULT_STATIC_DIR } from './http-routes';

/** How often timeouts are checked, ms. */
const HOUSEKEEPING_MS = 250;

/**
 * The tickwire server: one HTTP port serving the demo at `/`, `GET /health`, and the game's
 * WebSocket endpoint at `/ws`.
 *
 * ```ts
 * const server = new TickwireServer({ roomTypes: [defineRoomType({ game: arenaGame })] });
 * const { port } = await server.listen();
 * ```
 *
 * The server owns the sessions and the rooms; each other job is a part in its own file: the
 * HTTP listeners and routes, the upgrade door, the tick driver and session timeouts, the
 * shutdown, and the cluster and WebRTC bootstraps.
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
  /** Every open session, whatever its transport. */
  readonly sessions = new Set<Session>();
  /** Messages and bytes in and out over every session (read by the metrics). */
  readonly traffic: TrafficCounters = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  /** Prometheus metrics at /metrics (undefined with `metrics: false`). */
  readonly metrics: ServerMetrics | undefined;
  /** `POST /matchmake` and the seats this node holds for matchmade players. */
  readonly matchmaking: MatchmakeRoute;
  /** This node in the cluster registry; set by listen(). */
  cluster: NodePresence | undefined;
  /** Join-or-create across the cluster (`POST /matchmake`); set by listen(). */
  matchmaker: Matchmaker | undefined;
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
  /** The WebRTC gateway, once listening with `webrtc.enabled`. */
  webrtc: WebRtcGatewayLike | undefined;

  private readonly limits: ServerLimits;
  private readonly clusterOptions: TickwireServerOptions['cluster'];
  /** Set with `webrtc.enabled`: the gateway starts in listen(). */
  private readonly webrtcOptions: WebRtcOptions | undefined;
  private readonly listeners: HttpListeners;
  private readonly door: UpgradeDoor;
  private readonly driver: TickDriver;
  private readonly shutdown: Shutdown;
  private readonly retired = newRoomTotals();
  private readonly closeCodes = new Map<number, number>();
  private readonly startedAt = Date.now();
  private rpc: NodeRpc | undefined;
  private nextConnectionId = 1;
  private lastHousekeeping = -Infinity;

  constructor(options: TickwireServerOptions) {
    if (!options.roomTypes?.length) throw new Error('TickwireServer needs at least one room type in options.roomTypes');
    this.clock = options.clock ?? monotonicClock;
    this.log = options.logger ?? createLogger();
    const limits = resolveServerLimits(options);
    this.limits = limits;
    this.messageRate = limits.messageRate;
    this.maxQueuedBytes = limits.maxQueuedBytes;
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
    this.rooms = new RoomManager(limits.types, {
      log: this.log,
      maxRooms: options.maxRooms,
      maxBufferedBytes: limits.maxBufferedBytes,
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
    const admin = adminBinding(options);
    const operatorAccess = operatorAccessFor(options.operatorToken, admin, () => this.adminPort);
    this.clusterOptions = options.cluster;
    this.data = options.data;
    // The bus comes with listen(): chat and notices attach to it there.
    this.chat =
      options.chat === false
        ? undefined
        : new ChatService({ clock: this.clock, log: this.log, store: this.data?.chat, reads: this.frontDoor.dataReads }, options.chat);
    this.notifications = new NotificationService({
      log: this.log,
      store: this.data?.notifications,
      sessionsOf: (userId) => sessionsOfUser(this.sessions, userId),
    });
    this.rooms.on('room-disposed', (room) => this.chat?.roomDisposed(room.id));
    this.metrics = options.metrics === false ? undefined : new ServerMetrics(this);

    const routes = new HttpRoutes(this, operatorAccess, options.staticDir);
    this.listeners = new HttpListeners(limits, admin, (req, res, via) => routes.handle(req, res, via));
    this.door = new UpgradeDoor(this, limits, () => this.closing);
    this.door.attach(this.listeners.game);
    this.webrtcOptions = options.webrtc?.enabled ? options.webrtc : undefined;
    this.driver = new TickDriver(this.clock, this.rooms, () => this.pump(), options.driveTimers ?? realLoopTimers);
    this.shutdown = new Shutdown(this, {
      drainMs: limits.drainMs,
      closeTimeoutMs: limits.closeTimeoutMs,
      stopTicking: () => this.driver.stop(),
      // Read when the shutdown gets there: the gateway and the cluster's parts come with listen().
      release: () =>
        releaseServer({
          log: this.log,
          auth: this.auth,
          webrtc: this.webrtc,
          door: this.door,
          listeners: this.listeners,
          rpc: this.rpc,
          chat: this.chat,
          notifications: this.notifications,
          bus: this.bus,
          cluster: this.cluster,
          data: this.data,
        }),
    });
  }

  /** Start listening; resolves with the bound address (use `port: 0` for a free port). */
  async listen(): Promise<AddressInfo> {
    if (this.webrtcOptions && !this.webrtc)
      this.webrtc = await startWebRtcGateway(this.webrtcOptions, this.door.webrtcHost(), this.limits.maxPayloadBytes);
    if (!this.cluster) {
      const link = await joinCluster(this, this.clusterOptions, this.startedAt);
      this.cluster = link.presence;
      this.matchmaker = link.matchmaker;
      this.bus = link.bus;
      this.rpc = link.rpc;
      this.mover = link.mover;
      this.chat?.attach(link.bus, link.presence.nodeId);
      this.notifications.attach(link.bus);
      await this.chat?.start();
    }
    let address: AddressInfo;
    try {
      address = await this.listeners.listen(this.limits.port, this.limits.host);
    } catch (err) {
      // A port is taken: leave the cluster again rather than advertise a node nobody reaches.
      const presence = this.cluster;
      this.cluster = undefined;
      await leaveCluster({ presence, bus: this.bus, rpc: this.rpc });
      throw err;
    }
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
    if (this.limits.autoTick) this.startTicking();
    return address;
  }

  /**
   * Start the tick driver (listen() does this with `autoTick` on): for a server reached only
   * through {@link openMemoryLink}, such as the netcode bench's. Calling it again does nothing.
   */
  startTicking(): void {
    this.driver.start();
  }

  /** The admin listener's port once listening (0 when there is none). */
  get adminPort(): number {
    return this.listeners.adminPort;
  }

  /**
   * Serve a TCP connection accepted elsewhere (the `--workers` primary), whose first bytes
   * `head` were read to route it: it goes through the same per-address checks as one accepted here.
   */
  adoptConnection(socket: Socket, head: Buffer): void {
    this.listeners.adopt(socket, head);
  }

  get port(): number {
    return this.listeners.port;
  }

  /** Run every room's due ticks and the timeout checks at the clock's current time. */
  pump(): void {
    const now = this.clock.now();
    this.rooms.pump(now);
    this.chat?.flush();
    if (now - this.lastHousekeeping >= HOUSEKEEPING_MS) {
      this.lastHousekeeping = now;
      checkSessionTimeouts(this.sessions, now, this.limits);
      this.rooms.expireSeats(now);
      this.matchmaking.prune(now);
      this.logSampler.prune(now);
      this.frontDoor.prune(now);
    }
    this.shutdown.checkDrain(now);
  }

  /** The body of `GET /health` (see {@link HealthReport}). */
  health(): HealthReport {
    return serverHealth(this, this.retired, this.closeCodes, this.startedAt);
  }

  /** True from the start of {@link close}: new connections and joins are refused. */
  get draining(): boolean {
    return this.shutdown.draining;
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
    return this.shutdown.run();
  }

  private get closing(): boolean {
    return this.shutdown.started;
  }

  sessionJoined(session: Session): void {
    this.door.joined(session);
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
    this.shutdown.sessionGone();
  }

  /**
   * Hand the server a client link from any transport; the session layer takes it from there.
   * Returns the session, or undefined if the link was refused (server full or shutting down).
   */
  acceptTransport(transport: ServerTransport, info: ConnectionInfo): Session | undefined {
    const maxConnections = this.limits.maxConnections;
    if (this.closing || this.sessions.size >= maxConnections) {
      const code = this.closing ? CloseCode.GoingAway : CloseCode.ServerFull;
      const reason = this.closing ? 'server shutting down' : `server full: ${maxConnections} connections`;
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
}

/** Events of a refused link: nobody listens. */
const IGNORE_EVENTS = { message() {}, heard() {}, controlFrame() {}, protocolError() {}, closed() {} };
