import type { Delivery } from '../wire/delivery';

/**
 * What a room needs from a connected client. Transport-agnostic: the session layer implements
 * it over any transport, and so does an in-memory client in tests.
 */
export interface RoomClient {
  /**
   * Send one whole message. The room hands over bytes it never touches again, because socket
   * libraries (ws included) queue the caller's buffer rather than copying it. Snapshots go
   * {@link Delivery.Unreliable}; everything else reliable and in order (the default).
   */
  send(bytes: Uint8Array, delivery?: Delivery): void;
  /**
   * Send one message as `head` then a `body` shared with other clients, never copied or
   * changed (see ServerTransport.sendParts). Optional: without it the room joins the two.
   */
  sendParts?(head: Uint8Array, body: Uint8Array, delivery: Delivery): void;
  /** Bytes accepted by `send` but not yet written to the network. */
  readonly bufferedAmount: number;
  /**
   * Every message sent while this link lives arrives, in order (a WebSocket; not WebRTC's
   * datagrams). Then a budget-trimmed snapshot may be encoded against the one sent before it,
   * acknowledged or not (see SharedTrim). Optional: absent is false.
   */
  readonly inOrder?: boolean;
  close(code: number, reason: string): void;
  /**
   * Another link took this client's seat: a resume while this link was half-open, or the same
   * identity joining again. Let go of the seat first, so that closing this link does not detach
   * it, then close with CloseCode.Superseded and `reason` (the new link's session calls this).
   */
  supersede(reason: string): void;
}

/** Who the player is, when the server authenticates players (see the auth options). */
export interface PlayerIdentity {
  /** The token's `sub`: a stable user id. */
  userId: string;
  /** Every verified claim of the token. */
  claims: Readonly<Record<string, unknown>>;
}

/** The client of a seat whose link has dropped: sends go nowhere until the player resumes. */
export const DETACHED_CLIENT: RoomClient = {
  send() {},
  bufferedAmount: 0,
  close() {},
  supersede() {},
};
