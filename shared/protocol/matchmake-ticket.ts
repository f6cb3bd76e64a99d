/**
 * The body of a `POST /matchmake` answer: where to play, and the single-use reservation to
 * present in JOIN. The server writes it, the SDK's `matchmake()` reads it.
 */
export interface MatchmakeTicket {
  /** The node that holds the seat. */
  nodeId: string;
  /** That node's WebSocket URL (its `--public-url`, or its address as the caller reached it): the client's `url`. */
  url: string;
  roomId: string;
  roomType: string;
  /** JOIN.reservation (the client's `reservation` option): single use, valid for `expiresInMs`. */
  reservation: string;
  expiresInMs: number;
}
