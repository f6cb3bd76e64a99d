import type { WebSocket } from 'ws';
import { ByteReader } from '../../shared/binary/byte-reader';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { clampCloseReason, CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody, encodeControl, parseJoin, parsePing, type ErrorMessage, type PongMessage } from '../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { PlayerSlot, Room, RoomClient } from '../rooms/room';
import { JoinRejectedError, type RoomManager } from '../rooms/room-manager';
import { TokenBucket } from './token-bucket';

/** What a connection needs from the server that owns it. */
export interface ConnectionHost {
  readonly clock: Clock;
  readonly rooms: RoomManager;
  /** Messages per second a client may send, and the burst above that. */
  readonly messageRate: { perSecond: number; burst: number };
  /** Bytes queued for a client beyond which it is closed as not reading (TooSlow). */
  readonly maxQueuedBytes: number;
  connectionClosed(conn: WsConnection, code: number, reason: string): void;
}

export const ConnectionState = { Joining: 0, Joined: 1, Closing: 2, Closed: 3 } as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

// Listeners are module-level functions that find their connection through this symbol, so no
// closures are made per connection (the pattern ws itself uses).
const kConnection = Symbol('tickwire.connection');
type TaggedSocket = WebSocket & { [kConnection]: WsConnection };

/** One reader serves every message: Node runs one handler at a time. */
const reader = new ByteReader();


/**
 * One client over WebSocket: decodes its messages, enforces its limits, and is the
 * {@link RoomClient} its room sends through. Every protocol violation ends in {@link reject}:
 * an ERROR message, a close with a precise code and reason, and one warn log line.
 */
export class WsConnection implements RoomClient {
  state: ConnectionState = ConnectionState.Joining;
  room: Room | undefined;
  slot: PlayerSlot<unknown> | undefined;
  readonly connectedAt: number;
  /** Last time anything came from the client: a message or a heartbeat pong, ms. */
  lastHeardAt: number;
  /** When the server began closing this connection, ms on the host clock (NaN until then). */
  closingSince = NaN;
  /**
   * The close code the server chose, if it closed first. The code the socket reports can differ
   * (1006 after a terminate, or the peer's own code), so /health counts this one.
   */
  sentCode: number | undefined;
  private pingedAt = -Infinity;
  private readonly bucket: TokenBucket;

  constructor(readonly id: number, private readonly socket: WebSocket, private readonly host: ConnectionHost, readonly log: Logger) {
    const now = host.clock.now();
    this.connectedAt = now;
    this.lastHeardAt = now;
    this.bucket = new TokenBucket(host.messageRate.perSecond, host.messageRate.burst, now);
    (socket as TaggedSocket)[kConnection] = this;
    socket.binaryType = 'nodebuffer';
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('pong', onSocketPong);
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  send(bytes: Uint8Array): void {
    if (this.socket.readyState !== 1) return;
    // Snapshots stop at the room's backpressure threshold, but control replies (PONG, roster,
    // ERROR) would queue without end for a client that never reads: cut it off instead.
    if (this.socket.bufferedAmount > this.host.maxQueuedBytes) {
      this.log.warn({ code: CloseCode.TooSlow, queuedBytes: this.socket.bufferedAmount }, 'closing client: it is not reading');
      this.close(CloseCode.TooSlow, `too slow: over ${this.host.maxQueuedBytes} bytes queued unread`);
      return;
    }
    this.socket.send(bytes);
  }

  close(code: number, reason: string): void {
    if (this.state >= ConnectionState.Closing) return;
    this.beginClosing(code);
    // Past OPEN (the peer half-closed, or its close frame crossed ours) ws starts no close
    // timer and would wait on the peer for ever: there is no handshake left to do, so drop it.
    if (this.socket.readyState !== 1) {
      this.socket.terminate();
      return;
    }
    try {
      this.socket.close(code, clampCloseReason(reason));
    } catch (err) {
      // Never leave a socket open in Closing: it would hold a connection slot forever.
      this.log.error({ err, code }, 'close failed; terminating the socket');
      this.socket.terminate();
    }
  }

  /**
   * Drop the connection at once, with no close handshake: for peers that stopped answering and
   * for sockets whose handshake outlived its deadline. `code` is what /health records.
   */
  terminate(code: number = CloseCode.ConnectionLost): void {
    if (this.state === ConnectionState.Closed) return;
    if (this.state < ConnectionState.Closing) this.beginClosing(code);
    this.socket.terminate();
  }

  private beginClosing(code: number): void {
    this.state = ConnectionState.Closing;
    this.closingSince = this.host.clock.now();
    this.sentCode = code;
  }

  /** Refuse the client: ERROR message, then close with `code`, and a warn line in the log. */
  reject(code: number, reason: string, fields?: Record<string, unknown>): void {
    if (this.state >= ConnectionState.Closing) return;
    this.log.warn({ code, reason, ...fields }, 'closing client');
    this.send(encodeControl(MessageType.Error, { code, message: reason } satisfies ErrorMessage));
    this.close(code, reason);
  }

  handleMessage(data: Buffer, isBinary: boolean): void {
    if (this.state >= ConnectionState.Closing) return;
    const now = this.host.clock.now();
    this.lastHeardAt = now;
    if (!this.bucket.take(now)) {
      this.reject(CloseCode.RateLimited, `rate limit exceeded: at most ${this.host.messageRate.perSecond} messages/s`);
      return;
    }
    if (!isBinary) {
      this.reject(CloseCode.UnsupportedData, 'text frames are not accepted: the protocol is binary');
      return;
    }
    reader.reset(data);
    try {
      const type = reader.u8();
      switch (type) {
        case MessageType.Input:
          return this.onInput();
        case MessageType.Join:
          return this.onJoin();
        case MessageType.Ping:
          return this.onPing();
        default:
          throw new WireError(WireErrorCode.UnknownType, `unknown message type 0x${type.toString(16).padStart(2, '0')}`);
      }
    } catch (err) {
      if (err instanceof WireError) {
        this.reject(CloseCode.MalformedMessage, `malformed message: ${err.message}`, { wireError: err.code });
      } else {
        // A bug in game code (an input codec that throws something other than WireError).
        this.log.error({ err }, 'unexpected error handling a message');
        this.reject(CloseCode.InternalError, 'internal error');
      }
    }
  }

  private onInput(): void {
    if (this.state !== ConnectionState.Joined || !this.room || !this.slot) {
      this.reject(CloseCode.UnexpectedMessage, 'INPUT before JOIN');
      return;
    }
    this.room.acceptInputs(this.slot, reader);
  }

  private onJoin(): void {
    if (this.state !== ConnectionState.Joining) {
      this.reject(CloseCode.UnexpectedMessage, 'JOIN sent twice on one connection');
      return;
    }
    const join = parseJoin(decodeControlBody(reader.rest()));
    if (join.v !== PROTOCOL_VERSION) {
      this.reject(CloseCode.ProtocolMismatch, `protocol version ${join.v} is not supported: this server speaks version ${PROTOCOL_VERSION}`);
      return;
    }
    try {
      const { room, slot } = this.host.rooms.join(this, join.roomType, join.name);
      this.room = room;
      this.slot = slot;
      this.state = ConnectionState.Joined;
      this.log.info({ room: room.id, player: slot.id, name: slot.name }, 'player joined');
    } catch (err) {
      if (!(err instanceof JoinRejectedError)) throw err;
      this.reject(err.closeCode, err.message);
    }
  }

  private onPing(): void {
    const ping = parsePing(decodeControlBody(reader.rest()));
    this.send(encodeControl(MessageType.Pong, { t: ping.t, tick: this.room?.tick ?? 0 } satisfies PongMessage));
  }

  /**
   * Send a WebSocket ping if the client has been quiet for `intervalMs`. Browsers answer pings
   * at the protocol level even in background tabs, where timers (and so app messages) are
   * throttled to once a minute, so a live but hidden player is never mistaken for a dead one.
   */
  heartbeat(now: number, intervalMs: number): void {
    if (now - this.lastHeardAt < intervalMs || now - this.pingedAt < intervalMs) return;
    this.pingedAt = now;
    if (this.socket.readyState === 1) this.socket.ping();
  }

  /** ws hit a protocol error and is closing the socket itself with `code`. */
  protocolError(code: number): void {
    if (this.state < ConnectionState.Closing) this.beginClosing(code);
  }

  heard(): void {
    this.lastHeardAt = this.host.clock.now();
  }

  /** Called once the socket has closed, whoever closed it. */
  closed(code: number, reason: string): void {
    if (this.state === ConnectionState.Closed) return;
    this.state = ConnectionState.Closed;
    if (this.room && this.slot) this.host.rooms.leave(this.room, this.slot);
    this.host.connectionClosed(this, code, reason);
  }
}

function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as TaggedSocket)[kConnection].handleMessage(data, isBinary);
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as TaggedSocket)[kConnection].closed(code, reason.toString());
}

function onSocketPong(this: WebSocket): void {
  (this as TaggedSocket)[kConnection].heard();
}

function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  // ws reports protocol errors here (e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH past maxPayload) and
  // closes the socket itself with the matching code (1009, 1002...). We log; 'close' follows.
  const conn = (this as TaggedSocket)[kConnection];
  const code = (err.code && WS_ERROR_CLOSE_CODES[err.code]) || CloseCode.ProtocolError;
  conn.log.warn({ code, wsError: err.code, reason: err.message }, 'websocket protocol error; ws closes the client');
  conn.protocolError(code);
}

/** The close code ws sends for the protocol errors it closes a socket over (else 1002). */
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
};
