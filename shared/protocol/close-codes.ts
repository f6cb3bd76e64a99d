/**
 * WebSocket close codes the server uses, each a stable contract that clients and tests rely on.
 * 1000-1015 are the RFC 6455 codes; 4000-4999 are the application range.
 */
export const CloseCode = {
  /** Normal leave. */
  Normal: 1000,
  /** The server is shutting down (SIGINT/SIGTERM). */
  GoingAway: 1001,
  /** A text frame arrived: the protocol is binary only. */
  UnsupportedData: 1003,
  /** A frame over `maxPayload`; sent by `ws` itself. */
  MessageTooBig: 1009,
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
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
