import { encodeControl, type TokenRefreshedMessage, type TokenRefreshMessage } from '../../../shared/protocol/control-messages';
import { MessageType } from '../../../shared/protocol/message-types';
import type { TimerHandle } from '../../loop/timers';
import { backoffDelayMs } from '../backoff';
import { ClientState } from '../client-state';
import type { ClientCore } from './client-core';

/**
 * A token refresh the server could not check (its key source unreachable) is sent again at most
 * this many times, after a backoff of {@link REFRESH_BACKOFF}: with the first, four, which is the
 * server's burst of TOKEN_REFRESH messages.
 */
const MAX_REFRESH_RETRIES = 3;
/** Backoff between token refresh retries: 1 s doubling, up to 10 s (with full jitter). */
const REFRESH_BACKOFF = { baseDelayMs: 1000, maxDelayMs: 10_000 };

/**
 * The bearer token over a session's life: which token each JOIN presents, and a fresh one from
 * the game (`refreshToken`) when the server says the current one is about to expire, sent as
 * TOKEN_REFRESH and retried with backoff when the server could not check it.
 */
export class TokenRefresher<S, I, P> {
  /** The newest token from `refreshToken`: later JOINs (resumes) present it instead of a stale `token` string. */
  private freshToken: string | undefined;
  /** When the session's token expires, ms on the client clock (NaN: not known; the server tells ahead). */
  private tokenExpiresAt = Number.NaN;
  /** Retries of the current token refresh so far, and the timer of the next. */
  private refreshRetries = 0;
  private refreshTimer: TimerHandle | undefined;

  constructor(private readonly core: ClientCore<S, I, P>) {}

  /**
   * The token for a JOIN: a fresh one from `refreshToken` when resuming past the known expiry,
   * else the `token` option (a function is called every time), else the newest refreshed one.
   */
  async joinToken(): Promise<string | undefined> {
    const core = this.core;
    const refresh = this.refreshSource();
    if (refresh && core.state === ClientState.Reconnecting && core.clock.now() >= this.tokenExpiresAt) {
      const fresh = await refresh();
      if (fresh) {
        this.freshToken = fresh;
        this.tokenExpiresAt = Number.NaN;
      }
    }
    if (this.freshToken) return this.freshToken;
    return typeof core.options.token === 'function' ? core.options.token() : core.options.token;
  }

  /** Where fresh tokens come from: `refreshToken`, else a `token` function, else nowhere. */
  private refreshSource(): (() => Promise<string | undefined> | string | undefined) | undefined {
    const token = this.core.options.token;
    return this.core.options.refreshToken ?? (typeof token === 'function' ? token : undefined);
  }

  /**
   * The server's 'token-expiring' notice: get a fresh token from the game and send it
   * (TOKEN_REFRESH). Without one, say so: the server closes with 4014 at the expiry.
   */
  async refreshSessionToken(secondsLeft: number): Promise<void> {
    const emit = this.core.emit;
    this.tokenExpiresAt = this.core.clock.now() + secondsLeft * 1000;
    const source = this.refreshSource();
    emit('tokenExpiring', { secondsLeft, refreshing: source !== undefined });
    if (!source) return;
    let token: string | undefined;
    try {
      token = (await source()) || undefined;
    } catch (err) {
      emit('tokenRefreshFailed', { reason: `refreshToken threw: ${(err as Error).message}`, willRetry: false });
      return;
    }
    if (!token) {
      emit('tokenRefreshFailed', { reason: 'refreshToken gave no token: sign in again', willRetry: false });
      return;
    }
    // Kept for later resumes even if the link is down now; sent at once when it is up.
    this.freshToken = token;
    this.refreshRetries = 0;
    this.sendRefresh();
  }

  private sendRefresh(): void {
    const socket = this.core.socket;
    if (!this.freshToken || !socket || socket.readyState !== 1 || this.core.state !== ClientState.Open) return;
    socket.send(encodeControl(MessageType.TokenRefresh, { token: this.freshToken } satisfies TokenRefreshMessage));
  }

  /** TOKEN_REFRESHED: taken (the session goes on), or not checkable now (retry with backoff). */
  onTokenRefreshed(m: TokenRefreshedMessage): void {
    const core = this.core;
    const now = core.clock.now();
    if (m.ok) {
      this.tokenExpiresAt = m.secondsLeft === undefined ? Number.NaN : now + m.secondsLeft * 1000;
      this.refreshRetries = 0;
      core.emit('tokenRefreshed', { secondsLeft: m.secondsLeft });
      return;
    }
    const left = this.tokenExpiresAt - now;
    const delayMs = backoffDelayMs(this.refreshRetries, REFRESH_BACKOFF, core.random);
    const willRetry = this.refreshRetries < MAX_REFRESH_RETRIES && !(delayMs >= left);
    core.emit('tokenRefreshFailed', { reason: m.message ?? 'the server could not check the token', willRetry });
    if (!willRetry) return;
    this.refreshRetries++;
    if (this.refreshTimer !== undefined) core.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = core.timers.setTimeout(() => {
      this.refreshTimer = undefined;
      this.sendRefresh();
    }, delayMs);
  }

  /** The client is done: no retry goes out. */
  stop(): void {
    if (this.refreshTimer !== undefined) this.core.timers.clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }
}
