import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as geckosModule from '@geckos.io/server';
import type { GeckosServer, ServerChannel } from '@geckos.io/server';
import type { DatagramTimers } from '../../../shared/datagram/datagram-link';
import { announceIp } from './announce-ip';
import { WebRtcTransport } from './webrtc-transport';
import type { WebRtcCounters, WebRtcGatewayLike, WebRtcOptions } from './webrtc-options';

export type { WebRtcOptions };

/**
 * geckos.io is CommonJS with `exports.default`: depending on the loader (Node's ESM, Vite,
 * vitest) the default import is the function or the exports object around it.
 */
const geckos = ((d) => (typeof d === 'function' ? d : (d as { default: unknown }).default))(
  (geckosModule as unknown as { default: unknown }).default,
) as typeof geckosModule.default;

/** Signalling bodies are SDP and candidates: a few KB. A larger one is refused (413). */
const MAX_SIGNAL_BODY_BYTES = 64 * 1024;
/** Paths geckos.io signals on. */
export const WEBRTC_SIGNAL_PREFIX = '/.wrtc/v1/';

/** What the gateway needs from the server it serves. */
export interface WebRtcHost {
  /**
   * Whether `req` (from `ip`) may open a game connection: undefined for yes (it is then
   * counted open until `closed`), else the refusal.
   */
  admit(req: IncomingMessage, ip: string): { status: number; reason: string } | undefined;
  /** A data channel opened: make it a session (false: refused, the transport is closed). */
  accept(transport: WebRtcTransport, ip: string): boolean;
  /** A channel admitted by `admit` is gone. */
  closed(ip: string, transport: WebRtcTransport | undefined): void;
  log(level: 'warn' | 'info', fields: Record<string, unknown>, msg: string): void;
}

/**
 * The WebRTC front door: geckos.io's signalling served from the game's own HTTP server (its
 * requests pass the same per-address limits as everything else there), and each data channel
 * handed to the server as a {@link WebRtcTransport}. geckos attaches to an HTTP server by
 * taking over its 'request' listeners; it is given a stand-in instead, and the server forwards
 * only the signalling paths to it.
 */
export class WebRtcGateway implements WebRtcGatewayLike {
  readonly counters: WebRtcCounters = { datagramsDropped: 0, retransmits: 0 };
  /** Channels opened, and signalling attempts refused. */
  opened = 0;
  refused = 0;
  private readonly io: GeckosServer;
  private readonly standIn = new EventEmitter();

  constructor(
    options: WebRtcOptions,
    private readonly host: WebRtcHost,
    timers: DatagramTimers,
    maxPayloadBytes: number,
  ) {
    this.io = geckos({
      iceServers: options.iceServers ?? [],
      portRange: options.portRange,
      // One unordered channel with no retransmits: reliability is the DatagramLink's, per message.
      ordered: false,
      maxRetransmits: 0,
      autoManageBuffering: false,
      cors: { origin: (req) => req.headers.origin ?? '*' },
      authorization: async (_auth, req) => {
        const ip = (req as IncomingMessage & { tickwireIp?: string }).tickwireIp ?? 'unknown';
        const refusal = host.admit(req, ip);
        if (refusal) {
          this.refused++;
          host.log('warn', { ip, status: refusal.status, reason: refusal.reason, transport: 'webrtc' }, 'webrtc connection refused');
          return refusal.status;
        }
        return { ip };
      },
    });
    this.io.addServer(this.standIn as never);
    this.io.onConnection((channel: ServerChannel) => {
      // geckos.io 1.7 announces new channels on one process-wide emitter: every gateway in the
      // process hears every channel. Take only those signalled through this one.
      if (this.disposed || !this.io.connectionsManager.connections.has(channel.id as string)) return;
      const ip = (channel.userData as { ip?: string } | undefined)?.ip ?? 'unknown';
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

  /** Take no more channels (the server is shutting down); the open ones close with their sessions. */
  dispose(): void {
    this.disposed = true;
  }

  /** Answer a signalling request from `ip` (already past the server's request-rate limit). */
  handle(req: IncomingMessage, res: ServerResponse, ip: string): void {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > MAX_SIGNAL_BODY_BYTES) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`signalling body over ${MAX_SIGNAL_BODY_BYTES} bytes\n`);
      return;
    }
    // geckos.io's client keeps asking for more candidates for ten seconds after connecting, and
    // geckos' server answers 404 once that connection is gone (it dropped, or resumed on a new
    // one): a browser logs every 404. Nothing to add is the true answer.
    const gone = /\/connections\/([0-9A-Za-z]+)\/(additional-candidates|close)$/.exec((req.url ?? '').split('?', 1)[0]);
    if (gone && !this.io.connectionsManager.connections.has(gone[1])) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(gone[2] === 'close' ? '' : '[]');
      return;
    }
    (req as IncomingMessage & { tickwireIp?: string }).tickwireIp = ip;
    if (this.publicIp) announceIp(res, this.publicIp);
    this.standIn.emit('request', req, res);
  }
}
