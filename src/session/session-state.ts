/**
 * Where a session is in its life. Checked at the top of every handler, as ws checks readyState.
 *
 * ```
 *  AwaitingJoin ──JOIN──► Authenticating ──identity ok──► Joined ──────────────┐
 *       │   (auth off: straight to Joined)   │                 │ link drops      │ kicked / left (1000)
 *       │                                    │                 ▼                 ▼
 *       └── timeout / bad message ───────────┴──────────► Closing ──socket gone──► Closed
 *                                                            seat: detached (held for resume) or freed
 * ```
 */
export const SessionState = {
  /** Connected; waiting for JOIN (join timeout applies). */
  AwaitingJoin: 0,
  /** JOIN received; the token is being verified (join timeout still applies). */
  Authenticating: 1,
  /** In a room, with a seat. */
  Joined: 2,
  /** The server or the peer began closing; nothing more is handled. */
  Closing: 3,
  /** The link is gone. */
  Closed: 4,
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
