import type { ByteReader } from '../../shared/binary/byte-reader';
import { CloseCode } from '../../shared/protocol/close-codes';
import {
  decodeControlBody,
  encodeControl,
  parseTokenRefresh,
  type NoticeMessage,
  type TokenRefreshedMessage,
} from '../../shared/protocol/control-messages';
import { MessageType } from '../../shared/protocol/message-types';
import { AuthError } from '../auth/auth-error';
import { DEFAULT_EXPIRY_NOTICE_SEC } from '../auth/auth-options';
import { DEFAULT_CLOCK_TOLERANCE_SEC, type Identity, type TokenVerifier } from '../auth/token-verifier';
import type { Session } from './session';
import { SessionState } from './session-state';
import { TokenDue, TokenLifetime, type TokenPolicy } from './token-lifetime';

/** Used when a host verifies tokens but gives no policy: the documented defaults. */
const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  noticeLeadMs: DEFAULT_EXPIRY_NOTICE_SEC * 1000,
  graceMs: DEFAULT_CLOCK_TOLERANCE_SEC * 1000,
  wallNow: () => Date.now(),
};

/**
 * A session's bearer token after JOIN (authentication on): its expiry notice and deadline, and
 * TOKEN_REFRESH, which brings a fresh token for the same user without a new connection.
 */
export class SessionTokens {
  /** The token's deadlines and refresh budget, made at the first token taken. */
  private held: TokenLifetime | undefined;

  constructor(private readonly session: Session) {}

  /**
   * TOKEN_REFRESH: a fresh token for this session. Verified like JOIN's token; its `sub` must be
   * the session's (else 4011), and a token that proves nothing closes the session (4010). One
   * at a time and a few a minute (4003 beyond). A key source that cannot be reached now is not
   * the client's fault: TOKEN_REFRESHED { ok: false } tells it to try again, and the session
   * plays on until its old token's grace ends.
   */
  refreshRequested(reader: ByteReader): void {
    if (this.session.state !== SessionState.Joined) {
      this.session.reject(CloseCode.UnexpectedMessage, 'TOKEN_REFRESH before JOIN: send the token in JOIN');
      return;
    }
    const auth = this.session.host.auth;
    if (!auth) {
      this.session.reject(CloseCode.UnexpectedMessage, 'TOKEN_REFRESH on a server without authentication: there is no token to refresh');
      return;
    }
    const { token } = parseTokenRefresh(decodeControlBody(reader.rest()));
    const lifetime = this.lifetime();
    if (lifetime.refreshing) {
      this.session.reject(CloseCode.RateLimited, 'one TOKEN_REFRESH at a time: wait for TOKEN_REFRESHED');
      return;
    }
    if (!lifetime.takeRefresh(this.session.host.clock.now())) {
      this.session.reject(CloseCode.RateLimited, 'too many TOKEN_REFRESH messages: a token needs refreshing once per lifetime');
      return;
    }
    lifetime.refreshing = true;
    void this.refresh(auth, token, lifetime);
  }

  private async refresh(auth: TokenVerifier, token: string, lifetime: TokenLifetime): Promise<void> {
    let identity: Identity;
    try {
      identity = await auth.verify(token);
    } catch (err) {
      lifetime.refreshing = false;
      if (this.session.state !== SessionState.Joined) return;
      if (err instanceof AuthError && err.closeCode === CloseCode.AuthUnavailable) {
        this.session.warnSampled('token refresh could not be checked; the session plays on', { auth: err.reasonCode });
        this.session.send(encodeControl(MessageType.TokenRefreshed, { ok: false, message: err.message } satisfies TokenRefreshedMessage));
      } else if (err instanceof AuthError)
        this.session.reject(err.closeCode, `token refresh refused: ${err.message}`, { auth: err.reasonCode });
      else {
        this.session.log.error({ err }, 'token refresh threw unexpectedly');
        this.session.reject(CloseCode.InternalError, 'internal error');
      }
      return;
    }
    lifetime.refreshing = false;
    if (this.session.state !== SessionState.Joined) return;
    if (identity.userId !== this.session.identity?.userId) {
      this.session.reject(CloseCode.Forbidden, 'token refresh refused: the fresh token is for another user than this session', {
        auth: 'forbidden',
        userId: this.session.identity?.userId,
      });
      return;
    }
    this.session.identity = identity;
    if (this.session.slot) this.session.slot.identity = identity;
    const now = this.session.host.clock.now();
    this.takeExpiry(identity.expiresAt);
    const secondsLeft = lifetime.secondsLeft(now);
    this.session.host.logSampler.write(
      this.session.log,
      'info',
      this.session.address,
      now,
      { userId: identity.userId, secondsLeft },
      'token refreshed',
    );
    this.session.send(encodeControl(MessageType.TokenRefreshed, { ok: true, secondsLeft } satisfies TokenRefreshedMessage));
  }

  private lifetime(): TokenLifetime {
    return (this.held ??= new TokenLifetime(this.session.host.tokenPolicy ?? DEFAULT_TOKEN_POLICY));
  }

  /** Place the deadlines of the token just taken (its `exp`, seconds since the epoch). */
  takeExpiry(expSec: number | undefined): void {
    if (expSec === undefined && !this.held) return;
    this.lifetime().set(expSec, this.session.host.clock.now());
  }

  /**
   * Housekeeping (every 250 ms, joined sessions): tell the client its token is about to expire,
   * once, and close 4014 when it has expired (past the grace) with no fresh one.
   */
  check(now: number): void {
    const lifetime = this.held;
    if (!lifetime || this.session.state !== SessionState.Joined) return;
    const due = lifetime.due(now);
    if (due === TokenDue.Nothing) return;
    const secondsLeft = lifetime.secondsLeft(now) ?? 0;
    if (due === TokenDue.Notice) {
      const notice: NoticeMessage = {
        kind: 'token-expiring',
        message: `your session's token expires in ${secondsLeft} s: send a fresh one (TOKEN_REFRESH) to keep playing`,
        secondsLeft,
      };
      this.session.send(encodeControl(MessageType.Notice, notice));
      return;
    }
    this.session.reject(CloseCode.TokenExpired, 'token expired: no fresh token (TOKEN_REFRESH) came by its expiry; sign in again', {
      auth: 'expired',
      userId: this.session.identity?.userId,
      expiredMs: Math.round(now - lifetime.expiresAt),
    });
  }
}
