import type { ErrorMessage, NoticeMessage, RosterEntry, WelcomeMessage } from '../../../shared/protocol/control-messages';
import type { ChatChannelName, ChatMessage, ChatRejectedMessage } from '../../../shared/protocol/chat-messages';
import type { ChatEntry } from '../chat-log';
import type { TransportChoice } from '../fallback-socket';
import type { MoveCause, SeatPlace } from '../seat-follower';

/** What a {@link TickwireClient} emits: event name → listener arguments. */
export interface ClientEvents {
  /** Every WELCOME: the first join, and each resume (then `resumed` is true). */
  welcome: [WelcomeMessage];
  /** The link dropped; the client is reconnecting to take its seat back. */
  drop: [{ code: number; reason: string }];
  /** A reconnect attempt starts after `delayMs` of backoff (attempt counts from 1). */
  reconnecting: [{ attempt: number; delayMs: number }];
  /** The seat is back: same player, entity and score. `downtimeMs` is from the drop to the WELCOME. */
  resumed: [{ attempts: number; downtimeMs: number }];
  /** The seat could not be taken back; a `close` follows. */
  resumeFailed: [{ code: number; reason: string }];
  /**
   * The node is going away ('drain': it said so; 'node-gone': it stopped answering): the client
   * is matchmaking for a seat elsewhere (option `matchmake`). The game may say "finding a new game…".
   */
  moving: [{ cause: MoveCause; reason: string; from: SeatPlace }];
  /**
   * Seated elsewhere, `ms` after `moving`. Cause 'drain' or 'node-gone': a new player (new
   * `playerId`, score from zero) in `to`; per-room state (entities, roster, room chat,
   * prediction, input clock) started afresh, and a `welcome` for the new seat came just before.
   * Cause 'room-moved': the room itself moved to node `to.node` and the client resumed its seat
   * there (same `playerId`, entity and score, same room id; `resumed` came just before).
   */
  moved: [{ cause: MoveCause; from: SeatPlace; to: SeatPlace; ms: number }];
  /** No new seat could be had (`reason` says why); a `close` follows. */
  moveFailed: [{ cause: MoveCause; reason: string }];
  /**
   * The server said something: that it is shutting down (kind 'shutdown', secondsLeft), an
   * operator's notice to everyone ('info'), or a notification for this user ('direct'; a stored
   * one has an `id`, comes once per client, and is marked read after this event unless
   * `autoReadNotices` is false: then call `markNoticesRead`).
   */
  notice: [NoticeMessage];
  /**
   * New chat lines on `ch` (ones the client had not seen), oldest first: 'live' as they are
   * said, 'history' after each WELCOME, 'page' answering `loadOlderChat`. `client.chat` holds them all.
   */
  chat: [{ ch: ChatChannelName; kind: ChatMessage['kind']; lines: ChatEntry[] }];
  /** A line was not sent: over the rate (`retryInMs`), against the text rules, or the lobby was unreachable. */
  chatRejected: [ChatRejectedMessage];
  /** Everyone this player has muted (after each WELCOME and each `mute`). */
  mutes: [string[]];
  /** A snapshot was applied: (tick, ackSeq). */
  snapshot: [number, number];
  playerJoined: [RosterEntry];
  playerLeft: [RosterEntry];
  /** Round-trip time from a PING, ms. */
  pong: [number];
  /** A link opened over `kind` (with `transport: 'auto'`, after trying WebRTC): why it is that one. */
  transport: [TransportChoice];
  /** No snapshot for `snapshotStallMs`: the server or the link has stalled (`ms` since the last). */
  stalled: [{ ms: number }];
  /** Snapshots flow again after a stall (`ms`: how long none came). */
  unstalled: [{ ms: number }];
  /**
   * The session's token expires in `secondsLeft` (the server's 'token-expiring' notice, which
   * also comes as a `notice`). `refreshing`: the SDK is getting a fresh one through
   * `refreshToken`; false: there is none to get, and the server closes with 4014 at the expiry.
   */
  tokenExpiring: [{ secondsLeft: number; refreshing: boolean }];
  /** The server took the fresh token: the session goes on (`secondsLeft` of the new token; undefined: no expiry). */
  tokenRefreshed: [{ secondsLeft: number | undefined }];
  /**
   * No fresh token reached the server: `refreshToken` gave none or threw, or the server could
   * not check it now (its key source was unreachable). `willRetry`: the SDK tries again shortly.
   */
  tokenRefreshFailed: [{ reason: string; willRetry: boolean }];
  /** The server sent ERROR (it closes right after). */
  serverError: [ErrorMessage];
  /** The client is done for good (state Closed): left, refused, or could not resume. */
  close: [{ code: number; reason: string }];
}
