import type { TokenVerifier } from '../auth/token-verifier';
import type { LogSampler } from '../logging/log-sampler';
import type { Clock } from '../loop/clock';
import type { RoomManager } from '../rooms/room-manager';
import type { Session } from './session';
import type { TokenPolicy } from './token-lifetime';

/** Traffic over every session since the server started. */
export interface TrafficCounters {
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

/** What a session needs from the server that owns it. */
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
