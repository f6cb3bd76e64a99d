import type { NoticeMessage, WelcomeMessage } from '../../../shared/protocol/control-messages';
import { CloseCode } from '../../../shared/protocol/close-codes';
import type { TimerHandle } from '../../loop/timers';
import { backoffDelayMs } from '../backoff';
import { ClientState, RETRYABLE_CLOSE_CODES } from '../client-state';
import type { MatchmakeTicket } from '../matchmake';
import { SeatFollower, type SeatPlace } from '../seat-follower';
import type { ClientCore } from './client-core';

/**
 * Keeps the player's seat when links come and go: on a closed link, resume with backoff (full
 * jitter) within the server's resume window, or give up, or end the client; follow a room
 * that moves to another node (NOTICE 'move'); and, with option `matchmake`, find a new seat
 * when the node drains or dies (through a {@link SeatFollower}).
 */
export class SeatKeeper<S, I, P> {
  /** Finds a new seat when the node goes away; undefined when `matchmake` is off. */
  readonly follower: SeatFollower | undefined;
  /**
   * The room moved to another node (NOTICE 'move'): where to resume, and since when; cleared by
   * the resumed WELCOME there. `node` goes in `?node=` when set.
   */
  roomMove: { to: SeatPlace; url: string; node: string | undefined; startedAt: number } | undefined;
  /** The seat a move left, from its start until the new WELCOME. */
  movedFrom: SeatPlace | undefined;
  /** The node of the seat: WELCOME's `node`, else the matchmade URL's `?node=`, else the ticket's. */
  seatNode: string | undefined;
  /** When the link dropped, ms (NaN while not reconnecting). */
  droppedAt = Number.NaN;
  /** Reconnect attempts since the drop. */
  attempts = 0;
  private retryTimer: TimerHandle | undefined;
  /** Since the drop: attempts in a row that never opened a socket, and whether any did. */
  private unopenedAttempts = 0;
  private anyAttemptOpened = false;
  /** A drain's move failed while the old link played on: its close ends the client. */
  private moveAbandoned = false;

  constructor(private readonly core: ClientCore<S, I, P>) {
    const options = core.options;
    this.seatNode = nodeParamOf(options.url);
    const follow = options.matchmake ?? (options.reservation !== undefined ? {} : false);
    if (follow)
      this.follower = new SeatFollower(
        {
          roomType: options.roomType ?? core.game.name,
          token: () => core.tokens.joinToken(),
          takeSeat: (ticket) => this.takeSeat(ticket),
          giveUp: (code, reason) => {
            // A drain's move found nothing while the old seat still plays: play on until the
            // node's own close ends the client, as without a follower.
            if (core.state === ClientState.Open && core.socket) this.moveAbandoned = true;
            else core.link.finish(code, reason);
          },
          onMoving: ({ cause, reason }) => {
            this.movedFrom = this.seatPlace();
            core.emit('moving', { cause, reason, from: this.movedFrom });
          },
          onMoveFailed: (e) => core.emit('moveFailed', e),
        },
        options.url,
        follow,
        core.timers,
        core.random,
        () => core.clock.now(),
      );
  }

  /** Where the player sits now: WELCOME's node (else the URL's `?node=`) and room. */
  private seatPlace(): SeatPlace {
    const welcome = this.core.welcome;
    return { node: welcome?.node ?? this.seatNode, roomId: welcome?.roomId ?? '' };
  }

  /**
   * NOTICE 'move': the node drains and our room now runs on `n.node`; the link closes 4016 next,
   * and the client resumes there (not matchmaking: the seat, player and score moved with the room).
   */
  onRoomMoving(n: NoticeMessage): void {
    const core = this.core;
    const welcome = core.welcome;
    if (typeof n.node !== 'string' || !welcome) return;
    const url = typeof n.url === 'string' && n.url ? n.url : core.link.url;
    // Through the same front (no URL of its own), or behind a front that routes on ?node=: name it.
    const routed = !n.url || welcome.node !== undefined;
    this.roomMove = {
      to: { node: n.node, roomId: welcome.roomId },
      url,
      node: routed ? n.node : undefined,
      startedAt: core.clock.now(),
    };
    this.movedFrom = this.seatPlace();
    core.emit('moving', { cause: 'room-moved', reason: n.message, from: this.movedFrom });
    // The old node has let go of the seat already (the notice comes only once the room runs
    // elsewhere): resume now rather than after its 4016's close handshake. The old link's
    // close, when it comes, is that of a replaced link and is ignored.
    const old = core.socket;
    if (core.state === ClientState.Open && old) {
      core.socket = undefined;
      if (old.readyState < 2) old.close(1000, 'room moved');
      this.resumeMovedRoom(CloseCode.RoomMoved, n.message);
    }
  }

  /** The room moved: resume on its new node at once, through the path of a resume after a drop. */
  private resumeMovedRoom(code: number, reason: string): void {
    const core = this.core;
    const move = this.roomMove!;
    if (core.options.reconnect === false || (core.welcome?.resumeWindowMs ?? 0) <= 0) {
      core.link.finish(code, reason);
      return;
    }
    core.link.url = move.url;
    core.state = ClientState.Reconnecting;
    core.sync?.stop();
    this.droppedAt = core.clock.now();
    this.unopenedAttempts = 0;
    this.anyAttemptOpened = false;
    core.stats.drops++;
    core.emit('drop', { code, reason });
    this.attempts = 1;
    core.emit('reconnecting', { attempt: 1, delayMs: 0 });
    core.stats.reconnectAttempts++;
    core.link.openLink();
  }

  /** A WELCOME after a move to a new seat (not a room move): count it and say where from. */
  arrivedAfterMove(w: WelcomeMessage): void {
    const core = this.core;
    const move = this.follower?.arrived();
    if (move && this.movedFrom) {
      const to = { node: w.node ?? this.seatNode, roomId: w.roomId };
      core.stats.moves++;
      core.emit('moved', { cause: move.cause, from: this.movedFrom, to, ms: core.clock.now() - move.startedAt });
      this.movedFrom = undefined;
    }
  }

  /** The resumed WELCOME after a room move: it is over; say so. */
  arrivedAfterRoomMove(w: WelcomeMessage): void {
    const core = this.core;
    const move = this.roomMove;
    if (!move) return;
    this.roomMove = undefined;
    this.seatNode = move.to.node;
    core.stats.roomMoves++;
    const from = this.movedFrom ?? { node: undefined, roomId: w.roomId };
    this.movedFrom = undefined;
    core.emit('moved', {
      cause: 'room-moved',
      from,
      to: { node: w.node ?? move.to.node, roomId: w.roomId },
      ms: core.clock.now() - move.startedAt,
    });
  }

  /**
   * Take the seat a move's matchmaking found: leave the old link (1000: the old seat is let go at
   * once), forget every per-room thing (entities, roster, room chat, prediction, the input clock),
   * and JOIN the new node with the reservation, as a first connect does. The client object, its
   * listeners, its token and its mutes stay.
   */
  private takeSeat(ticket: MatchmakeTicket): void {
    const core = this.core;
    if (core.state === ClientState.Closed) return;
    const old = core.socket;
    core.socket = undefined;
    if (old && old.readyState < 2) old.close(1000, 'moving to another node');
    if (this.retryTimer !== undefined) core.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    core.entry.resetRoom();
    this.droppedAt = Number.NaN;
    this.attempts = 0;
    core.link.url = ticket.url;
    core.link.reservation = ticket.reservation;
    this.seatNode = ticket.nodeId;
    core.link.initialResume = undefined;
    core.state = ClientState.Connecting;
    core.link.openLink();
  }

  /** The current link ended (or was declared dead): resume, retry, or finish. */
  onLinkClosed(code: number, reason: string): void {
    const core = this.core;
    const link = core.link;
    const follower = this.follower;
    core.socket = undefined;
    if (core.state === ClientState.Closed) link.finish(code, reason);
    else if (core.state === ClientState.Open && this.roomMove && (code === CloseCode.RoomMoved || this.mayResume(code))) {
      this.resumeMovedRoom(code, reason);
    } else if (core.state === ClientState.Reconnecting && this.roomMove && !RETRYABLE_CLOSE_CODES.has(code) && follower) {
      // The new node would not give the seat back: find one through matchmaking instead.
      this.roomMove = undefined;
      core.state = ClientState.Connecting;
      link.stopPulse();
      follower.onShutdownNotice(`the moved room could not be resumed: ${code} ${reason}`, 0);
    } else if (core.state === ClientState.Open && follower && !this.moveAbandoned && (follower.moving || code === CloseCode.GoingAway)) {
      // The old link ended while a move looks for a seat (or a node shut down without a drain
      // notice): wait for the new seat instead of closing.
      core.state = ClientState.Connecting;
      core.sync?.stop();
      link.stopPulse();
      if (!follower.moving) follower.onShutdownNotice(reason || 'server shutting down', 0);
    } else if (core.state === ClientState.Connecting && follower?.moving) {
      link.stopPulse();
      follower.joinFailed(code, reason);
    } else if (core.state === ClientState.Open) {
      if (!this.mayResume(code)) {
        link.finish(code, reason);
        return;
      }
      core.state = ClientState.Reconnecting;
      core.sync?.stop();
      this.droppedAt = core.clock.now();
      this.attempts = 0;
      this.unopenedAttempts = 0;
      this.anyAttemptOpened = false;
      core.stats.drops++;
      core.emit('drop', { code, reason });
      this.scheduleAttempt();
    } else if (core.state === ClientState.Reconnecting) {
      // An attempt failed. A refusal (bad token, seat gone, shutting down) is final; attempts
      // that never open a socket (connection refused, the proxy's 503) mean the node is gone.
      if (!RETRYABLE_CLOSE_CODES.has(code)) {
        this.giveUp(code, reason);
        return;
      }
      if (link.linkOpened) this.anyAttemptOpened = true;
      this.unopenedAttempts = link.linkOpened ? 0 : this.unopenedAttempts + 1;
      const sinceDrop = core.clock.now() - this.droppedAt;
      if (follower?.nodeGone(this.unopenedAttempts, sinceDrop, this.anyAttemptOpened, code, reason)) {
        core.state = ClientState.Connecting;
        link.stopPulse();
      } else this.scheduleAttempt();
    } else if (core.state === ClientState.Connecting && code === CloseCode.ResumeRejected && link.initialResume !== undefined) {
      // The earlier seat is gone (or not ours): join as a new player instead, once.
      link.initialResume = undefined;
      link.openLink();
    } else link.finish(code, reason);
  }

  private mayResume(code: number): boolean {
    const core = this.core;
    return core.options.reconnect !== false && RETRYABLE_CLOSE_CODES.has(code) && (core.welcome?.resumeWindowMs ?? 0) > 0;
  }

  private scheduleAttempt(): void {
    const core = this.core;
    core.link.stopPulse();
    const left = this.droppedAt + core.welcome!.resumeWindowMs - core.clock.now();
    if (left <= 0) {
      this.giveUp(CloseCode.ResumeRejected, `gave up: the server holds a seat for ${core.welcome!.resumeWindowMs} ms and that has passed`);
      return;
    }
    const backoff = core.options.reconnect || {};
    const delayMs = Math.min(left, backoffDelayMs(this.attempts, backoff, core.random));
    this.attempts++;
    core.emit('reconnecting', { attempt: this.attempts, delayMs });
    this.retryTimer = core.timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (core.state !== ClientState.Reconnecting) return;
      core.stats.reconnectAttempts++;
      core.link.openLink();
    }, delayMs);
  }

  private giveUp(code: number, reason: string): void {
    this.core.emit('resumeFailed', { code, reason });
    this.core.link.finish(code, reason);
  }

  /** The client is done: no attempt, no matchmaking follows. */
  stopTimers(): void {
    this.follower?.dispose();
    if (this.retryTimer !== undefined) this.core.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** The `node` query parameter of `url` (a matchmade URL behind a front names its node), if any. */
function nodeParamOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('node') ?? undefined;
  } catch {
    return undefined;
  }
}
