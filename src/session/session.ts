import { ByteReader } from '../../shared/binary/byte-reader';
import { WireError, WireErrorCode } from '../../shared/binary/wire-error';
import { clampCloseReason, CloseCode } from '../../shared/protocol/close-codes';
import {
  decodeControlBody,
  encodeControl,
  parseJoin,
  parsePing,
  parseTokenRefresh,
  type ErrorMessage,
  type JoinMessage,
  type NoticeMessage,
  type PongMessage,
  type TokenRefreshedMessage,
} from '../../shared/protocol/control-messages';
import { readAck } from '../../shared/protocol/ack-message';
import { MessageType, PROTOCOL_VERSION } from '../../shared/protocol/message-types';
import { deltaCodecName } from '../../shared/replication/delta-codec';
import { AuthError, forbidden } from '../auth/auth-error';
import { DEFAULT_EXPIRY_NOTICE_SEC } from '../auth/auth-options';
import { DEFAULT_CLOCK_TOLERANCE_SEC, type Identity, type TokenVerifier } from '../auth/token-verifier';
import { escapeForLog, type LogSampler } from '../logging/log-sampler';
import type { Logger } from '../logging/logger';
import type { Clock } from '../loop/clock';
import type { PlayerIdentity, PlayerSlot, Room, RoomClient } from '../rooms/room';
import { JoinRejectedError, type RoomManager } from '../rooms/room-manager';
import type { ResolvedRoomType } from '../rooms/room-type';
import { TokenBucket } from '../transport/token-bucket';
import { Delivery, type ServerTransport, type TransportSink } from '../transport/transport';
import { isDrop } from './drop-policy';
import { SessionState } from './session-state';
import { TokenDue, TokenLifetime, type TokenPolicy } from './token-lifetime';

export { SessionState };

/** What a session needs from the server that owns it. */
/** Traffic over every session since the server started. */
export interface TrafficCounters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

export interface SessionHost {
  readonly clock: Clock;
  readonly rooms: RoomManager;
  /** Messages per second a client may send, and the burst above that. */
  readonly messageRate: { perSecond: number; burst: number };
  /** Bytes queued for a client beyond which it is closed as not reading (TooSlow). */
  readonly maxQueuedBytes: number;
  /** Verifies bearer tokens; undefined when authentication is off (everyone is a guest). */
  readonly auth: TokenVerifier | undefined;
  /** How tokens that expire mid-session are noticed and closed; set when `auth` is. */
  readonly tokenPolicy?: TokenPolicy;
  /** True while the server drains for shutdown: new joins are refused. */
  readonly draining: boolean;
  /** Samples the warnings one address can repeat (see {@link LogSampler}). */
  readonly logSampler: LogSampler;
  /** Messages and bytes in and out, over every session (plain counters: the metrics read them). */
  readonly traffic?: TrafficCounters;
  /** The session took a seat (joined or resumed). */
  sessionJoined?(session: Session): void;
  /**
   * A chat message (CHAT_SEND, CHAT_HISTORY, MUTE) or NOTICE_READ, body decoded. Undefined:
   * the server has no chat, and these are unknown types (4001).
   */
  socialMessage?(session: Session, type: number, body: unknown): void;
  sessionClosed(session: Session, code: number, reason: string): void;
}

/** Used when a host verifies tokens but gives no policy: the documented defaults. */
const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  noticeLeadMs: DEFAULT_EXPIRY_NOTICE_SEC * 1000,
  graceMs: DEFAULT_CLOCK_TOLERANCE_SEC * 1000,
  wallNow: () => Date.now(),
};

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
  /** Last time anything came from the client: a message or a heartbeat answer, ms. */
  lastHeardAt: number;
  /** Last time the client answered a heartbeat probe, ms: proof that it reads what we send. */
  lastAnsweredAt: number;
  /** Last time an INPUT came, ms (-Infinity: never). */
  lastInputAt = Number.NEGATIVE_INFINITY;
  /** Since when more than the backpressure threshold has been queued for it, ms (NaN: not now). */
  backedUpSince = Number.NaN;
  /** When the server began closing this session, ms on the host clock (NaN until then). */
  closingSince = Number.NaN;
  /**
   * The close code the server chose, if it closed first. The code the link reports can differ
   * (1006 after a terminate, or the peer's own code), so /health counts this one.
   */
  sentCode: number | undefined;
  /** The message budget this session shares with the other sockets of its address, if limited. */
  addressBudget: TokenBucket | undefined;
  private probedAt = -Infinity;
  private readonly bucket: TokenBucket;
  /** The token's deadlines and refresh budget (auth on), made at the first token taken. */
  private token: TokenLifetime | undefined;

  /**
   * @param urlToken a bearer token that came with the connection (the `token` query parameter);
   *   JOIN.token wins over it
   */
  constructor(
    readonly id: number,
    readonly transport: ServerTransport,
    private readonly host: SessionHost,
    readonly log: Logger,
    private readonly urlToken?: string,
    /** The peer's address: the key its sampled warnings are counted under. */
    readonly address = 'unknown',
  ) {
    const now = host.clock.now();
    this.connectedAt = now;
    this.lastHeardAt = now;
    this.lastAnsweredAt = now;
    this.bucket = new TokenBucket(host.messageRate.perSecond, host.messageRate.burst, now);
    transport.bind(this);
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  /** 'ws', 'webrtc' or 'memory'. */
  get transportKind(): string {
    return this.transport.kind;
  }

  /**
   * Every message arrives in order while the link lives (see RoomClient.inOrder): a WebSocket
   * unless its JOIN said otherwise (an unordered network simulator on top), an in-memory link
   * when its JOIN said so; WebRTC never.
   */
  get inOrder(): boolean {
    return this.transport.kind === 'ws' ? this.joinInOrder !== false : this.transport.kind === 'memory' && this.joinInOrder === true;
  }

  /** JOIN.inOrder, the client's word on its link (undefined: it did not say). */
  private joinInOrder: boolean | undefined;

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

  /**
   * Another session took this one's seat (a resume while this link was half-open, or the same
   * identity logging in again). Let go of the seat first, so this link's close does not touch it.
   */
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
    this.lastHeardAt = now;
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
          return this.onJoin();
        case MessageType.Ping:
          return this.onPing();
        case MessageType.TokenRefresh:
          return this.onTokenRefresh();
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
    const now = this.host.clock.now();
    // The answer to the newest probe times the round trip (a heartbeat, not a game message).
    if (this.lastAnsweredAt < this.probedAt) this.rttMs = now - this.probedAt;
    this.lastHeardAt = this.lastAnsweredAt = now;
  }

  /** The last heartbeat's round trip, ms (NaN before the first answer). */
  rttMs = Number.NaN;

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
    this.lastInputAt = this.lastHeardAt;
    this.room.acceptInputs(this.slot, reader, this.lastInputAt);
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

  private onJoin(): void {
    if (this.state !== SessionState.AwaitingJoin) {
      this.reject(CloseCode.UnexpectedMessage, 'JOIN sent twice on one connection');
      return;
    }
    const join = parseJoin(decodeControlBody(reader.rest()));
    this.joinInOrder = join.inOrder;
    if (join.v !== PROTOCOL_VERSION) {
      this.reject(
        CloseCode.ProtocolMismatch,
        `protocol version ${join.v} is not supported: this server speaks version ${PROTOCOL_VERSION}`,
      );
      return;
    }
    if (this.host.draining) {
      this.reject(CloseCode.GoingAway, 'the server is shutting down: join another server');
      return;
    }
    let type: ResolvedRoomType;
    try {
      type = this.host.rooms.type(join.roomType);
    } catch (err) {
      if (!(err instanceof JoinRejectedError)) throw err;
      this.reject(err.closeCode, err.message);
      return;
    }
    const codec = deltaCodecName(type.game.entitySchema);
    if (join.codec !== undefined && join.codec !== codec) {
      this.reject(
        CloseCode.ProtocolMismatch,
        `snapshot codec ${join.codec} does not match room type "${type.name}"'s ${codec}: the client's game schema differs from the server's`,
      );
      return;
    }
    const auth = this.host.auth;
    if (!auth) {
      this.admit(join, undefined);
      return;
    }
    this.state = SessionState.Authenticating;
    void this.authenticate(auth, join, type);
  }

  /** Verify the token (and ask the room type's onAuth), then admit; refusals close 4010/4011. */
  private async authenticate(auth: TokenVerifier, join: JoinMessage, type: ResolvedRoomType): Promise<void> {
    let identity: Identity;
    try {
      identity = await auth.verify(join.token ?? this.urlToken);
      if (type.onAuth) {
        const verdict = await type.onAuth(identity, { roomType: join.roomType, name: join.name });
        if (verdict !== true) throw forbidden(typeof verdict === 'string' && verdict ? verdict : `refused by room type "${type.name}"`);
      }
    } catch (err) {
      if (this.state !== SessionState.Authenticating) return;
      if (err instanceof AuthError) this.reject(err.closeCode, err.message, { auth: err.reasonCode });
      else {
        this.log.error({ err }, 'authentication threw unexpectedly');
        this.reject(CloseCode.InternalError, 'internal error');
      }
      return;
    }
    // The client may have gone (or timed out) while the token was checked.
    if (this.state !== SessionState.Authenticating) return;
    try {
      this.admit(join, identity);
    } catch (err) {
      // Outside message(): nothing else would catch it, and an unhandled rejection ends the process.
      this.log.error({ err }, 'unexpected error admitting an authenticated client');
      this.reject(CloseCode.InternalError, 'internal error');
    }
  }

  /** Take a seat: back the one a resume token names, the identity's own, or a new one. */
  private admit(join: JoinMessage, identity: Identity | undefined): void {
    const rooms = this.host.rooms;
    try {
      const seat =
        join.resume !== undefined
          ? rooms.resume(this, join.resume, join.roomType, identity)
          : join.reservation !== undefined
            ? rooms.claim(this, join.reservation, join.roomType, join.name, this.host.clock.now(), identity)
            : rooms.join(this, join.roomType, join.name, identity);
      this.room = seat.room;
      this.slot = seat.slot;
      this.identity = identity;
      this.state = SessionState.Joined;
      if (identity) {
        // A resume or takeover (the same `sub`, checked by the room manager) brings a newer
        // token: room code sees its claims, as after a TOKEN_REFRESH.
        seat.slot.identity = identity;
        this.takeTokenExpiry(identity.expiresAt);
      }
      this.host.sessionJoined?.(this);
      // Not `name`: pino's own field (the logger's name) would be overwritten.
      const fields = { room: seat.room.id, player: seat.slot.id, playerName: seat.slot.name, userId: identity?.userId };
      if (seat.previous) {
        const why = join.resume !== undefined ? 'resumed on a new connection' : 'the same identity joined from another connection';
        if (seat.previous instanceof Session) seat.previous.supersede(`superseded: ${why}`);
        else seat.previous.close(CloseCode.Superseded, `superseded: ${why}`);
        this.log.info(fields, join.resume !== undefined ? 'player resumed; old link closed' : 'identity took its seat over');
      } else if (join.resume !== undefined) {
        this.log.info({ ...fields, droppedMs: Math.round(this.host.clock.now() - seat.detachedAt) }, 'player resumed');
      } else this.log.info(fields, 'player joined');
    } catch (err) {
      if (!(err instanceof JoinRejectedError)) throw err;
      this.reject(err.closeCode, err.message);
    }
  }

  /**
   * TOKEN_REFRESH: a fresh token for this session. Verified like JOIN's token; its `sub` must be
   * the session's (else 4011), and a token that proves nothing closes the session (4010). One
   * at a time and a few a minute (4003 beyond). A key source that cannot be reached now is not
   * the client's fault: TOKEN_REFRESHED { ok: false } tells it to try again, and the session
   * plays on until its old token's grace ends.
   */
  private onTokenRefresh(): void {
    if (this.state !== SessionState.Joined) {
      this.reject(CloseCode.UnexpectedMessage, 'TOKEN_REFRESH before JOIN: send the token in JOIN');
      return;
    }
    const auth = this.host.auth;
    if (!auth) {
      this.reject(CloseCode.UnexpectedMessage, 'TOKEN_REFRESH on a server without authentication: there is no token to refresh');
      return;
    }
    const { token } = parseTokenRefresh(decodeControlBody(reader.rest()));
    const lifetime = this.lifetime();
    if (lifetime.refreshing) {
      this.reject(CloseCode.RateLimited, 'one TOKEN_REFRESH at a time: wait for TOKEN_REFRESHED');
      return;
    }
    if (!lifetime.takeRefresh(this.host.clock.now())) {
      this.reject(CloseCode.RateLimited, 'too many TOKEN_REFRESH messages: a token needs refreshing once per lifetime');
      return;
    }
    lifetime.refreshing = true;
    void this.refresh(auth, token, lifetime);
  }

  private async refresh(auth: TokenVerifier, token: string, lifetime: TokenLifetime): Promise<void> {
    let identity: Identity;
    try {
      identity = await auth.verify(token);
    } catch (err) {
      lifetime.refreshing = false;
      if (this.state !== SessionState.Joined) return;
      if (err instanceof AuthError && err.closeCode === CloseCode.AuthUnavailable) {
        this.warnSampled('token refresh could not be checked; the session plays on', { auth: err.reasonCode });
        this.send(encodeControl(MessageType.TokenRefreshed, { ok: false, message: err.message } satisfies TokenRefreshedMessage));
      } else if (err instanceof AuthError) this.reject(err.closeCode, `token refresh refused: ${err.message}`, { auth: err.reasonCode });
      else {
        this.log.error({ err }, 'token refresh threw unexpectedly');
        this.reject(CloseCode.InternalError, 'internal error');
      }
      return;
    }
    lifetime.refreshing = false;
    if (this.state !== SessionState.Joined) return;
    if (identity.userId !== this.identity?.userId) {
      this.reject(CloseCode.Forbidden, 'token refresh refused: the fresh token is for another user than this session', {
        auth: 'forbidden',
        userId: this.identity?.userId,
      });
      return;
    }
    this.identity = identity;
    if (this.slot) this.slot.identity = identity;
    const now = this.host.clock.now();
    this.takeTokenExpiry(identity.expiresAt);
    const secondsLeft = lifetime.secondsLeft(now);
    this.host.logSampler.write(this.log, 'info', this.address, now, { userId: identity.userId, secondsLeft }, 'token refreshed');
    this.send(encodeControl(MessageType.TokenRefreshed, { ok: true, secondsLeft } satisfies TokenRefreshedMessage));
  }

  private lifetime(): TokenLifetime {
    return (this.token ??= new TokenLifetime(this.host.tokenPolicy ?? DEFAULT_TOKEN_POLICY));
  }

  /** Place the deadlines of the token just taken (its `exp`, seconds since the epoch). */
  private takeTokenExpiry(expSec: number | undefined): void {
    if (expSec === undefined && !this.token) return;
    this.lifetime().set(expSec, this.host.clock.now());
  }

  /**
   * Housekeeping (every 250 ms, joined sessions): tell the client its token is about to expire,
   * once, and close 4014 when it has expired (past the grace) with no fresh one.
   */
  checkToken(now: number): void {
    const lifetime = this.token;
    if (!lifetime || this.state !== SessionState.Joined) return;
    const due = lifetime.due(now);
    if (due === TokenDue.Nothing) return;
    const secondsLeft = lifetime.secondsLeft(now) ?? 0;
    if (due === TokenDue.Notice) {
      const notice: NoticeMessage = {
        kind: 'token-expiring',
        message: `your session's token expires in ${secondsLeft} s: send a fresh one (TOKEN_REFRESH) to keep playing`,
        secondsLeft,
      };
      this.send(encodeControl(MessageType.Notice, notice));
      return;
    }
    this.reject(CloseCode.TokenExpired, 'token expired: no fresh token (TOKEN_REFRESH) came by its expiry; sign in again', {
      auth: 'expired',
      userId: this.identity?.userId,
      expiredMs: Math.round(now - lifetime.expiresAt),
    });
  }

  private onPing(): void {
    const ping = parsePing(decodeControlBody(reader.rest()));
    this.send(encodeControl(MessageType.Pong, { t: ping.t, tick: this.room?.tickAt(this.host.clock.now()) ?? 0 } satisfies PongMessage));
  }

  /**
   * Probe the client every `intervalMs`, whether or not it talks: its answer proves it reads
   * what we send, which its own messages do not. Browsers answer WebSocket pings at the
   * protocol level even in background tabs, where timers (and so app messages) are throttled
   * to once a minute, so a live but hidden player is never mistaken for a dead one.
   */
  heartbeat(now: number, intervalMs: number): void {
    if (now - this.probedAt < intervalMs) return;
    this.probedAt = now;
    this.transport.probe();
  }

  /**
   * Why this client counts as not reading, or undefined: more than `maxBufferedBytes` queued
   * for it for `stallMs` on end (snapshots are being skipped all that time), or no answer to
   * heartbeats for `answerMs` although it still sends. Either way it is closed 4008, whatever
   * it sends.
   */
  readStall(now: number, maxBufferedBytes: number, stallMs: number, answerMs: number): string | undefined {
    if (this.transport.bufferedAmount > maxBufferedBytes) {
      if (Number.isNaN(this.backedUpSince)) this.backedUpSince = now;
      else if (now - this.backedUpSince >= stallMs) return `too slow: over ${maxBufferedBytes} bytes queued unread for ${stallMs} ms`;
    } else this.backedUpSince = Number.NaN;
    if (now - this.lastAnsweredAt > answerMs) return `not reading: no answer to heartbeats for ${answerMs} ms`;
    // Inputs acknowledge the newest snapshot held: one that keeps sending inputs while its
    // acknowledged tick stands still is not reading what we send. (A hidden tab sends no
    // inputs, so its old ack says nothing and is left alone.)
    const room = this.room;
    if (room && this.slot && now - this.lastInputAt < 1000 && this.slot.ackTick > 0) {
      const behindMs = ((room.tick - this.slot.ackTick) * 1000) / room.type.tickRate;
      if (behindMs >= stallMs) return `not reading: inputs acknowledge a snapshot ${Math.round(behindMs)} ms old`;
    }
    return undefined;
  }
}
