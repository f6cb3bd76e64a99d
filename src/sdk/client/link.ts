import { encodeControl, type JoinMessage } from '../../../shared/protocol/control-messages';
import { MessageType, PROTOCOL_VERSION } from '../../../shared/protocol/message-types';
import { CloseCode } from '../../../shared/protocol/close-codes';
import type { TimerHandle } from '../../loop/timers';
import { ClientState } from '../client-state';
import { FallbackSocket, type TransportChoice } from '../fallback-socket';
import type { SocketFactory, WebSocketConstructor, WebSocketLike } from '../socket-like';
import { WebRtcSocket } from '../webrtc-socket';
import type { ClientCore } from './client-core';

/**
 * One link at a time: opens it over the configured transport, sends JOIN (with the token, and
 * the resume token or reservation that claims a seat), pings, declares a silent link dead,
 * and ends the client. What happens when a link closes is the {@link SeatKeeper}'s call.
 */
export class ClientLink<S, I, P> {
  /** Last time anything arrived on the current link, ms. */
  lastHeardAt = 0;
  /** Whether the current link opened (an attempt that never did says the node may be gone). */
  linkOpened = false;
  /** Where the next first JOIN goes and the seat it claims: the options', then each move's ticket. */
  url: string;
  reservation: string | undefined;
  /** The caller's resume token for the first JOIN, until used or refused. */
  initialResume: string | undefined;
  /** PING period and the silence that declares a link dead, ms (0: never), resolved once. */
  readonly pingIntervalMs: number;
  private readonly livenessTimeoutMs: number;
  /** The one repeating timer: pings and the liveness check. */
  private pulseTimer: TimerHandle | undefined;
  private pulseMs = 0;
  private lastPingAt = -Infinity;
  /** When the current link's JOIN went out, ms: WELCOME's arrival times the first round trip. */
  private joinSentAt = Number.NaN;

  constructor(private readonly core: ClientCore<S, I, P>) {
    const options = core.options;
    this.url = options.url;
    this.reservation = options.reservation;
    this.initialResume = options.resumeToken;
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? 4000;
  }

  /** A new link; its events are ignored once another link replaces it. */
  openLink(): void {
    const core = this.core;
    const socket = this.createSocket();
    core.socket = socket;
    this.lastHeardAt = core.clock.now();
    this.linkOpened = false;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (core.socket !== socket) return;
      this.linkOpened = true;
      void this.sendJoin(socket);
    };
    socket.onmessage = (ev) => {
      if (core.socket === socket) core.router.onMessage(ev.data);
    };
    // `ws` says why a link failed in its error event (e.g. "Unexpected server response: 429",
    // a refusal at the server's front door); the close that follows has no reason of its own.
    let failure = '';
    socket.onclose = (ev) => {
      if (core.socket === socket) core.keeper.onLinkClosed(ev.code, ev.reason || failure);
    };
    socket.onerror = (ev) => {
      const message = (ev as { message?: unknown } | null)?.message;
      if (typeof message === 'string') failure = message;
    };
    this.startPulse();
  }

  private createSocket(): WebSocketLike {
    const core = this.core;
    const options = core.options;
    const base: SocketFactory = options.connect ?? ((url) => this.transportSocket(url));
    // A resume goes to the node that holds the seat when the server says which (behind a front
    // that routes on ?node=, such as `--workers`).
    let url = this.url;
    const roomMove = core.keeper.roomMove;
    const node = core.state === ClientState.Reconnecting ? (roomMove ? roomMove.node : core.welcome?.node) : undefined;
    if (node !== undefined) url = withQueryParam(url, 'node', node);
    return options.network ? options.network.wrap(base)(url) : base(url);
  }

  /** A link over the configured transport ('ws', 'webrtc', or 'auto': WebRTC, else WebSocket). */
  private transportSocket(url: string): WebSocketLike {
    const core = this.core;
    const options = core.options;
    const ws = () => {
      const Ctor = (options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket) as
        WebSocketConstructor | undefined;
      if (!Ctor) throw new Error('no WebSocket implementation: pass options.WebSocket (e.g. the `ws` package in Node) or options.connect');
      return new Ctor(url);
    };
    const rtcOptions = options.webrtc ?? {};
    const timers = {
      now: () => core.clock.now(),
      setTimeout: (fn: () => void, ms: number) => core.timers.setTimeout(fn, ms),
      clearTimeout: (h: unknown) => core.timers.clearTimeout(h),
    };
    const rtc = () => new WebRtcSocket(url, rtcOptions, timers);
    const kind = options.transport ?? 'ws';
    const chose = (choice: TransportChoice) => {
      core.transport = choice.kind;
      core.emit('transport', choice);
    };
    if (kind === 'ws') {
      chose({ kind: 'ws', reason: 'configured' });
      return ws();
    }
    if (kind === 'webrtc') {
      chose({ kind: 'webrtc', reason: 'configured' });
      return rtc();
    }
    return new FallbackSocket(rtc, ws, rtcOptions.timeoutMs ?? 3000, core.timers, chose);
  }

  private async sendJoin(socket: WebSocketLike): Promise<void> {
    const core = this.core;
    const join: JoinMessage = {
      v: PROTOCOL_VERSION,
      roomType: core.options.roomType ?? core.game.name,
      name: core.options.name,
      codec: core.receiver.codec.name,
    };
    let token: string | undefined;
    try {
      token = await core.tokens.joinToken();
    } catch (err) {
      // No token, no identity: give up with the reason rather than join as a guest.
      if (core.socket !== socket) return;
      core.socket = undefined;
      socket.close(1000, 'no token');
      this.finish(CloseCode.Unauthenticated, `the token function failed: ${(err as Error).message}`);
      return;
    }
    if (token) join.token = token;
    if (core.state === ClientState.Reconnecting && core.welcome) join.resume = core.welcome.resumeToken;
    else if (core.state === ClientState.Connecting && this.initialResume) join.resume = this.initialResume;
    else if (core.state === ClientState.Connecting && this.reservation) join.reservation = this.reservation;
    if (core.socket === socket && socket.readyState === 1) {
      this.joinSentAt = core.clock.now();
      socket.send(encodeControl(MessageType.Join, join));
    }
  }

  /** The JOIN → WELCOME round trip of the current link, ms (0 if unknown). */
  joinRoundTrip(): number {
    const rtt = this.core.clock.now() - this.joinSentAt;
    return rtt >= 0 ? rtt : 0;
  }

  /** Send a PING now (when the link is up), to measure the round trip. */
  ping(): void {
    const socket = this.core.socket;
    if (socket?.readyState === 1) {
      this.lastPingAt = this.core.clock.now();
      socket.send(encodeControl(MessageType.Ping, { t: this.lastPingAt }));
    }
  }

  /** Leave for good: close the link normally; `close` is emitted once the link has closed. */
  close(code: number, reason: string): void {
    const core = this.core;
    if (core.state === ClientState.Closed) return;
    const socket = core.socket;
    core.state = ClientState.Closed;
    this.stopTimers();
    // Wait for the link's own close event, so the close frame has gone out before anyone
    // acts on 'close' (a load test that exits at once would otherwise look like a drop).
    if (socket && socket.readyState < 2) socket.close(code, reason);
    else this.finish(code, reason);
  }

  /**
   * Give up on `socket` as a dead network would end it: no close frame where the transport
   * can do without (browsers cannot: they send 4000, which the server also takes as a drop),
   * and carry on as after a lost connection (1006): resume, or finish.
   */
  dropLink(socket: WebSocketLike, reason: string): void {
    this.core.socket = undefined;
    if (socket.terminate) socket.terminate();
    else socket.close(4000, reason);
    this.core.keeper.onLinkClosed(CloseCode.ConnectionLost, reason);
  }

  /** Done for good: stop every timer, forget the link, and emit close (once). */
  finish(code: number, reason: string): void {
    const core = this.core;
    core.state = ClientState.Closed;
    core.socket = undefined;
    this.stopTimers();
    if (core.closeEvent) return;
    core.closeEvent = { code, reason };
    core.emit('close', core.closeEvent);
  }

  private stopTimers(): void {
    this.stopPulse();
    this.core.keeper.stopTimers();
    this.core.tokens.stop();
  }

  // One timer drives pings and the liveness check, whichever is due first.
  private startPulse(): void {
    this.stopPulse();
    const ping = this.pingIntervalMs;
    const liveness = this.livenessTimeoutMs;
    this.pulseMs = Math.min(ping > 0 ? ping : Infinity, liveness > 0 ? liveness / 4 : Infinity);
    if (this.pulseMs !== Infinity) this.pulseTimer = this.core.timers.setTimeout(this.pulse, this.pulseMs);
  }

  stopPulse(): void {
    if (this.pulseTimer !== undefined) this.core.timers.clearTimeout(this.pulseTimer);
    this.pulseTimer = undefined;
  }

  private readonly pulse = (): void => {
    const core = this.core;
    this.pulseTimer = undefined;
    const socket = core.socket;
    if (!socket || core.state === ClientState.Closed) return;
    const now = core.clock.now();
    const liveness = this.livenessTimeoutMs;
    if (liveness > 0 && now - this.lastHeardAt > liveness && (core.state === ClientState.Open || core.state === ClientState.Reconnecting)) {
      // Silent for too long: the link is dead even if the transport has not noticed (a
      // half-open TCP connection can take minutes). Drop it and resume on a new one.
      this.dropLink(socket, `nothing heard for ${liveness} ms`);
      return;
    }
    core.receiver.checkStall(now);
    const ping = this.pingIntervalMs;
    if (ping > 0 && core.state === ClientState.Open && now - this.lastPingAt >= ping - 1) this.ping();
    this.pulseTimer = core.timers.setTimeout(this.pulse, this.pulseMs);
  };
}

/** `url` with `key=value` set in its query (replacing one already there). */
function withQueryParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
