import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { MAX_TOKEN_LENGTH } from '../../shared/protocol/control-messages';
import { escapeForLog, type LogSampler } from '../logging/log-sampler';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { Session } from '../session/session';
import type { ServerTransport } from '../transport/transport';
import type { WebRtcHost } from '../transport/webrtc/webrtc-gateway';
import type { WebRtcTransport } from '../transport/webrtc/webrtc-transport';
import { WsTransport } from '../transport/ws-transport';
import type { FrontDoor } from './front-door';
import type { ConnectionInfo } from './server-options';

/** What the door reads and hands its links to: the server. */
export interface DoorHost {
  readonly clock: Clock;
  readonly log: Logger;
  readonly logSampler: LogSampler;
  /** Per-address limits and who the client is behind proxies. */
  readonly frontDoor: FrontDoor;
  /** Take a link: undefined when it was refused (server full or shutting down). */
  acceptTransport(transport: ServerTransport, info: ConnectionInfo): Session | undefined;
}

/** What the door needs of the WebSocket server. */
export interface DoorLimits {
  /** Largest accepted WebSocket message, bytes. */
  maxPayloadBytes: number;
  /** How long a closing socket waits for the peer's close frame, ms. */
  closeTimeoutMs: number;
}

/** A socket's place in the front door's per-address counts. */
interface DoorTicket {
  ip: string;
  joined: boolean;
}

/**
 * The way in for game links: every TCP connection is counted per address before a byte is
 * parsed; an upgrade on `/ws` passes the front door's checks and becomes a WebSocket link; a
 * WebRTC channel is admitted and counted the same way ({@link webrtcHost}). Each link keeps a
 * ticket so the per-address counts learn when it joins and when it goes.
 */
export class UpgradeDoor {
  private readonly wss: WebSocketServer;
  private readonly tickets = new WeakMap<Session, DoorTicket>();

  constructor(
    private readonly host: DoorHost,
    limits: DoorLimits,
    /** True once the server is shutting down: upgrades are refused with a 503. */
    private readonly closing: () => boolean,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: limits.maxPayloadBytes,
      clientTracking: false,
      // ws waits this long for a peer's close frame before dropping the socket (its default is
      // 30 s): bounds how long shutdown and a dead player's removal can take. (ws 8 supports
      // it; @types/ws does not list it yet.)
      ...({ closeTimeout: limits.closeTimeoutMs } as object),
    });
  }

  /** Watch `http`'s TCP connections and upgrades. */
  attach(http: Server): void {
    http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    http.on('connection', (socket: Socket) => this.onTcpConnection(socket));
  }

  /** The session took a seat: its address's open links now count as joined ones. */
  joined(session: Session): void {
    const ticket = this.tickets.get(session);
    if (ticket && !ticket.joined) {
      ticket.joined = true;
      this.host.frontDoor.joined(ticket.ip);
    }
  }

  /** Stop the WebSocket server (its links are closed by then). */
  close(): Promise<void> {
    return new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  /** How the WebRTC gateway admits, hands over and releases its channels: as the WebSocket path does. */
  webrtcHost(): WebRtcHost {
    const host = this.host;
    const tickets = new Map<WebRtcTransport, DoorTicket>();
    return {
      admit: (req, ip) =>
        this.closing() ? { status: 503, reason: 'the server is shutting down' } : host.frontDoor.admitUpgrade(req, ip, host.clock.now()),
      accept: (transport, ip) => {
        const ticket: DoorTicket = { ip, joined: false };
        tickets.set(transport, ticket);
        const session = host.acceptTransport(transport, { remoteAddress: ip });
        if (!session) return false;
        this.tickets.set(session, ticket);
        session.addressBudget = host.frontDoor.messageBudget(ip, host.clock.now());
        return true;
      },
      closed: (ip, transport) => {
        const ticket = transport ? tickets.get(transport) : undefined;
        if (transport) tickets.delete(transport);
        host.frontDoor.closed(ip, ticket?.joined ?? false, host.clock.now());
      },
      log: (level, fields, msg) => host.logSampler.write(host.log, level, String(fields.ip ?? 'unknown'), host.clock.now(), fields, msg),
    };
  }

  /** Every TCP connection, before any byte is parsed: cut an address already holding too many. */
  private onTcpConnection(socket: Socket): void {
    const { frontDoor, clock } = this.host;
    const peer = socket.remoteAddress ?? 'unknown';
    if (!frontDoor.socketOpened(peer, clock.now())) {
      this.host.logSampler.write(
        this.host.log,
        'warn',
        peer,
        clock.now(),
        { ip: peer },
        'tcp connection refused: too many open from this address',
      );
      socket.destroy();
      return;
    }
    socket.once('close', () => frontDoor.socketClosed(peer, clock.now()));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const { frontDoor, clock } = this.host;
    // Node's HTTP server stops watching a socket once it is handed to 'upgrade': without this
    // listener a reset during a refused upgrade would be an uncaught error.
    socket.on('error', onUpgradeSocketError);
    const path = (req.url ?? '/').split('?', 1)[0];
    const closing = this.closing();
    if (path !== '/ws' || closing) {
      refuseUpgrade(socket, closing ? 503 : 404, closing ? 'the server is shutting down' : 'no such endpoint: the game is at /ws');
      return;
    }
    const ip = frontDoor.clientIp(req);
    const refusal = frontDoor.admitUpgrade(req, ip, clock.now());
    if (refusal) {
      this.host.logSampler.write(
        this.host.log,
        'warn',
        ip,
        clock.now(),
        { ip, status: refusal.status, reason: escapeForLog(refusal.reason) },
        'upgrade refused',
      );
      refuseUpgrade(socket, refusal.status, refusal.reason);
      return;
    }
    // Counted open from here until the TCP socket closes, however the handshake ends.
    const ticket: DoorTicket = { ip, joined: false };
    socket.once('close', () => frontDoor.closed(ip, ticket.joined, clock.now()));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = this.host.acceptTransport(new WsTransport(ws, socket), { remoteAddress: ip, token: tokenFromUrl(req.url) });
      if (!session) return;
      this.tickets.set(session, ticket);
      session.addressBudget = frontDoor.messageBudget(ip, clock.now());
    });
  }
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

function onUpgradeSocketError(this: Duplex): void {
  // A client that resets during the handshake: nothing to do but let the socket go.
  this.destroy();
}
