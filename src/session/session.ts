import { ByteReader } from '../../shared/binary/byte-reader';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { clampCloseReason, CloseCode } from '../../shared/protocol/close-codes';
import { decodeControlBody, encodeControl, parsePing, type ErrorMessage, type PongMessage } from '../../shared/protocol/control-messages';
import { readAck } from '../../shared/protocol/ack-message';
import { MessageType } from '../../shared/protocol/message-types';
import { escapeForLog } from '../logging/log-sampler';
import type { Logger } from '../logging/logger';
import type { PlayerIdentity, PlayerSlot, Room, RoomClient } from '../rooms/room';
import { TokenBucket } from '../transport/token-bucket';
import type { ServerTransport, TransportSink } from '../transport/transport';
import { Delivery } from '../wire/delivery';
import { isDrop } from './drop-policy';
import { handleJoin } from './session-admission';
import type { SessionHost } from './session-host';
import { SessionLiveness } from './session-liveness';
import { SessionState } from './session-state';
import { SessionTokens } from './session-tokens';

// The session's parts, one job per file; importers of './session' keep finding them here.
export { SessionState };
export type { SessionHost, TrafficCounters } from './session-host';

/** One reader serves every message: Node runs one handler at a time. */
const reader = new ByteReader();

/**
 * One client, whatever carries its bytes: the protocol lives here and nowhere else. A session
 * decodes messages, enforces limits, authenticates, joins or resumes a seat, answers pings,
 * and is the {@link RoomClient} its room sends through. Every protocol violation ends in
 * {@link reject}: an ERROR message, a close with a precise code and reason, and one warn line.
 *
 * A player is a seat, not a session: when the link drops the seat is detached and held for the
 * room type's resume window, and a new session that presents the resume token takes it back.
 */
export class Session implements RoomClient, TransportSink {
  state: SessionState = SessionState.AwaitingJoin;
  room: Room | undefined;
  slot: PlayerSlot<unknown> | undefined;
  /** Who the player proved to be (authentication on), else undefined. */
  identity: PlayerIdentity | undefined;
  readonly connectedAt: number;
  /** Heard from, heartbeat answers, round trip and backlog: whether the client is alive and reading. */
  readonly liveness: SessionLiveness;
  /** The bearer token's expiry and refreshes (authentication on). */
  readonly tokens: SessionTokens;
  /** When the server began closing this session, ms on the host clock (NaN until then). */
  closingSince = Number.NaN;
  /**
   * The close code the server chose, if it closed first. The code the link reports can differ
   * (1006 after a terminate, or the peer's own code), so /health counts this one.
   */
  sentCode: number | undefined;
  /** The message budget this session shares with the other sockets of its address, if limited. */
  addressBudget: TokenBucket | undefined;
  private readonly bucket: TokenBucket;

  /**
   * @param urlToken a bearer token that came with the connection (the `token` query parameter);
   *   JOIN.token wins over it
   */
  constructor(
    readonly id: number,
    readonly transport: ServerTransport,
    /** The server that owns this session: its clock, rooms, limits and auth. */
    readonly host: SessionHost,
    readonly log: Logger,
    /** A bearer token that came with the connection; JOIN.token wins over it. */
    readonly urlToken?: string,
    /** The peer's address: the key its sampled warnings are counted under. */
    readonly address = 'unknown',
  ) {
    const now = host.clock.now();
    this.connectedAt = now;
    this.liveness = new SessionLiveness(now);
    this.tokens = new SessionTokens(this);
    this.bucket = new TokenBucket(host.messageRate.perSecond, host.messageRate.burst, now);
    transport.bind(this);
  }

  /** Last time anything came from the client: a message or a heartbeat answer, ms. */
  get lastHeardAt(): number {
    return this.liveness.lastHeardAt;
  }

  /** Last time the client answered a heartbeat probe, ms: proof that it reads what we send. */
  get lastAnsweredAt(): number {
    return this.liveness.lastAnsweredAt;
  }

  /** The last heartbeat's round trip, ms (NaN before the first answer). */
  get rttMs(): number {
    return this.liveness.rttMs;
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  /** 'ws', 'webrtc' or 'memory'. */
  get transportKind(): string {
    return this.transport.kind;
  }

  /** A WebSocket delivers every message in order while it lives (see RoomClient.inOrder). */
  get inOrder(): boolean {
    return this.transport.kind === 'ws';
  }

  send(bytes: Uint8Array, delivery: Delivery = Delivery.Reliable): void {
    if (!this.mayQueue()) return;
    this.transport.send(bytes, delivery);
    const t = this.host.traffic;
    if (t) {
      t.messagesOut++;
      t.bytesOut += bytes.length;
    }
  }

  sendParts(head: Uint8Array, body: Uint8Array, delivery: Delivery): void {
    if (!this.mayQueue()) return;
    this.transport.sendParts(head, body, delivery);
    const t = this.host.traffic;
    if (t) {
      t.messagesOut++;
      t.bytesOut += head.length + body.length;
    }
  }

  /**
   * Snapshots stop at the room's backpressure threshold, but control replies (PONG, roster,
   * ERROR) would queue without end for a client that never reads: cut it off instead.
   */
  private mayQueue(): boolean {
    if (!this.transport.isOpen) return false;
    if (this.transport.bufferedAmount > this.host.maxQueuedBytes) {
      this.log.warn({ code: CloseCode.TooSlow, queuedBytes: this.transport.bufferedAmount }, 'closing client: it is not reading');
      this.close(CloseCode.TooSlow, `too slow: over ${this.host.maxQueuedBytes} bytes queued unread`);
      return false;
    }
    return true;
  }

  close(code: number, reason: string): void {
    if (this.state >= SessionState.Closing) return;
    this.beginClosing(code);
    this.transport.close(code, clampCloseReason(reason));
  }

  /**
   * Drop the link at once, with no close handshake: for peers that stopped answering and for
   * links whose handshake outlived its deadline. `code` is what /health records.
   */
  terminate(code: number = CloseCode.ConnectionLost): void {
    if (this.state === SessionState.Closed) return;
    if (this.state < SessionState.Closing) this.beginClosing(code);
    this.transport.terminate();
  }

  private beginClosing(code: number): void {
    this.state = SessionState.Closing;
    this.closingSince = this.host.clock.now();
    this.sentCode = code;
  }

  /**
   * Refuse the client: ERROR message, then close with `code`, and a warn line in the log
   * (sampled per address: a flood of offenders writes a few lines and a count).
   */
  reject(code: number, reason: string, fields?: Record<string, unknown>): void {
    if (this.state >= SessionState.Closing) return;
    this.warnSampled('closing client', { code, reason: escapeForLog(reason), ...fields });
    this.send(encodeControl(MessageType.Error, { code, message: reason } satisfies ErrorMessage));
    this.close(code, reason);
  }

  /** A warn line, unless this address has written too many of this kind lately. */
  warnSampled(msg: string, fields: Record<string, unknown>): void {
    this.host.logSampler.write(this.log, 'warn', this.address, this.host.clock.now(), fields, msg);
  }

  /**
   * This session's room has moved to another node: let go of the seat (it lives there now,
   * under the same resume token), send `notice` (NOTICE 'move', naming the node) and close 4016.
   */
  moveOut(notice: Uint8Array, reason: string): void {
    this.letGoOfSeat();
    this.send(notice);
    this.close(CloseCode.RoomMoved, reason);
  }

  /**
   * Another session took this one's seat (a resume while this link was half-open, or the same
   * identity logging in again). Let go of the seat first, so this link's close does not touch
   * it; then ERROR and close 4012 (see RoomClient.supersede).
   */
  supersede(reason: string): void {
    this.letGoOfSeat();
    this.reject(CloseCode.Superseded, reason);
  }

  /** The seat lives on without this session (another link took it, or another node): forget it, so closing does not detach it. */
  private letGoOfSeat(): void {
    this.room = undefined;
    this.slot = undefined;
  }

  // ── TransportSink ────────────────────────────────────────────────────────────────────────

  message(data: Uint8Array, isBinary: boolean): void {
    if (this.state >= SessionState.Closing) return;
    const t = this.host.traffic;
    if (t) {
      t.messagesIn++;
      t.bytesIn += data.length;
    }
    const now = this.host.clock.now();
    this.liveness.lastHeardAt = now;
    if (!this.takeToken(now)) return;
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
        case MessageType.Ack:
          return this.onAck();
        case MessageType.Join:
          return handleJoin(this, reader);
        case MessageType.Ping:
          return this.onPing();
        case MessageType.TokenRefresh:
          return this.tokens.refreshRequested(reader);
        case MessageType.ChatSend:
        case MessageType.ChatHistory:
        case MessageType.Mute:
        case MessageType.NoticeRead:
          if (!this.host.socialMessage)
            throw new WireError(WireErrorCode.UnknownType, `this server has no chat (message type 0x0${type.toString(16)})`);
          if (this.state !== SessionState.Joined) {
            this.reject(CloseCode.UnexpectedMessage, 'chat before JOIN');
            return;
          }
          return this.host.socialMessage(this, type, decodeControlBody(reader.rest()));
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

  heard(): void {
    this.liveness.answered(this.host.clock.now());
  }

  /** A protocol-level control frame (a WebSocket ping) arrived: it costs a token like a message. */
  controlFrame(): void {
    if (this.state >= SessionState.Closing) return;
    this.takeToken(this.host.clock.now());
  }

  /** One inbound message or ping frame against this socket's rate and its address's; false when over (and closed 4003). */
  private takeToken(now: number): boolean {
    if (!this.bucket.take(now)) {
      this.reject(
        CloseCode.RateLimited,
        `rate limit exceeded: at most ${this.host.messageRate.perSecond} messages/s, ping frames included`,
      );
      return false;
    }
    const shared = this.addressBudget;
    if (shared && !shared.take(now)) {
      this.reject(
        CloseCode.RateLimited,
        `rate limit exceeded: at most ${shared.ratePerSecond} messages/s from this address over all its connections`,
      );
      return false;
    }
    return true;
  }

  protocolError(code: number, detail: string, errorCode?: string): void {
    this.warnSampled('transport protocol error; the transport closes the client', {
      code,
      wsError: errorCode,
      reason: escapeForLog(detail),
    });
    if (this.state < SessionState.Closing) this.beginClosing(code);
  }

  /** The link is gone, whoever closed it: a drop detaches the seat, anything else frees it. */
  closed(code: number, reason: string): void {
    if (this.state === SessionState.Closed) return;
    this.state = SessionState.Closed;
    const { room, slot } = this;
    if (room && slot) {
      if (isDrop(this.sentCode, code)) {
        const dropCode = this.sentCode ?? code;
        this.log.info(
          { room: room.id, player: slot.id, code: dropCode, resumeWindowMs: room.type.resumeWindowMs },
          'player dropped; seat held for resume',
        );
        this.host.rooms.detach(room, slot, dropCode, this.host.clock.now());
      } else this.host.rooms.leave(room, slot);
    }
    this.host.sessionClosed(this, code, reason);
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────────

  private onInput(): void {
    if (this.state !== SessionState.Joined || !this.room || !this.slot) {
      this.reject(CloseCode.UnexpectedMessage, 'INPUT before JOIN');
      return;
    }
    // Set by message() from the clock on this message's arrival: no second clock read.
    const liveness = this.liveness;
    liveness.lastInputAt = liveness.lastHeardAt;
    this.room.acceptInputs(this.slot, reader, liveness.lastInputAt);
  }

  private onAck(): void {
    if (this.state !== SessionState.Joined || !this.room || !this.slot) {
      this.reject(CloseCode.UnexpectedMessage, 'ACK before JOIN');
      return;
    }
    const tick = readAck(reader);
    reader.expectEnd('ACK');
    this.room.acknowledge(this.slot, tick);
  }

  private onPing(): void {
    const ping = parsePing(decodeControlBody(reader.rest()));
    this.send(encodeControl(MessageType.Pong, { t: ping.t, tick: this.room?.tickAt(this.host.clock.now()) ?? 0 } satisfies PongMessage));
  }

  // ── housekeeping (the server's timer, every 250 ms) ──────────────────────────────────────

  /** Probe the client every `intervalMs`, whether or not it talks (see SessionLiveness.probeDue). */
  heartbeat(now: number, intervalMs: number): void {
    if (this.liveness.probeDue(now, intervalMs)) this.transport.probe();
  }

  /**
   * Why this client counts as not reading, or undefined: more than `maxBufferedBytes` queued
   * for it for `stallMs` on end (snapshots are being skipped all that time), or no answer to
   * heartbeats for `answerMs` although it still sends. Either way it is closed 4008, whatever
   * it sends.
   */
  readStall(now: number, maxBufferedBytes: number, stallMs: number, answerMs: number): string | undefined {
    return this.liveness.stall(now, this.transport.bufferedAmount, maxBufferedBytes, stallMs, answerMs, this.room, this.slot);
  }

  /**
   * Joined sessions: tell the client its token is about to expire, once, and close 4014 when it
   * has expired (past the grace) with no fresh one.
   */
  checkToken(now: number): void {
    this.tokens.check(now);
  }
}
