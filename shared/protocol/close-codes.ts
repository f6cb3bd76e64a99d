/**
 * WebSocket close codes the server uses, each a stable contract that clients and tests rely on.
 * 1000-1015 are the RFC 6455 codes; 4000-4999 are the application range.
 */
export const CloseCode = {
  /** Normal leave. */
  Normal: 1000,
  /** The server is shutting down (SIGINT/SIGTERM). */
  GoingAway: 1001,
  /** A frame that breaks RFC 6455 (bad opcode, unmasked, bad close code...); sent by `ws` itself. */
  ProtocolError: 1002,
  /** A text frame arrived: the protocol is binary only. */
  UnsupportedData: 1003,
  /**
   * Never sent (RFC 6455 reserves it): what a socket reports when it ended without a close
   * frame, and what /health counts for a connection the server dropped with terminate().
   */
  ConnectionLost: 1006,
  /** A message in too many fragments; sent by `ws` itself. */
  PolicyViolation: 1008,
  /** A frame over `maxPayload`; sent by `ws` itself. */
  MessageTooBig: 1009,
  /** A text frame or close reason that is not valid UTF-8; sent by `ws` itself. */
  InvalidPayload: 1007,
  /** A server bug while handling the client's message (logged at error level). */
  InternalError: 1011,
  /** The JOIN's protocol version differs from the server's. */
  ProtocolMismatch: 4000,
  /** Bytes that break the wire format: unknown type, truncation, trailing bytes, bad fields. */
  MalformedMessage: 4001,
  /** A valid message in the wrong state, e.g. INPUT before JOIN or a second JOIN. */
  UnexpectedMessage: 4002,
  /** The client sent messages faster than its rate limit allows. */
  RateLimited: 4003,
  /** The JOIN named an unknown room type, or every room is full and no more may be made. */
  JoinRejected: 4004,
  /** No JOIN within the join timeout, or no message within the idle timeout. */
  Timeout: 4005,
  /** The room's code threw; the room was disposed to protect its state. Other rooms go on. */
  RoomCrashed: 4006,
  /** The server is at its connection limit. */
  ServerFull: 4007,
  /** The client stopped reading: more than the hard cap of bytes queued for it. */
  TooSlow: 4008,
  /**
   * A resume was refused: the token is unknown, already used, expired (the seat was freed), or
   * belongs to another identity. The client should join afresh rather than retry the token.
   */
  ResumeRejected: 4009,
  /**
   * Authentication is on and the token proves no identity here: missing, malformed, badly
   * signed, expired, not yet valid, or issued for another audience or by another issuer.
   */
  Unauthenticated: 4010,
  /** The identity is proven but may not join: the room type's onAuth hook refused it. */
  Forbidden: 4011,
  /**
   * This connection's seat was taken over: the same player resumed on a new connection (a
   * half-open predecessor), or the same identity logged in again. Not retried by the SDK.
   */
  Superseded: 4012,
  /**
   * A seat reservation (from matchmaking) was refused: unknown, already used, expired, for
   * another room type, or for a room on another node. Matchmake again rather than retry it.
   */
  ReservationRejected: 4013,
  /**
   * The session's token expired and no fresh one came in time: the server sent a NOTICE
   * ('token-expiring') ahead, and closed at the token's `exp` plus the clock tolerance. The seat
   * is freed. Final to the SDK: sign in again (a new token) and join afresh.
   */
  TokenExpired: 4014,
  /**
   * The key source (a JWKS URL) could not be reached, so the token could not be checked: the
   * server's trouble, not the token's. Transient: a resume refused this way keeps its seat held,
   * and the SDK retries it with its backoff inside the resume window.
   */
  AuthUnavailable: 4015,
  /**
   * The node is draining and this player's room has moved to another node, which a NOTICE
   * ('move') just named: the seat is held there under the same resume token. The SDK resumes
   * on that node (same player id, entity and score) rather than matchmaking again.
   */
  RoomMoved: 4016,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close code → its name in {@link CloseCode}, built once. */
const NAMES = new Map<number, string>(Object.entries(CloseCode).map(([name, code]) => [code, name]));

/**
 * A sentence for a WebSocket close, e.g. "4005 Timeout: no JOIN within 5000 ms". 1006 is what a
 * client sees when the connection dropped without a close frame.
 */
export function describeClose(code: number, reason: string): string {
  const name = NAMES.get(code) ?? 'Closed';
  const why = reason || (code === CloseCode.ConnectionLost ? 'the server went away or the network dropped' : 'no reason given');
  return `${code} ${name}: ${why}`;
}

/** RFC 6455: a close frame's reason is at most 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Cut `reason` to fit a close frame, on a code-point boundary, marking the cut with "...".
 * Reasons often quote what a peer sent, so they can be any length and any script; ws throws
 * on an over-long reason, so this must run before every close.
 */
export function clampCloseReason(reason: string): string {
  // 41 UTF-16 units are at most 123 UTF-8 bytes (3 bytes per unit at worst): the common case.
  if (reason.length <= 41 || utf8Length(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  const budget = MAX_CLOSE_REASON_BYTES - 3; // room for "..."
  let bytes = 0;
  let out = '';
  for (const ch of reason) {
    bytes += utf8Length(ch);
    if (bytes > budget) break;
    out += ch;
  }
  return `${out}...`;
}

function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}
