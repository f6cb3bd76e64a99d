import type { Delivery } from '../wire/delivery';

/**
 * The seam between a session and the wire. A transport moves whole messages and reports what
 * happened to the link; it knows nothing of the protocol. The session layer
 * (`src/session/session.ts`) holds every rule: decoding, limits, joins, timeouts, close codes.
 *
 * ```
 *  ws / in-memory / (WebRTC)          Session (protocol, limits, identity, resume)
 *  ─────────────────────────          ─────────────────────────────────────────
 *  socket 'message'  ──────────────►  sink.message(bytes, isBinary)
 *  socket 'pong'     ──────────────►  sink.heard()
 *  protocol error    ──────────────►  sink.protocolError(code, detail)
 *  socket 'close'    ──────────────►  sink.closed(code, reason)
 *  send(bytes, delivery) ◄──────────  room snapshots, control replies
 *  close / terminate / probe ◄──────  rejects, drain, heartbeat
 * ```
 */

/** What a transport reports to the session bound to it. */
export interface TransportSink {
  /** One whole message from the peer. The bytes are only valid during the call. */
  message(data: Uint8Array, isBinary: boolean): void;
  /** The peer answered a liveness probe. */
  heard(): void;
  /** A protocol-level control frame arrived (a WebSocket ping): inbound traffic to rate-limit. */
  controlFrame(): void;
  /** The transport hit a protocol error and is closing the link itself with `code`. */
  protocolError(code: number, detail: string, errorCode?: string): void;
  /** The link is gone, whoever closed it; called once. */
  closed(code: number, reason: string): void;
}

/** One client's link, server side. */
export interface ServerTransport {
  /** Short name for logs and metrics: 'ws', 'memory'. */
  readonly kind: string;
  /** True while messages can be sent. */
  readonly isOpen: boolean;
  /** Bytes accepted by `send` but not yet written to the network. */
  readonly bufferedAmount: number;
  /** Attach the session that receives this link's events (once, right after creation). */
  bind(sink: TransportSink): void;
  /**
   * Send one whole message. The caller hands over bytes it never touches again: socket
   * libraries (ws included) queue the caller's buffer rather than copying it.
   */
  send(bytes: Uint8Array, delivery: Delivery): void;
  /**
   * Send one message made of `head` then `body`, without joining them: the body is shared by
   * many clients (a snapshot body encoded once), so it must be neither copied nor changed.
   * The `ws` adapter sends them as two fragments of one WebSocket message.
   */
  sendParts(head: Uint8Array, body: Uint8Array, delivery: Delivery): void;
  /** Close with a handshake: the peer learns `code` and `reason` (≤ 123 UTF-8 bytes). */
  close(code: number, reason: string): void;
  /** Drop the link at once, with no handshake. `closed` follows with 1006. */
  terminate(): void;
  /** Ask the peer for a sign of life; an answer arrives as `heard()`. */
  probe(): void;
  /** True once a close handshake has begun (or the link is gone). */
  readonly isClosing: boolean;
}
