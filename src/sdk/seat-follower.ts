import type { TimerHandle, Timers } from '../loop/timers';
import { backoffDelayMs, type BackoffOptions } from './backoff';
import { matchmake, type MatchmakeTicket } from './matchmake';

/**
 * Finding a new seat when the node under the player goes away: matchmake again for the same room
 * type and join the seat it gives (a new player in a new room: a fresh JOIN with the reservation,
 * not a resume). `false` turns it off.
 *
 * ```
 *  drain:      NOTICE shutdown ──► matchmake ──► leave the old seat (1000) ──► JOIN reservation ──► WELCOME ──► moved
 *                                  (the old link plays on meanwhile; the draining node refuses to seat anyone)
 *  node gone:  link drops ──► resume attempts that never open a socket (503 at the proxy, or refused)
 *              ──► after `goneAfterAttempts` of them, or `goneAfterMs` from the drop ──► matchmake ──► … ──► moved
 * ```
 */
export interface FollowOptions {
  /**
   * Where to matchmake: any node's HTTP address or the front that balances them, e.g.
   * `https://play.example.com`. Default: the origin of the client's `url` (ws → http, wss →
   * https), which is right whenever the WebSocket and POST /matchmake share a host, as behind the
   * shipped HAProxy configuration or on one node.
   */
  base?: string;
  /** fetch to use for POST /matchmake (default the global one). */
  fetch?: typeof fetch;
  /**
   * The node is taken for dead after this many resume attempts in a row failed without a socket
   * ever opening (default 3). A refusal by a live server (4009: the seat is gone) is not this: it
   * ends the client as before.
   */
  goneAfterAttempts?: number;
  /** …or once this long has passed since the drop with no attempt opening a socket, ms (default 3000). */
  goneAfterMs?: number;
  /**
   * Matchmaking asks (and joins of the seat it gives) tried before giving up (default 5), spaced
   * by {@link backoff}.
   */
  maxTries?: number;
  /** Waits between matchmaking tries (default: 250 ms doubling, up to 2 s, with full jitter). */
  backoff?: BackoffOptions;
  /**
   * On a drain notice, the first matchmaking ask waits a random 0..this, ms (default 1000, and
   * at most a quarter of the drain's time): every player of the node hears the notice at once,
   * and spread out they do not reach matchmaking as one burst.
   */
  drainSpreadMs?: number;
}

/**
 * Why the client changed node: 'drain' and 'node-gone' through matchmaking (a new seat), or
 * 'room-moved': the draining node handed the room itself to another node, and the client
 * resumed its own seat there (same player, entity and score; no matchmaking).
 */
export type MoveCause = 'drain' | 'node-gone' | 'room-moved';

/** A seat: its node (when the server names it) and its room. */
export interface SeatPlace {
  node: string | undefined;
  roomId: string;
}

/** What a {@link SeatFollower} needs from its client. */
export interface FollowerHost {
  /** The room type to ask for. */
  readonly roomType: string;
  /** The token to matchmake with (the JOIN's). */
  token(): Promise<string | undefined>;
  /** Take the seat `ticket` holds: forget the room, leave the old link, JOIN with the reservation. */
  takeSeat(ticket: MatchmakeTicket): void;
  /** Nothing more to try: end the client with this close. */
  giveUp(code: number, reason: string): void;
  /** Tell the game. */
  onMoving(e: { cause: MoveCause; reason: string }): void;
  onMoveFailed(e: { cause: MoveCause; reason: string }): void;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseDelayMs: 250, maxDelayMs: 2000 };

/**
 * The policy and the matchmaking loop of a move; the client owns the state it resets. One move at
 * a time: a second cause while one is under way joins it.
 */
export class SeatFollower {
  /** A move under way: why, since when (ms), the tries so far and the close to end with if it fails. */
  private move: { cause: MoveCause; startedAt: number; tries: number; code: number; reason: string } | undefined;
  private timer: TimerHandle | undefined;
  /** The client's first URL, whose origin is the default matchmaking address. */
  private readonly url: string;

  constructor(
    private readonly host: FollowerHost,
    url: string,
    private readonly options: FollowOptions,
    private readonly timers: Timers,
    private readonly random: () => number,
    private readonly now: () => number,
  ) {
    this.url = url;
  }

  /** A move is under way: closes of the old link wait for its outcome. */
  get moving(): boolean {
    return this.move !== undefined;
  }

  /**
   * The server is draining: find a seat elsewhere now, while the old one still plays.
   *
   * @param secondsLeft the drain's time (the notice's), s; 0 when the node has already closed
   */
  onShutdownNotice(message: string, secondsLeft: number): void {
    const spreadMs = Math.min(this.options.drainSpreadMs ?? 1000, Math.max(0, secondsLeft) * 250);
    this.begin('drain', message, 1001, 'server shutting down', this.random() * spreadMs);
  }

  /**
   * A resume attempt failed with a retryable close. True when the node is taken for dead (the
   * follower has begun a move and the client must stop resuming).
   *
   * @param unopened attempts in a row since the drop that never opened a socket
   * @param sinceDropMs time since the drop, ms
   * @param anyOpened whether any attempt since the drop opened a socket
   */
  nodeGone(unopened: number, sinceDropMs: number, anyOpened: boolean, code: number, reason: string): boolean {
    if (this.move) return true;
    const gone = unopened >= (this.options.goneAfterAttempts ?? 3) || (!anyOpened && sinceDropMs >= (this.options.goneAfterMs ?? 3000));
    if (gone) this.begin('node-gone', `the node did not come back: ${reason || code}`, code, reason, 0);
    return gone;
  }

  /** The new seat's WELCOME came: the move is done. Returns what it was. */
  arrived(): { cause: MoveCause; startedAt: number } | undefined {
    const m = this.move;
    this.move = undefined;
    return m;
  }

  /** The new seat's link closed before its WELCOME (e.g. the reservation lapsed): try again. */
  joinFailed(code: number, reason: string): void {
    if (this.move) this.next(`joining the new seat failed: ${code} ${reason}`);
  }

  /** Stop: the client is closing. */
  dispose(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.move = undefined;
  }

  private begin(cause: MoveCause, reason: string, code: number, closeReason: string, delayMs: number): void {
    if (this.move) return;
    this.move = { cause, startedAt: this.now(), tries: 0, code, reason: closeReason };
    this.host.onMoving({ cause, reason });
    if (delayMs <= 0) void this.ask();
    else
      this.timer = this.timers.setTimeout(() => {
        this.timer = undefined;
        void this.ask();
      }, delayMs);
  }

  private async ask(): Promise<void> {
    const move = this.move;
    if (!move) return;
    move.tries++;
    let ticket: MatchmakeTicket;
    try {
      const token = await this.host.token();
      // Worked out here, not at construction: a URL that is no address (an in-memory link's) is
      // then a failed try, not a client that cannot be made.
      const base = this.options.base ?? matchmakeBaseOf(this.url);
      ticket = await matchmake(base, this.host.roomType, { token, fetch: this.options.fetch });
    } catch (err) {
      if (this.move === move) this.next((err as Error).message);
      return;
    }
    if (this.move === move) this.host.takeSeat(ticket);
  }

  /** One try failed: another after a backoff, or give up with the close that began it all. */
  private next(why: string): void {
    const move = this.move!;
    if (move.tries >= (this.options.maxTries ?? 5)) {
      this.move = undefined;
      this.host.onMoveFailed({ cause: move.cause, reason: `no new seat after ${move.tries} tries: ${why}` });
      this.host.giveUp(move.code, move.reason);
      return;
    }
    const delayMs = backoffDelayMs(move.tries - 1, this.options.backoff ?? DEFAULT_BACKOFF, this.random);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.ask();
    }, delayMs);
  }
}

/**
 * The matchmaking address that goes with a game URL: the same host over HTTP(S), e.g.
 * `wss://play.example.com/ws?node=n2` → `https://play.example.com`.
 */
export function matchmakeBaseOf(url: string): string {
  const u = new URL(url);
  const protocol = u.protocol === 'wss:' ? 'https:' : u.protocol === 'ws:' ? 'http:' : u.protocol;
  return `${protocol}//${u.host}`;
}
