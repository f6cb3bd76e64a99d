/**
 * Admitted connection attempts that have not yet become a channel, each with a deadline.
 *
 * A WebRTC connection is admitted at its first signalling request (it is counted open and
 * unjoined from there, as a WebSocket is at its upgrade), but it becomes a channel only once ICE
 * completes, which may never happen: UDP blocked by a firewall, a client that went away, an
 * attacker who posts offers and stops. Every admitted attempt therefore ends exactly once:
 *
 * ```
 * start(ip) ──► pending ──(channel open)──────────────► opened: the session's own ticket holds the count
 *                  │
 *                  ├──(ICE failed, peer closed)───────► abandoned: count given back, peer connection closed
 *                  └──(deadline passes, default 10 s)─► abandoned: count given back, peer connection closed
 * ```
 *
 * Knows nothing of geckos.io or of any WebRTC stack: the transport binds its own cleanup (close
 * the peer connection) to each attempt, and the owner gives the count back in `onAbandoned`.
 */

/** The timers an attempt's deadline runs on (real time in the server; a fake one in tests). */
export interface AttemptTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where an attempt stands: waiting for its channel, handed to a session, or given up. */
export type AttemptState = 'pending' | 'opened' | 'abandoned';

/** One admitted attempt. */
export class ConnectAttempt {
  private state_: AttemptState = 'pending';
  private timer: unknown;
  private cleanup: (() => void) | undefined;

  /** @internal made by {@link ConnectAttempts.start} */
  constructor(
    /** The client's address, whose counts the attempt holds. */
    readonly ip: string,
    private readonly owner: ConnectAttempts,
  ) {}

  get state(): AttemptState {
    return this.state_;
  }

  /**
   * The transport's way to tear this attempt down (close and forget its peer connection), once
   * it exists. Run when the attempt is abandoned, or at once if it already was.
   */
  bindCleanup(cleanup: () => void): void {
    if (this.state_ === 'abandoned') {
      runQuietly(cleanup);
      return;
    }
    this.cleanup = cleanup;
  }

  /**
   * The channel opened. True: the attempt is handed over (the deadline is off; whoever takes the
   * channel now holds the count). False: the attempt was already abandoned (its count is back),
   * so the caller must close the channel instead of using it.
   */
  opened(): boolean {
    if (this.state_ !== 'pending') return this.state_ === 'opened';
    this.state_ = 'opened';
    this.owner.settled(this);
    this.cleanup = undefined;
    return true;
  }

  /**
   * Give up on the attempt (ICE failed, the peer closed, the deadline passed, the server stops):
   * its count goes back and its cleanup runs, once. No effect once opened or abandoned.
   */
  abandon(why: string): void {
    if (this.state_ !== 'pending') return;
    this.state_ = 'abandoned';
    this.owner.settled(this);
    const cleanup = this.cleanup;
    this.cleanup = undefined;
    if (cleanup) runQuietly(cleanup);
    this.owner.abandoned(this, why);
  }

  /** @internal */
  arm(timers: AttemptTimers, ms: number): void {
    this.timer = timers.setTimeout(() => {
      this.timer = undefined;
      this.abandon(`no channel within ${ms} ms`);
    }, ms);
  }

  /** @internal */
  disarm(timers: AttemptTimers): void {
    if (this.timer !== undefined) timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The attempts of one gateway: their deadline, and what happens when one is given up. */
export class ConnectAttempts {
  /** Attempts given up so far (failed, timed out, or cut by a shutdown). */
  abandonedTotal = 0;
  private readonly live = new Set<ConnectAttempt>();

  /**
   * @param timers the clock deadlines run on
   * @param deadlineMs how long an admitted attempt may go without an open channel, ms
   * @param onAbandoned called once per abandoned attempt, after its cleanup: give its count back here
   */
  constructor(
    private readonly timers: AttemptTimers,
    readonly deadlineMs: number,
    private readonly onAbandoned: (attempt: ConnectAttempt, why: string) => void,
  ) {
    if (!(deadlineMs > 0)) throw new RangeError(`the connect deadline must be > 0 ms, got ${deadlineMs}`);
  }

  /** An attempt from `ip` was admitted (and counted): its deadline starts now. */
  start(ip: string): ConnectAttempt {
    const attempt = new ConnectAttempt(ip, this);
    this.live.add(attempt);
    attempt.arm(this.timers, this.deadlineMs);
    return attempt;
  }

  /** Attempts admitted and not yet opened or abandoned. */
  get pending(): number {
    return this.live.size;
  }

  /** Abandon every pending attempt (the server is shutting down). */
  abandonAll(why: string): void {
    for (const attempt of [...this.live]) attempt.abandon(why);
  }

  /** @internal an attempt left the pending state */
  settled(attempt: ConnectAttempt): void {
    attempt.disarm(this.timers);
    this.live.delete(attempt);
  }

  /** @internal */
  abandoned(attempt: ConnectAttempt, why: string): void {
    this.abandonedTotal++;
    this.onAbandoned(attempt, why);
  }
}

/** A cleanup that throws (a peer connection already gone) must not stop the count coming back. */
function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Already torn down.
  }
}
