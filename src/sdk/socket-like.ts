/** The subset of the WebSocket API the client uses: the browser's, `ws`'s and the in-memory link's all fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /**
   * True when inputs sent may be lost without being resent (an unordered WebRTC channel, the
   * network simulator's unordered link); absent or false for TCP and the in-memory link. The
   * SDK then sends each changed input twice (see `changedInputResendMs`).
   */
  readonly unreliable?: boolean;
  /**
   * Drop the link at once with no close frame (`ws` and the in-memory link have it; browsers
   * do not). The SDK uses it when it declares a silent link dead.
   */
  terminate?(): void;
}

/**
 * The four event handlers of a WebSocket, unset: the base of every WebSocket-shaped link the
 * SDK builds (the in-memory link's client end, WebRTC, the fallback between two links, the
 * network simulator's socket), so each declares only what differs.
 */
export abstract class SocketHandlers {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Opens one client link to `url`: a WebSocket, an in-memory link, or (later) WebRTC. */
export type SocketFactory = (url: string) => WebSocketLike;
