import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Matchmaker } from '../cluster/matchmaker';
import { escapeForLog, type LogSampler } from '../logging/log-sampler';
import type { Clock } from '../loop/clock';
import type { TickwireData } from '../persistence/tickwire-data';
import { redactTokenParam } from '../logging/redact-url';
import type { WebRtcGatewayLike } from '../transport/webrtc/webrtc-options';
import type { FrontDoor } from './front-door';
import type { HealthReport } from './health';
import type { MatchmakeRoute } from './matchmake-route';
import type { Listener, OperatorAccess } from './operator-access';
import { handleOperatorRequest, OPERATOR_PATHS, type OperatorHost } from './operator-routes';
import { handleProfileRequest, type ProfileRoutesHost } from './profile-routes';

/** The built demo, relative to this file. */
export const DEFAULT_STATIC_DIR =
  [
    // From the sources (src/server/) and from the package build (dist/).
    fileURLToPath(new URL('../../client-demo/dist', import.meta.url)),
    fileURLToPath(new URL('../client-demo/dist', import.meta.url)),
  ].find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../client-demo/dist', import.meta.url));
/** /health is built at most this often, ms: a flood of health checks costs one build a second. */
const HEALTH_CACHE_MS = 1000;
/** Paths geckos.io signals on (see WebRtcGateway). */
const WEBRTC_SIGNAL_PREFIX = '/.wrtc/v2/';
/** Where a client asks whether WebRTC is on before signalling (the SDK's 'auto' does). */
const WEBRTC_STATUS_PATH = '/.wrtc/status';

type StaticHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** What the routes read and call: the server. */
export interface HttpRoutesHost extends OperatorHost {
  readonly clock: Clock;
  readonly logSampler: LogSampler;
  /** Per-address request rates, and who the client is behind proxies. */
  readonly frontDoor: FrontDoor;
  /** Verifies a profile owner's token; undefined with auth off. */
  readonly auth: TokenVerifier | undefined;
  /** Profiles and leaderboards: served only with `data`. */
  readonly data: TickwireData | undefined;
  /** The WebRTC gateway, once listening with `webrtc.enabled`. */
  readonly webrtc: WebRtcGatewayLike | undefined;
  /** Served only once the cluster is joined (set by listen()). */
  readonly matchmaker: Matchmaker | undefined;
  readonly matchmaking: MatchmakeRoute;
  /** The body of GET /health. */
  health(): HealthReport;
}

/**
 * The HTTP routes of both listeners. On the game port (`public`): the per-address request rate
 * first, then WebRTC signalling, the operator routes (token only), matchmaking and the profile
 * API. On the admin port: the operator routes. On both: /health and the static files (the demo,
 * the monitor's page).
 */
export class HttpRoutes {
  private healthCache: { at: number; body: string } | undefined;
  /** What GET /profiles and /leaderboard read through (with `data`). */
  private readonly profileRoutes: ProfileRoutesHost | undefined;
  private readonly serveStatic: StaticHandler | null;

  /**
   * @param staticDir the demo's files (default {@link DEFAULT_STATIC_DIR}; null: none). A folder
   *   that does not exist is warned about once and answered 503 with how to build it.
   */
  constructor(
    private readonly host: HttpRoutesHost,
    private readonly operatorAccess: OperatorAccess,
    staticDir: string | null | undefined,
  ) {
    const data = host.data;
    this.profileRoutes = data && {
      profiles: data.profiles,
      auth: host.auth,
      frontDoor: host.frontDoor,
      clock: host.clock,
      warn: (ip, fields, msg) => host.logSampler.write(host.log, 'warn', ip, host.clock.now(), fields, msg),
    };
    const dir = staticDir === undefined ? DEFAULT_STATIC_DIR : staticDir;
    this.serveStatic = dir && existsSync(dir) ? sirv(dir, { etag: true, dev: false }) : null;
    if (dir && !this.serveStatic) host.log.warn({ staticDir: dir }, 'demo not built: run `npm run build:demo` (npm start does it for you)');
  }

  /** Route one HTTP request that came in on `via`. */
  handle(req: IncomingMessage, res: ServerResponse, via: Listener): void {
    const host = this.host;
    const ip = via === 'admin' ? (req.socket.remoteAddress ?? 'unknown') : host.frontDoor.clientIp(req);
    if (via === 'public' && !host.frontDoor.admitRequest(ip, host.clock.now())) {
      host.logSampler.write(
        host.log,
        'warn',
        ip,
        host.clock.now(),
        { ip, url: escapeForLog(redactTokenParam(req.url ?? '')) },
        'http request over the rate limit',
      );
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '1', connection: 'close' });
      res.end('too many requests\n');
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    if (OPERATOR_PATHS.has(path) && handleOperatorRequest(host, this.operatorAccess, req, res, path, via)) return;
    if (via === 'public' && this.handlePublic(req, res, path, ip)) return;
    if (path === '/health') {
      this.handleHealth(req, res);
      return;
    }
    const notFound = () => {
      res.writeHead(this.serveStatic ? 404 : 503, { 'content-type': 'text/plain' });
      res.end(this.serveStatic ? 'not found\n' : 'the demo is not built: run `npm run build:demo`\n');
    };
    if (this.serveStatic && (req.method === 'GET' || req.method === 'HEAD')) this.serveStatic(req, res, notFound);
    else notFound();
  }

  /** The game port's own routes; false when `path` is none of them (or its feature is off). */
  private handlePublic(req: IncomingMessage, res: ServerResponse, path: string, ip: string): boolean {
    const host = this.host;
    if (path === WEBRTC_STATUS_PATH || (!host.webrtc && path.startsWith(WEBRTC_SIGNAL_PREFIX))) {
      answerWebRtcStatus(res, path === WEBRTC_STATUS_PATH, host.webrtc !== undefined);
      return true;
    }
    if (host.webrtc && path.startsWith(WEBRTC_SIGNAL_PREFIX)) {
      host.webrtc.handle(req, res, ip);
      return true;
    }
    if (path === '/matchmake' && host.matchmaker) {
      host.matchmaking.handle(req, res, ip);
      return true;
    }
    if ((path === '/leaderboard' || path.startsWith('/profiles/')) && this.profileRoutes) {
      handleProfileRequest(this.profileRoutes, req, res, path, ip);
      return true;
    }
    return false;
  }

  /** GET or HEAD /health: the report as JSON, built at most once a second. */
  private handleHealth(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('method not allowed\n');
      return;
    }
    // Real time, not the server clock: a cache must expire even when a test holds time still.
    const now = performance.now();
    if (!this.healthCache || now - this.healthCache.at >= HEALTH_CACHE_MS)
      this.healthCache = { at: now, body: JSON.stringify(this.host.health()) };
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `max-age=${HEALTH_CACHE_MS / 1000}` });
    res.end(req.method === 'HEAD' ? undefined : this.healthCache.body);
  }
}

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
