import type { Timers } from '../loop/timers';
import { SocketHandlers, type WebSocketLike } from './socket-like';
import { WEBRTC_OFF_REASON } from './webrtc-socket';

/** Which transport a link ended up on, and why. */
export interface TransportChoice {
  kind: 'webrtc' | 'ws';
  /**
   * Why, as a sentence a player can read: 'connected', or why it is WebSocket ('WebRTC is off
   * on this server: playing over WebSocket', 'WebRTC did not connect (no connection within
   * 3000 ms): playing over WebSocket').
   */
  reason: string;
}

/**
 * `transport: 'auto'`: try one link (WebRTC) and, if it fails or has not opened within
 * `timeoutMs`, open the other (WebSocket) instead, as one socket to the client. Its events
 * are the chosen link's; the first link's failure is not a close.
 */
export class FallbackSocket extends SocketHandlers implements WebSocketLike {
  binaryType = 'arraybuffer';
  private current: WebSocketLike;
  private settled = false;
  private timer: unknown;
  private lastError = '';

  constructor(
    first: () => WebSocketLike,
    private readonly second: () => WebSocketLike,
    timeoutMs: number,
    private readonly timers: Timers,
    private readonly chose: (choice: TransportChoice) => void,
  ) {
    super();
    this.current = first();
    const trying = this.current;
    trying.onopen = (ev) => {
      if (this.current !== trying) return;
      this.settle({ kind: 'webrtc', reason: 'connected' });
      this.adopt(trying);
      this.onopen?.(ev);
    };
    trying.onerror = (ev) => {
      const message = (ev as { message?: unknown } | null)?.message;
      if (typeof message === 'string') this.lastError = message;
    };
    trying.onclose = (ev) => {
      if (this.current !== trying || this.settled) return;
      this.fallBack(this.lastError || ev.reason || `closed ${ev.code}`);
    };
    this.timer = timers.setTimeout(() => {
      if (this.current === trying && !this.settled) {
        trying.onclose = null;
        if (trying.terminate) trying.terminate();
        else trying.close();
        this.fallBack(`no connection within ${timeoutMs} ms`);
      }
    }, timeoutMs);
  }

  get readyState(): number {
    return this.current.readyState;
  }

  /** Whether the link chosen so far may lose messages (WebRTC), or not (WebSocket). */
  get unreliable(): boolean {
    return this.current.unreliable === true;
  }

  get bufferedAmount(): number {
    return this.current.bufferedAmount;
  }

  send(data: Uint8Array): void {
    this.current.send(data);
  }

  close(code?: number, reason?: string): void {
    if (!this.settled) {
      // Closed while still choosing: nothing was ever open.
      this.settled = true;
      this.timers.clearTimeout(this.timer);
      const c = this.current;
      c.onclose = null;
      c.close(code, reason);
      this.onclose?.({ code: code ?? 1000, reason: reason ?? '' });
      return;
    }
    this.current.close(code, reason);
  }

  terminate(): void {
    if (this.current.terminate) this.current.terminate();
    else this.current.close(4000, 'link killed');
  }

  private fallBack(why: string): void {
    const reason =
      why === WEBRTC_OFF_REASON
        ? `${WEBRTC_OFF_REASON}: playing over WebSocket`
        : `WebRTC did not connect (${why}): playing over WebSocket`;
    this.settle({ kind: 'ws', reason });
    const ws = this.second();
    this.current = ws;
    this.adopt(ws);
  }

  private settle(choice: TransportChoice): void {
    this.settled = true;
    this.timers.clearTimeout(this.timer);
    this.chose(choice);
  }

  /** From now on `socket`'s events are this socket's. */
  private adopt(socket: WebSocketLike): void {
    socket.binaryType = this.binaryType;
    socket.onopen = (ev) => this.onopen?.(ev);
    socket.onmessage = (ev) => this.onmessage?.(ev);
    socket.onclose = (ev) => this.onclose?.(ev);
    socket.onerror = (ev) => this.onerror?.(ev);
  }
}
