import { LOG_LEVELS, type LogLevel } from '../logging/logger';

/** The settings `npm start` understands: each a flag and an environment variable. */
export interface ServerCliOptions {
  port: number;
  host: string;
  tickRate: number;
  sendRate: number;
  maxPlayers: number;
  maxRooms: number;
  maxConnections: number;
  logLevel: LogLevel;
  staticDir: string | undefined;
  /** Seconds a dropped player's seat is held for a resume. */
  resumeWindowS: number;
  /** Seconds between the shutdown NOTICE and the 1001 close. */
  drainS: number;
  /** HS256 secret; at most one of the three key sources. */
  authSecret: string | undefined;
  /** Path to a PEM public key file. */
  authPublicKeyFile: string | undefined;
  /** JWKS file path or http(s) URL. */
  authJwks: string | undefined;
  /** Required JWT `aud`; 'off' turns the check off on purpose (a warning at start). Needed with auth. */
  authAudience: string | undefined;
  /** Required JWT `iss`; 'off' turns the check off on purpose (a warning at start). Needed with auth. */
  authIssuer: string | undefined;
  /** Seconds before a session's token expires that the client is told (NOTICE 'token-expiring'). */
  authExpiryNoticeS: number;
  /** Per-address limits on (true) or lifted for load tests (false). */
  perIpLimits: boolean;
  maxConnectionsPerIp: number;
  /** GET /profiles and /leaderboard a second from one address (0 = no limit). */
  dataReadsPerIp: number;
  /** Database reads in flight at once, over every client (0 = no cap). */
  maxDataReads: number;
  /** Addresses of proxies whose X-Forwarded-For is believed. */
  trustProxy: string[];
  /** Origins allowed to open game sockets (empty: the page's own host only). */
  allowedOrigins: string[];
  /** WebRTC data channels beside WebSocket. */
  webrtc: boolean;
  /** UDP ports for WebRTC, inclusive (undefined: any). */
  webrtcPorts: { min: number; max: number } | undefined;
  /** STUN/TURN server URLs handed to both ends. */
  iceServers: string[];
  /** The address to announce in ICE candidates behind 1:1 NAT. */
  publicIp: string | undefined;
  /** Prometheus metrics at /metrics. */
  metrics: boolean;
  /** Token that opens the operator routes on any listener; unset: the admin port only. */
  operatorToken: string | undefined;
  /** The admin listener's port (operator routes, /health); undefined: none. */
  adminPort: number | undefined;
  /** The admin listener's interface (default 127.0.0.1). */
  adminHost: string;
  /** Unclaimed matchmaking reservations one address (IPv6: its /64) may hold at once (0: no limit). */
  maxReservationsPerIp: number;
  /** Seats this node holds for matchmade players at once. */
  maxReservations: number;
  /** Matchmaking needs a token (as JOIN's). */
  matchmakeAuth: boolean;
  /** Redis for the cluster registry; unset: in memory, this process only. */
  redisUrl: string | undefined;
  /** Where clients reach this node, published in the registry. */
  publicUrl: string | undefined;
  /** This node's id in the cluster (default: host, pid and random bits). */
  nodeId: string | undefined;
  /** How long a matchmaking reservation holds its seat, seconds. */
  reservationS: number;
  /** Game processes behind one port (1: this process serves alone). */
  workers: number;
  /** PostgreSQL for profiles, chat history and notifications; unset: the embedded SQLite in `dataDir`. */
  databaseUrl: string | undefined;
  /** The embedded database's folder. */
  dataDir: string;
  /** Keep profiles, chat history and notifications (false: chat in memory, no profiles, notices to who is online). */
  persistence: boolean;
  /** On a drain, move live rooms to another node (with Redis), and take rooms from draining nodes. */
  roomMoves: boolean;
  /** Chat lines a second per user, and the burst above it. */
  chatRate: number;
  chatBurst: number;
  /** Chat history pages a second per user, and the burst above it. */
  chatPageRate: number;
  chatPageBurst: number;
  help: boolean;
}

/** One setting: its flag, its environment variable, the default as typed, and the help line. */
export interface Setting {
  flag: string;
  env: string;
  default: string;
  help: string;
}

/** Every setting, in the order `--help` lists them. */
export const SETTINGS: Record<Exclude<keyof ServerCliOptions, 'help'>, Setting> = {
  port: { flag: 'port', env: 'TICKWIRE_PORT', default: '8080', help: 'HTTP and WebSocket port (0 = any free port)' },
  host: { flag: 'host', env: 'TICKWIRE_HOST', default: '0.0.0.0', help: 'interface to bind' },
  tickRate: { flag: 'tick-rate', env: 'TICKWIRE_TICK_RATE', default: '30', help: 'simulation rate, Hz (10-128)' },
  sendRate: { flag: 'send-rate', env: 'TICKWIRE_SEND_RATE', default: '', help: 'snapshot rate, Hz (1..tick rate; default: the tick rate)' },
  maxPlayers: {
    flag: 'max-players',
    env: 'TICKWIRE_MAX_PLAYERS',
    default: '32',
    help: 'players per room (1-65535); a full room makes a new one',
  },
  maxRooms: { flag: 'max-rooms', env: 'TICKWIRE_MAX_ROOMS', default: '1000', help: 'rooms at once' },
  maxConnections: { flag: 'max-connections', env: 'TICKWIRE_MAX_CONNECTIONS', default: '5000', help: 'WebSocket connections at once' },
  logLevel: { flag: 'log-level', env: 'TICKWIRE_LOG_LEVEL', default: 'info', help: `one of ${LOG_LEVELS.join(', ')}` },
  staticDir: { flag: 'static-dir', env: 'TICKWIRE_STATIC_DIR', default: '', help: 'folder served at / (default: the built demo)' },
  resumeWindowS: {
    flag: 'resume-window',
    env: 'TICKWIRE_RESUME_WINDOW',
    default: '20',
    help: 'seconds a dropped player keeps its seat (0-3600; 0 = leave at once)',
  },
  drainS: {
    flag: 'drain-seconds',
    env: 'TICKWIRE_DRAIN_SECONDS',
    default: '5',
    help: 'on SIGTERM, seconds between the shutdown notice and the close (0-600)',
  },
  authSecret: {
    flag: 'auth-secret',
    env: 'TICKWIRE_AUTH_SECRET',
    default: '',
    help: 'turn JWT auth on: HS256 secret, ≥ 32 bytes (prefer the variable: flags show in ps)',
  },
  authPublicKeyFile: {
    flag: 'auth-public-key',
    env: 'TICKWIRE_AUTH_PUBLIC_KEY',
    default: '',
    help: 'turn JWT auth on: PEM public key file (RS256/ES256/PS256/EdDSA)',
  },
  authJwks: { flag: 'auth-jwks', env: 'TICKWIRE_AUTH_JWKS', default: '', help: 'turn JWT auth on: JWKS file path or http(s) URL' },
  authAudience: {
    flag: 'auth-audience',
    env: 'TICKWIRE_AUTH_AUDIENCE',
    default: '',
    help: 'the JWT aud every token must carry; needed with auth ("off": accept any, with a warning)',
  },
  authIssuer: {
    flag: 'auth-issuer',
    env: 'TICKWIRE_AUTH_ISSUER',
    default: '',
    help: 'the JWT iss every token must carry; needed with auth ("off": accept any, with a warning)',
  },
  authExpiryNoticeS: {
    flag: 'auth-expiry-notice',
    env: 'TICKWIRE_AUTH_EXPIRY_NOTICE',
    default: '60',
    help: 'seconds before a session token expires that the client is told to refresh it (0-3600)',
  },
  perIpLimits: {
    flag: 'per-ip-limits',
    env: 'TICKWIRE_PER_IP_LIMITS',
    default: 'on',
    help: 'per-address connection, handshake and request limits: on, or off for load tests from one machine',
  },
  maxConnectionsPerIp: {
    flag: 'max-connections-per-ip',
    env: 'TICKWIRE_MAX_CONNECTIONS_PER_IP',
    default: '32',
    help: 'game sockets open at once from one address (0 = no limit)',
  },
  dataReadsPerIp: {
    flag: 'data-reads-per-ip',
    env: 'TICKWIRE_DATA_READS_PER_IP',
    default: '5',
    help: 'GET /profiles and /leaderboard per second from one address, burst twice that (0 = no limit)',
  },
  maxDataReads: {
    flag: 'max-data-reads',
    env: 'TICKWIRE_MAX_DATA_READS',
    default: '8',
    help: 'database reads in flight at once over every client; more get 503 (0 = no cap)',
  },
  trustProxy: {
    flag: 'trust-proxy',
    env: 'TICKWIRE_TRUST_PROXY',
    default: '',
    help: 'comma-separated proxy addresses whose X-Forwarded-For is believed',
  },
  allowedOrigins: {
    flag: 'allowed-origins',
    env: 'TICKWIRE_ALLOWED_ORIGINS',
    default: '',
    help: 'comma-separated origins that may open game sockets, or * (default: the same host)',
  },
  webrtc: {
    flag: 'webrtc',
    env: 'TICKWIRE_WEBRTC',
    default: 'off',
    help: 'also accept players over WebRTC data channels (geckos.io): on or off',
  },
  webrtcPorts: {
    flag: 'webrtc-ports',
    env: 'TICKWIRE_WEBRTC_PORTS',
    default: '',
    help: 'UDP port range for WebRTC, MIN-MAX, e.g. 50000-50999 (default: any)',
  },
  iceServers: {
    flag: 'ice-servers',
    env: 'TICKWIRE_ICE_SERVERS',
    default: '',
    help: 'comma-separated STUN/TURN URLs, e.g. stun:stun.example.com:3478',
  },
  publicIp: {
    flag: 'public-ip',
    env: 'TICKWIRE_PUBLIC_IP',
    default: '',
    help: 'address to announce to WebRTC clients behind 1:1 NAT (a cloud VM)',
  },
  metrics: { flag: 'metrics', env: 'TICKWIRE_METRICS', default: 'on', help: 'Prometheus metrics at /metrics: on or off' },
  roomMoves: {
    flag: 'room-moves',
    env: 'TICKWIRE_ROOM_MOVES',
    default: 'on',
    help: 'on SIGTERM, hand live rooms to another node (with REDIS_URL), and take theirs: on or off',
  },
  operatorToken: {
    flag: 'operator-token',
    env: 'TICKWIRE_OPERATOR_TOKEN',
    default: '',
    help: 'token that opens /metrics, /monitor, /cluster and POST /notice on any port (Bearer or ?token=); unset: the admin port only',
  },
  adminPort: {
    flag: 'admin-port',
    env: 'TICKWIRE_ADMIN_PORT',
    default: '',
    help: 'port for the operator routes and /health, open to this host only: a number, or off (default: the game port + 1; a free one with --port 0)',
  },
  adminHost: {
    flag: 'admin-host',
    env: 'TICKWIRE_ADMIN_HOST',
    default: '127.0.0.1',
    help: 'interface the admin port binds; any but loopback needs --operator-token',
  },
  maxReservationsPerIp: {
    flag: 'max-reservations-per-ip',
    env: 'TICKWIRE_MAX_RESERVATIONS_PER_IP',
    default: '4',
    help: 'unclaimed matchmaking seats one address (IPv6: its /64) may hold at once (0 = no limit)',
  },
  maxReservations: {
    flag: 'max-reservations',
    env: 'TICKWIRE_MAX_RESERVATIONS',
    default: '256',
    help: 'seats this node holds for matchmade players at once, over all rooms (1-1000000)',
  },
  matchmakeAuth: {
    flag: 'matchmake-auth',
    env: 'TICKWIRE_MATCHMAKE_AUTH',
    default: 'off',
    help: 'POST /matchmake needs a token, as JOIN does, and holds the seat for its identity: on or off',
  },
  redisUrl: {
    flag: 'redis-url',
    env: 'REDIS_URL',
    default: '',
    help: 'share the cluster registry through Redis, redis://[:password@]host:port[/db] (default: in memory)',
  },
  publicUrl: {
    flag: 'public-url',
    env: 'TICKWIRE_PUBLIC_URL',
    default: '',
    help: 'where clients reach this node, e.g. wss://eu-1.example.com/ws (published in the registry)',
  },
  reservationS: {
    flag: 'reservation-seconds',
    env: 'TICKWIRE_RESERVATION_SECONDS',
    default: '10',
    help: 'how long a matchmaking reservation holds its seat (1-600)',
  },
  workers: {
    flag: 'workers',
    env: 'TICKWIRE_WORKERS',
    default: '1',
    help: 'game processes behind this port, sharing REDIS_URL (e.g. one per core)',
  },
  nodeId: { flag: 'node-id', env: 'TICKWIRE_NODE_ID', default: '', help: "this node's id in the cluster (default: host-pid-random)" },
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    default: '',
    help: 'keep profiles, chat and notifications in PostgreSQL, postgres://user[:password]@host:5432/db (default: embedded SQLite)',
  },
  dataDir: {
    flag: 'data-dir',
    env: 'TICKWIRE_DATA_DIR',
    default: './data',
    help: "the embedded database's folder (SQLite: tickwire.sqlite)",
  },
  persistence: {
    flag: 'persistence',
    env: 'TICKWIRE_PERSISTENCE',
    default: 'on',
    help: 'keep profiles, chat history and notifications: on, or off (chat in memory, no profiles)',
  },
  chatRate: { flag: 'chat-rate', env: 'TICKWIRE_CHAT_RATE', default: '1', help: 'chat lines per second one user may send (0.1-100)' },
  chatBurst: {
    flag: 'chat-burst',
    env: 'TICKWIRE_CHAT_BURST',
    default: '5',
    help: 'chat lines a user may send at once above that (1-1000)',
  },
  chatPageRate: {
    flag: 'chat-page-rate',
    env: 'TICKWIRE_CHAT_PAGE_RATE',
    default: '2',
    help: 'chat history pages per second one user may ask for (0.1-100)',
  },
  chatPageBurst: {
    flag: 'chat-page-burst',
    env: 'TICKWIRE_CHAT_PAGE_BURST',
    default: '5',
    help: 'chat history pages a user may ask for at once above that (1-1000)',
  },
};

/** The `--help` text: every setting with its variable, meaning and default. */
export function serverUsage(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const def = s.default ? ` (default ${s.default})` : '';
    return `  --${s.flag.padEnd(17)} ${s.env.padEnd(26)} ${s.help}${def}`;
  });
  return [
    'tickwire: authoritative multiplayer game server',
    '',
    'Usage: npm start -- [options]      (or: npx tsx src/cli/main.ts [options])',
    '',
    'Options (flag, environment variable, meaning); a flag wins over its variable:',
    ...rows,
    '  --help, -h                                                  print this and exit',
    '',
    'Serves the demo at http://HOST:PORT/, health at /health and the game at ws://HOST:PORT/ws.',
  ].join('\n');
}
