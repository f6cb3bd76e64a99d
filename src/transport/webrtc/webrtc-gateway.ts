import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as geckosModule from '@geckos.io/server';
import type { GeckosServer, ServerChannel } from '@geckos.io/server';
import type { DatagramTimers } from '../../../shared/datagram/datagram-link';
import { readCappedBody, refuseTooLarge } from '../capped-body';
import { announceIp } from './announce-ip';
import { ConnectAttempts, type ConnectAttempt } from './connect-attempts';
import { WebRtcTransport } from './webrtc-transport';
import type { WebRtcCounters, WebRtcGatewayLike, WebRtcOptions } from './webrtc-options';

export type { WebRtcOptions };

/** geckos.io 3 is an ES module: its default export is the factory (a bundler may wrap it once more). */
const geckos = ((d) => (typeof d === 'function' ? d : (d as { default: unknown }).default))(
  (geckosModule as unknown as { default: unknown }).default,
) as typeof geckosModule.default;

/** Signalling bodies are SDP and candidates: a few KB. A larger one is refused (413). */
export const MAX_SIGNAL_BODY_BYTES = 64 * 1024;
/** Paths geckos.io 3 signals on. */
export const WEBRTC_SIGNAL_PREFIX = '/.wrtc/v2/';
/** How long an admitted attempt may go without an open data channel, ms (default of `connectDeadlineMs`). */
export const DEFAULT_CONNECT_DEADLINE_MS = 10_000;
/** Admitted attempts pending at once, over all addresses (default of `maxPendingAttempts`). */
export const DEFAULT_MAX_PENDING_ATTEMPTS = 256;

/** What the gateway needs from the server it serves. */
export interface WebRtcHost {
  /**
   * Whether `req` (from `ip`) may open a game connection: undefined for yes (it is then
   * counted open and unjoined until `closed`), else the refusal.
   */
  admit(req: IncomingMessage, ip: string): { status: number; reason: string } | undefined;
  /** A data channel opened: make it a session (false: refused, the transport is closed). */
  accept(transport: WebRtcTransport, ip: string): boolean;
  /**
   * A connection admitted by `admit` is gone: its channel closed (`transport` set), or the
   * attempt never opened one (`transport` undefined: ICE failed, the client gave up, the
   * deadline passed). Called exactly once per admission.
   */
  closed(ip: string, transport: WebRtcTransport | undefined): void;
  log(level: 'warn' | 'info', fields: Record<string, unknown>, msg: string): void;
}

/**
 * The parts of one geckos.io 3 connection (lib/wrtc/webrtcConnection.js) the gateway touches.
 * Its `close()` closes the data channel and the peer connection (node-datachannel), emits the
 * channel's disconnect, drops its listeners and removes it from the manager's map; a second
 * call finds both null and only emits again (to no listener).
 */
interface GeckosConnection {
  readonly id: string;
  readonly userData: unknown;
  /** Unset until geckos has made the data channel (a failed offer never gets one). */
  readonly channel: ServerChannel | undefined;
  close(state?: string): Promise<void>;
}

/** geckos.io 3's connections manager (lib/wrtc/connectionsManager.js): one per gateway. */
interface GeckosConnections {
  readonly connections: Map<string, GeckosConnection>;
  createConnection(
    authorization: unknown,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ status: number; connection?: { id: string }; userData?: unknown }>;
}

/** What the gateway keeps of a signalling request it admitted. */
interface Admitted {
  attempt: ConnectAttempt;
  /** The object handed to geckos as the connection's userData (its identity finds the connection). */
  userData: { ip: string };
}

/**
 * The WebRTC front door: geckos.io's signalling served from the game's own HTTP server (its
 * requests pass the same per-address limits as everything else there), and each data channel
 * handed to the server as a {@link WebRtcTransport}. geckos attaches to an HTTP server by
 * taking over its 'request' listeners; it is given a stand-in instead, and the server forwards
 * only the signalling paths to it.
 *
 * ```
 * POST /.wrtc/v1/connections ─► body read here (≤ 64 KiB, else 413) ─► admit (per-address counts)
 *    │                              ─► geckos makes the peer connection and its offer
 *    ▼ an attempt (ConnectAttempts), deadline `connectDeadlineMs`
 *    ├─ data channel opens ───────► a session; its channel's close gives the count back
 *    └─ ICE fails, peer closes, ──► peer connection closed and removed from geckos,
 *       client POSTs /close,          count given back (exactly once)
 *       or the deadline passes
 * ```
 */
export class WebRtcGateway implements WebRtcGatewayLike {
  readonly counters: WebRtcCounters = { datagramsDropped: 0, retransmits: 0 };
  /** Channels opened, and signalling attempts refused. */
  opened = 0;
  refused = 0;
  /** Signalling bodies refused for size (413), and body bytes read off signalling requests. */
  bodiesRefused = 0;
  bodyBytesRead = 0;
  private readonly io: GeckosServer;
  private readonly manager: GeckosConnections;
  private readonly standIn = new EventEmitter();
  private readonly attempts: ConnectAttempts;
  /** Admissions by the request that made them, and by the connection's userData. */
  private readonly admittedBy = new WeakMap<object, Admitted>();
  private readonly attemptOf = new WeakMap<object, ConnectAttempt>();

  constructor(
    options: WebRtcOptions,
    private readonly host: WebRtcHost,
    timers: DatagramTimers,
    maxPayloadBytes: number,
  ) {
    this.attempts = new ConnectAttempts(timers, options.connectDeadlineMs ?? DEFAULT_CONNECT_DEADLINE_MS, (attempt, why) => {
      host.closed(attempt.ip, undefined);
      host.log('info', { ip: attempt.ip, why, transport: 'webrtc' }, 'webrtc attempt abandoned');
    });
    const maxPending = options.maxPendingAttempts ?? DEFAULT_MAX_PENDING_ATTEMPTS;
    if (!(maxPending >= 1)) throw new RangeError(`webrtc.maxPendingAttempts must be ≥ 1, got ${maxPending}`);
    this.io = geckos({
      iceServers: toDataChannelIceServers(options.iceServers ?? []),
      // geckos clamps the range it is given in place: a copy. Without one, every connection
      // shares one ephemeral port (multiplex below).
      portRange: options.portRange ? { ...options.portRange } : undefined,
      // node-datachannel's ICE UDP mux (geckos' default since 2.3, said here so it stays):
      // every peer connection shares one UDP socket, the first port of the range.
      multiplex: true,
      // One unordered channel with no retransmits: reliability is the DatagramLink's, per message.
      ordered: false,
      maxRetransmits: 0,
      autoManageBuffering: false,
      cors: { origin: (req) => req.headers.origin ?? '*' },
      authorization: async (_auth, req, res) => {
        const ip = (req as IncomingMessage & { tickwireIp?: string }).tickwireIp ?? 'unknown';
        // Checked first, so a refusal here costs the address none of its handshakes.
        const refusal =
          this.attempts.pending >= maxPending
            ? { status: 503, reason: `too many WebRTC connections being set up (${maxPending}): try again shortly` }
            : host.admit(req, ip);
        if (refusal) {
          this.refused++;
          host.log('warn', { ip, status: refusal.status, reason: refusal.reason, transport: 'webrtc' }, 'webrtc connection refused');
          explainRefusal(res as ServerResponse, refusal.reason);
          return refusal.status;
        }
        // Counted from here: the attempt's deadline starts now, before geckos makes anything.
        const userData = { ip };
        const attempt = this.attempts.start(ip);
        this.admittedBy.set(req, { attempt, userData });
        this.attemptOf.set(userData, attempt);
        return userData;
      },
    });
    this.manager = this.io.connectionsManager as unknown as GeckosConnections;
    this.watchConnections();
    this.io.addServer(this.standIn as never);
    this.io.onConnection((channel: ServerChannel) => {
      // geckos.io announces new channels on one process-wide emitter: every gateway in the
      // process hears every channel. Take only those signalled through this one.
      const connection = this.manager.connections.get(channel.id as string);
      if (this.disposed || !connection) return;
      const attempt = this.attemptOf.get(channel.userData as object);
      // Opened after its attempt was given up (the deadline fell as ICE completed): its count
      // is back already, so it may not become a session.
      if (!attempt?.opened()) {
        this.forget(connection);
        return;
      }
      const ip = attempt.ip;
      this.opened++;
      const transport = new WebRtcTransport(channel, timers, maxPayloadBytes, this.counters);
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        host.closed(ip, transport);
      };
      channel.onDisconnect(release);
      if (!host.accept(transport, ip)) release();
    });
    if (options.publicIp) this.publicIp = options.publicIp;
  }

  private readonly publicIp: string | undefined;

  private disposed = false;

  /** Admitted attempts still waiting for their data channel. */
  get attemptsPending(): number {
    return this.attempts.pending;
  }

  /** Admitted attempts given up (ICE failed, the client closed, the deadline passed). */
  get attemptsAbandoned(): number {
    return this.attempts.abandonedTotal;
  }

  /** Peer connections geckos holds (pending and open). */
  get peerConnections(): number {
    return this.manager.connections.size;
  }

  /**
   * Take no more channels (the server is shutting down); attempts still pending are given up
   * now, the open channels close with their sessions.
   */
  dispose(): void {
    this.disposed = true;
    this.attempts.abandonAll('the server is shutting down');
  }

  /** Answer a signalling request from `ip` (already past the server's request-rate limit). */
  handle(req: IncomingMessage, res: ServerResponse, ip: string): void {
    // A declared length over the cap needs no reading; any other is checked as it is read.
    if (Number(req.headers['content-length'] ?? 0) > MAX_SIGNAL_BODY_BYTES) {
      this.refuseBody(req, res, ip, 0);
      return;
    }
    readCappedBody(
      req,
      MAX_SIGNAL_BODY_BYTES,
      (result) => {
        if (result.ok) this.route(req, res, ip, result.body);
        else if (result.why === 'too large') this.refuseBody(req, res, ip, result.bytes);
        // Aborted: the client is gone, nobody to answer.
      },
      (n) => (this.bodyBytesRead += n),
    );
  }

  /** A signalling request whose whole body (≤ the cap) is in `body`. */
  private route(req: IncomingMessage, res: ServerResponse, ip: string, body: Buffer): void {
    const path = (req.url ?? '').split('?', 1)[0];
    const named = /\/connections\/([0-9A-Za-z]+)\/(additional-candidates|close)$/.exec(path);
    const connection = named ? this.manager.connections.get(named[1]) : undefined;
    if (named?.[2] === 'close' && connection) {
      // A pending attempt ends here, its count given back at once (geckos would only close the
      // peer connection, and the count would wait for the disconnect).
      const attempt = this.attemptOf.get(connection.userData as object);
      if (attempt?.state === 'pending') attempt.abandon('the client closed it');
      else this.forget(connection);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('');
      return;
    }
    // geckos.io's client keeps asking for more candidates for ten seconds after connecting, and
    // geckos' server answers 404 once that connection is gone (it dropped, or resumed on a new
    // one): a browser logs every 404. Nothing to add is the true answer.
    if (named && !connection) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(named[2] === 'close' ? '' : '[]');
      return;
    }
    // geckos reads the body itself (its parseBody buffers whatever comes): it gets a stand-in
    // request carrying the body already read and checked here.
    const forwarded = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
      url: req.url,
      method: req.method,
      headers: req.headers,
      socket: req.socket,
      tickwireIp: ip,
    });
    if (this.publicIp) announceIp(res, this.publicIp);
    this.standIn.emit('request', forwarded, res);
  }

  private refuseBody(req: IncomingMessage, res: ServerResponse, ip: string, bytesRead: number): void {
    this.bodiesRefused++;
    this.host.log('warn', { ip, bytesRead, transport: 'webrtc' }, 'webrtc signalling body over the limit');
    refuseTooLarge(req, res, `a signalling body is at most ${MAX_SIGNAL_BODY_BYTES} bytes`);
  }

  /**
   * Every connection geckos makes for an admitted request is tied to its attempt: a failure
   * or the deadline closes it and removes it from geckos' manager (geckos itself only removes
   * a connection whose state changes, which an abandoned one's may never do). geckos closes a
   * connection whose peer connection turns disconnected, failed or closed (ICE failing among
   * them), and that close emits the channel's disconnect, which abandons the attempt.
   */
  private watchConnections(): void {
    const manager = this.manager;
    const create = manager.createConnection.bind(manager);
    manager.createConnection = async (authorization, req, res) => {
      let result: Awaited<ReturnType<GeckosConnections['createConnection']>>;
      try {
        result = await create(authorization, req, res);
      } catch (err) {
        // The offer failed (geckos gives making the data channel 2 s): the connection never
        // reached geckos' map; its count comes back now.
        this.admittedBy.get(req)?.attempt.abandon('could not make an offer');
        throw err;
      }
      const admitted = this.admittedBy.get(req);
      const connection = result.connection ? manager.connections.get(result.connection.id) : undefined;
      if (!admitted) return result;
      if (!connection) {
        admitted.attempt.abandon('its connection was gone before the offer went out');
        return result;
      }
      const attempt = admitted.attempt;
      attempt.bindCleanup(() => this.forget(connection));
      connection.channel?.onDisconnect((state) => attempt.abandon(`connection ${String(state)}`));
      return result;
    };
  }

  /**
   * Drop a connection from geckos' manager, now (geckos' own `close()` does it only after
   * awaiting both closes), and close its data channel and peer connection.
   */
  private forget(connection: GeckosConnection): void {
    if (this.manager.connections.get(connection.id) === connection) this.manager.connections.delete(connection.id);
    if (!connection.channel) return;
    connection.close().catch(() => undefined);
  }
}

/**
 * geckos.io answers a refused authorization with its own status line (`end('429')`,
 * `end('403: Forbidden')`): make that `end()` carry the reason as a sentence instead, as
 * every other refusal here does.
 */
function explainRefusal(res: ServerResponse, reason: string): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    res.setHeader('content-type', 'text/plain');
    const callback = args.find((a) => typeof a === 'function');
    return callback ? end(`${reason}\n`, callback) : end(`${reason}\n`);
  }) as ServerResponse['end'];
}

/**
 * node-datachannel takes ICE servers as URL strings, credentials inside
 * (`turn:user:pass@host:3478`), and geckos.io 3 hands it each server's `urls` as they are: a
 * browser-style list (`{ urls: [...], username, credential }`) becomes one string per URL.
 */
export function toDataChannelIceServers(servers: readonly RTCIceServer[]): RTCIceServer[] {
  const out: RTCIceServer[] = [];
  for (const server of servers) {
    const urls = typeof server.urls === 'string' ? [server.urls] : server.urls;
    for (const url of urls) {
      const colon = url.indexOf(':');
      const withCredentials =
        server.username !== undefined && typeof server.credential === 'string' && colon > 0
          ? `${url.slice(0, colon + 1)}${encodeURIComponent(server.username)}:${encodeURIComponent(server.credential)}@${url.slice(colon + 1)}`
          : url;
      out.push({ urls: withCredentials });
    }
  }
  return out;
}
