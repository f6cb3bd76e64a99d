import WebSocket from 'ws';
import type { WebSocketConstructor } from '../../src/sdk/tickwire-client';

/** Longest a WebSocket opening handshake may take before ws gives up, ms. */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * `ws`'s WebSocket with the options a load client wants: no permessage-deflate (the server turns
 * it off anyway; offering it only costs a header) and a bounded handshake. The SDK constructs
 * sockets with the URL only, so the options ride on a subclass.
 */
class BotSocket extends WebSocket {
  constructor(url: string) {
    super(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
  }
}
/**
 * Always `nodebuffer`: the SDK asks for `arraybuffer`, which makes ws copy every message that
 * is a slice of a larger read into a fresh ArrayBuffer. A Buffer is a Uint8Array, which the SDK
 * reads as it is, so a bot takes each message without the copy. (An accessor on the subclass's
 * prototype: ws reads `this.binaryType` when it sets up the receiver.)
 */
Object.defineProperty(BotSocket.prototype, 'binaryType', {
  get: () => 'nodebuffer',
  set: () => {},
});
/** The handler set as `onmessage`, and the listener that calls it. */
const ON_MESSAGE = Symbol('onmessage');
const MESSAGE_LISTENER = Symbol('message listener');
type MessageHandler = (ev: { data: unknown }) => void;
/**
 * `onmessage` without a MessageEvent per message: ws's own setter wraps every message in a new
 * event object; this listener hands the handler one reused `{ data }` instead (the SDK reads
 * `ev.data` at once and keeps nothing). Text frames still arrive as strings.
 */
Object.defineProperty(BotSocket.prototype, 'onmessage', {
  get(this: Record<symbol, unknown>) {
    return this[ON_MESSAGE] ?? null;
  },
  set(this: BotSocket & Record<symbol, unknown>, handler: MessageHandler | null) {
    const old = this[MESSAGE_LISTENER] as ((data: Buffer, isBinary: boolean) => void) | undefined;
    if (old) this.off('message', old);
    this[ON_MESSAGE] = handler;
    this[MESSAGE_LISTENER] = undefined;
    if (!handler) return;
    const ev = { data: null as unknown };
    const listener = (data: Buffer, isBinary: boolean) => {
      ev.data = isBinary ? data : data.toString();
      handler.call(this, ev);
    };
    this[MESSAGE_LISTENER] = listener;
    this.on('message', listener);
  },
});

/**
 * `send` with a Uint8Array copied into a Buffer first. The SDK hands each message over as a
 * small Uint8Array of its own; ws wraps it in a Buffer over `data.buffer`, and for a typed
 * array that small V8 must first move the bytes off the heap into a backing store of its own,
 * several times dearer than copying them into Node's Buffer pool (about 0.3-1.2 µs against
 * 0.13 µs a message here, and a bot sends one or two messages a tick).
 */
const wsSend = WebSocket.prototype.send as (this: WebSocket, data: unknown, ...rest: unknown[]) => void;
Object.defineProperty(BotSocket.prototype, 'send', {
  configurable: true,
  writable: true,
  value(this: WebSocket, data: unknown, ...rest: unknown[]) {
    wsSend.call(this, data instanceof Uint8Array && !Buffer.isBuffer(data) ? Buffer.from(data) : data, ...rest);
  },
});

/** {@link BotSocket} as the SDK's socket constructor. */
export const BotSocketCtor = BotSocket as unknown as WebSocketConstructor;
