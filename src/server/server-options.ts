import type { LoopTimers } from '../loop/timers';
import type { ChatOptions } from '../chat/chat-service';
import type { TickwireData } from '../persistence/tickwire-data';
import type { WebRtcOptions } from '../transport/webrtc/webrtc-options';
import type { AuthOptions } from '../auth/auth-options';
import type { FrontDoorOptions } from './front-door';
import type { RoomTypeDefinition } from '../rooms/room-type';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { ClusterOptions } from '../cluster/node-presence';

/** Everything {@link TickwireServer} can be told. Every field but `roomTypes` has a default. */
export interface TickwireServerOptions {
  /** The games this server hosts. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each room type has its own state, input and prediction types
  roomTypes: RoomTypeDefinition<any, any, any>[];
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to bind (default '0.0.0.0'). */
  host?: string;
  /** Default simulation rate for room types that set none, Hz, 10-128 (default 30). */
  tickRate?: number;
  /** Default snapshot rate, Hz, ≤ tickRate (default: the tick rate). */
  sendRate?: number;
  /** Default players per room (default 32). */
  maxPlayers?: number;
  /** Rooms at once (default 1000). */
  maxRooms?: number;
  /** Open WebSocket connections at once; more are closed 4007 (default 5000). */
  maxConnections?: number;
  /** Largest accepted WebSocket message, bytes; larger closes 1009 (default 1024). */
  maxPayloadBytes?: number;
  /** Skip a client's snapshots while its socket has more than this queued, bytes (default 65536). */
  maxBufferedBytes?: number;
  /**
   * Close a client (4008) that has more than this queued unread, bytes. Default: 1 MiB or
   * 4 × maxBufferedBytes, whichever is larger; it must be at least 2 × maxBufferedBytes.
   */
  maxQueuedBytes?: number;
  /**
   * How long a closing socket waits for the peer's close frame before it is dropped, ms
   * (default 2000). Any socket still closing 1 s after that is dropped by the server itself.
   */
  closeTimeoutMs?: number;
  /**
   * A client with more than `maxBufferedBytes` queued for this long on end is closed 4008, ms
   * (default 8000): its snapshots have been skipped all along, so it is not playing anyway.
   * So is one that answers no heartbeat for as long (probes go every `idleTimeoutMs` / 3, so a
   * reading client answers several in that time), or whose inputs keep acknowledging a
   * snapshot that old. Must be more than `idleTimeoutMs` / 3.
   */
  readStallMs?: number;
  /**
   * Time an HTTP client has to send its request headers, ms (default 10000; Node's own is 60 s):
   * a slowloris that trickles headers is cut off here.
   */
  headersTimeoutMs?: number;
  /** Time to send JOIN after connecting, ms (default 5000). */
  joinTimeoutMs?: number;
  /**
   * Time a joined client may stay silent, ms (default 15000). After a third of it the server
   * sends a WebSocket ping; a pong counts as hearing from the client, so only dead peers time out.
   */
  idleTimeoutMs?: number;
  /** Messages per second per client (default 4 × the highest tick rate + 20) and burst (default 2 s worth). */
  messagesPerSecond?: number;
  messageBurst?: number;
  /**
   * How long a player whose link dropped keeps its seat for a resume, ms (default 20000;
   * 0: a drop leaves at once). A room type's own `resumeWindowMs` wins.
   */
  resumeWindowMs?: number;
  /**
   * Authenticate players with JWTs (default: off, everyone is a guest). See {@link AuthOptions}:
   * an HS256 secret, a PEM public key, or a JWKS file or URL, plus the audience and issuer,
   * which are required (`false` turns one off on purpose, with a warning at start). A session
   * is closed 4014 when its token expires unless the client sends a fresh one (TOKEN_REFRESH).
   */
  auth?: AuthOptions;
  /**
   * Graceful shutdown: how long `close()` keeps the rooms running after telling every client
   * (NOTICE 'shutdown') before closing them with 1001, ms (default 0; `npm start` uses 5000).
   * Ends early once every client has gone.
   */
  drainMs?: number;
  /**
   * Per-address limits, trusted proxies and allowed origins (see {@link FrontDoorOptions}).
   * Defaults are safe on the open internet; `{ perIpLimits: false }` for load tests from one machine.
   */
  frontDoor?: FrontDoorOptions;
  /** Room id maker (default: type name and 64 random bits); an id in use is drawn again. */
  roomId?: (typeName: string) => string;
  /** Folder served at `/` (default: the built demo, client-demo/dist); null serves nothing. */
  staticDir?: string | null;
  /**
   * Warnings one address can repeat (closing client, connection refused, connection closed)
   * are written this many times per kind per 10 s, then counted (`suppressed` on the next
   * line). Default 5.
   */
  logBurst?: number;
  /**
   * WebRTC data channels (geckos.io) beside WebSocket: players on either share rooms. Off by
   * default; see {@link WebRtcOptions} for the UDP ports, ICE servers and the NAT address.
   */
  webrtc?: WebRtcOptions;
  /**
   * Prometheus metrics at `/metrics` (default true). Served to operators only: see `admin` and
   * `operatorToken`.
   */
  metrics?: boolean;
  /**
   * The token that opens the operator routes (`/metrics`, `/monitor`, `/cluster`, `POST /notice`)
   * on any listener: `Authorization: Bearer …`, or `?token=` in a browser. Unset (the default),
   * the game port serves no operator route at all, and only the admin listener does.
   */
  operatorToken?: string;
  /**
   * A second HTTP listener for operators: the operator routes, `/health` and the monitor's page,
   * open without a token to peers on this host (the socket's own address; `X-Forwarded-For` is
   * never read there). `host` defaults to 127.0.0.1; any other host needs `operatorToken`, which
   * is then required there too. Default: none (the CLI opens one on the game port + 1).
   */
  admin?: { port: number; host?: string };
  /** Limits on `POST /matchmake`: see {@link MatchmakingOptions}. */
  matchmaking?: MatchmakingOptions;
  /**
   * The cluster registry (see {@link ClusterOptions}): this node and its rooms, published every
   * heartbeat. With `redisUrl` it is shared through Redis (`listen()` rejects when Redis cannot
   * be reached); without, it runs in memory for this process alone.
   */
  cluster?: ClusterOptions;
  /**
   * Where profiles, chat history and mutes, and notifications are kept (`TickwireData.open()`):
   * SQLite in a folder, or PostgreSQL. Without it chat keeps its history in memory, notices reach
   * only who is online, and there are no profiles. The server flushes it when it stops; whoever
   * opened it closes it.
   */
  data?: TickwireData;
  /** Chat settings (rates, history), or false for no chat: chat messages are then unknown types (4001). */
  chat?: ChatOptions | false;
  /** pino logger (default: info level to stdout). */
  logger?: Logger;
  /** Time source (default: performance.now). Tests pass a ManualClock. */
  clock?: Clock;
  /**
   * Run the tick driver on timers (default true). With false nothing ticks until you call
   * `server.pump()`, which is how tests drive time exactly.
   */
  autoTick?: boolean;
  /**
   * The tick driver's timers (default: the process's `setTimeout` and `setImmediate`). The
   * netcode bench passes a simulated process here, so its stall row runs the driver's real
   * late-wake-up deferral on manual time.
   */
  driveTimers?: LoopTimers;
}

/**
 * How much of a server anonymous matchmaking may hold. A reservation holds a seat for its TTL
 * (`cluster.reservationTtlMs`, default 10 s) and counts against plain joins too, so each limit
 * bounds what clients that never join can take.
 */
export interface MatchmakingOptions {
  /**
   * Unclaimed reservations one address holds at once (an IPv6 address counts by its /64),
   * counted at the node that answered (default 4; 0 lifts it; `frontDoor.perIpLimits: false`
   * lifts it too). Past it `POST /matchmake` answers 429.
   */
  maxReservationsPerIp?: number;
  /** Unclaimed reservations one identity holds at once, when it matchmakes with a token (default 2; 0 lifts it). */
  maxReservationsPerUser?: number;
  /** Seats this node holds for matchmade players at once, over all rooms (default 256): past it it holds no more. */
  maxReservations?: number;
  /**
   * Matchmaking needs a token, checked as JOIN's is (default false; needs `auth`). The seat is
   * then held for that identity alone: a JOIN by anyone else is refused 4013.
   */
  requireAuth?: boolean;
}

/** Where a connection came from, for logs and (later) per-address limits. */
export interface ConnectionInfo {
  /** The peer's address. */
  remoteAddress: string | undefined;
  /** A bearer token that came with the connection (the `token` query parameter). */
  token?: string;
}
