import { CloseCode } from '../../shared/protocol/close-codes';
import { SessionState, type Session } from '../session/session';

/**
 * Grace past `closeTimeoutMs` before the server drops a socket whose close handshake has not
 * finished, ms: ws's own close timer should have fired by then, so this only catches sockets
 * ws has no timer for (the peer half-closed, or stopped reading with our close frame unsent).
 */
export const CLOSE_GRACE_MS = 1000;

/** The session deadlines the housekeeping enforces, ms unless named otherwise. */
export interface SessionTimeouts {
  /** A link that has not joined within this is closed 4005 (timeout). Default 5,000. */
  joinTimeoutMs: number;
  /** A joined link not heard from for this long is dropped; heartbeats go every third of it. Default 15,000. */
  idleTimeoutMs: number;
  /** How long a closing link may wait for the close handshake (plus {@link CLOSE_GRACE_MS}). Default 2,000. */
  closeTimeoutMs: number;
  /** A joined link that reads nothing for this long, with bytes queued, is dropped as too slow. Default 8,000. */
  readStallMs: number;
  /** Queued bytes past which a link counts as not reading (the snapshot pause threshold). */
  maxBufferedBytes: number;
}

/**
 * One housekeeping pass over every open session at `now` (ms on the server clock): free links
 * whose close handshake overran, close links that never joined, drop joined ones that went
 * silent or stopped reading, and send the others their heartbeat and token checks.
 */
export function checkSessionTimeouts(sessions: Iterable<Session>, now: number, limits: SessionTimeouts): void {
  for (const session of sessions) {
    if (session.state === SessionState.Closing) {
      // Its handshake outlived the transport's close timer (or it never started one): free the slot.
      if (now - session.closingSince > limits.closeTimeoutMs + CLOSE_GRACE_MS) {
        session.log.warn(
          { code: session.sentCode, closingMs: Math.round(now - session.closingSince) },
          'close handshake overran; dropping the link',
        );
        session.terminate();
      }
    } else if (session.state < SessionState.Joined && now - session.connectedAt > limits.joinTimeoutMs) {
      session.reject(CloseCode.Timeout, `no JOIN within ${limits.joinTimeoutMs} ms`);
    } else if (session.state === SessionState.Joined) {
      if (now - session.lastHeardAt > limits.idleTimeoutMs) {
        // A peer that answers nothing will not complete a close handshake either: drop it
        // now, so its seat is detached (held for a resume) at once.
        session.reject(CloseCode.Timeout, `no message or heartbeat for ${limits.idleTimeoutMs} ms`);
        session.terminate();
        continue;
      }
      const stall = session.readStall(now, limits.maxBufferedBytes, limits.readStallMs, limits.readStallMs);
      if (stall) {
        // It reads nothing, so it will not read a close frame either: drop it, freeing what
        // was queued for it. A drop: the seat is held, in case the link itself was stuck.
        session.reject(CloseCode.TooSlow, stall);
        session.terminate();
      } else {
        session.heartbeat(now, limits.idleTimeoutMs / 3);
        session.checkToken(now);
      }
    }
  }
}
