/**
 * Where a {@link TickwireClient} is in its life, checked at the top of every public method.
 *
 * ```
 *  Idle ──connect()──► Connecting ──WELCOME──► Open ──link drops──► Reconnecting ──WELCOME (resumed)──► Open
 *                          │                     │                      │
 *                          │ closed / refused    │ close(), refused,    │ refused (4009, 4010, 4014...), window over,
 *                          ▼                     ▼ shutdown             ▼ close()
 *                        Closed ◄────────────────┴──────────────────────┘
 * ```
 */
export const ClientState = {
  /** Made; connect() not called yet. */
  Idle: 0,
  /**
   * First connection and JOIN under way; also a move to a new seat (option `matchmake`:
   * matchmaking, then the JOIN with the reservation), from Open or Reconnecting.
   */
  Connecting: 1,
  /** In a room: inputs are sent, snapshots arrive. */
  Open: 2,
  /** The link dropped; trying to take the seat back with the resume token. */
  Reconnecting: 3,
  /** Done for good: left, refused, or the resume window ran out. Make a new client to play again. */
  Closed: 4,
} as const;
export type ClientState = (typeof ClientState)[keyof typeof ClientState];

/** Close codes after which the SDK tries to resume: the link failed, not the player. */
export const RETRYABLE_CLOSE_CODES: ReadonlySet<number> = new Set([
  1005, // no status: the close frame carried no code
  1006, // connection lost: no close frame at all
  1012, // service restart
  1013, // try again later
  1014, // bad gateway (a proxy lost the upstream)
  4005, // the server heard nothing for its idle timeout
  4007, // server full for a moment (the seat is still held)
  4008, // the link was too slow to read
  4015, // the server could not reach its key source to check the token: its trouble, and the seat is held
]);
