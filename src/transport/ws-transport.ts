import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes';
import type { ServerTransport, TransportSink } from './transport';
import { frameHeaderLength, writeFrameHeader } from './ws-frame';

// Listeners are module-level functions that find their transport through this symbol, so no
// closures are made per connection (the pattern ws itself uses).
const kTransport = Symbol('tickwire.transport');
type TaggedSocket = WebSocket & { [kTransport]: WsTransport };

/** ws readyState values. */
const OPEN = 1;

/**
 * Messages up to this size (frame header included), bytes, are copied behind their header into
 * one buffer and written with one `write`; larger ones are written as header + the caller's
 * buffer in one corked (gather) write, so a big shared body is never copied. Below 4 KiB Node
 * takes the buffer from its shared pool (`Buffer.poolSize` / 2), so the copy costs less than
 * the cork, the second write and the chunk list it saves.
 */
const COPY_BELOW_BYTES = 4096;

/** The options ws needs for a whole binary message, and for a first fragment, made once. */
const BINARY_MESSAGE = { binary: true, fin: true } as const;
const HEAD_FRAGMENT = { binary: true, fin: false } as const;

/**
 * A `ws` WebSocket as a {@link ServerTransport}. It moves bytes and reports events; it holds no
 * protocol logic. Both delivery classes go the same way: TCP is reliable and ordered.
 */
export class WsTransport implements ServerTransport {
  readonly kind = 'ws';
  private sink: TransportSink | undefined;

  /**
   * @param socket the ws WebSocket: it parses what arrives, answers pings, closes
   * @param raw the TCP (or TLS) socket under it, as the upgrade handed it over. With it, data
   *   messages are framed here and written straight to it (see {@link send}); without it they
   *   go through `socket.send`. ws writes only whole frames, each in one synchronous call, so
   *   its pings, pongs and close frame and ours never interleave within a frame; what we write
   *   is counted in `socket.bufferedAmount` like what ws writes.
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly raw?: Duplex,
  ) {
    (socket as TaggedSocket)[kTransport] = this;
    socket.binaryType = 'nodebuffer';
    socket.on('message', onSocketMessage);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('pong', onSocketPong);
    socket.on('ping', onSocketPing);
  }

  bind(sink: TransportSink): void {
    this.sink = sink;
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  get isClosing(): boolean {
    return this.socket.readyState > OPEN;
  }

  get bufferedAmount(): number {
    // ws's getter adds what its sender holds back while compressing: nothing here, where
    // permessage-deflate is off. The socket's queue holds ws's frames and ours alike.
    return this.raw === undefined ? this.socket.bufferedAmount : this.raw.writableLength;
  }

  send(bytes: Uint8Array): void {
    // Past OPEN a close frame may be out: nothing may follow it.
    if (this.socket.readyState !== OPEN) return;
    const raw = this.raw;
    if (raw === undefined) {
      this.socket.send(bytes, BINARY_MESSAGE);
      return;
    }
    const length = bytes.length;
    const headerLength = frameHeaderLength(length);
    if (headerLength + length < COPY_BELOW_BYTES) {
      const frame = Buffer.allocUnsafe(headerLength + length);
      frame.set(bytes, writeFrameHeader(frame, length));
      raw.write(frame);
      return;
    }
    const header = Buffer.allocUnsafe(headerLength);
    writeFrameHeader(header, length);
    raw.cork();
    raw.write(header);
    raw.write(bytes);
    raw.uncork();
  }

  sendParts(head: Uint8Array, body: Uint8Array): void {
    if (this.socket.readyState !== OPEN) return;
    const raw = this.raw;
    if (raw === undefined) {
      // Two frames of one message: ws writes each caller's buffer as it is (a server does not
      // mask), so the shared body goes to every socket without a copy per client.
      this.socket.send(head, HEAD_FRAGMENT);
      this.socket.send(body, BINARY_MESSAGE);
      return;
    }
    // One frame: its header and `head` in one small buffer, then the shared body as it is.
    const length = head.length + body.length;
    const headerLength = frameHeaderLength(length);
    const start = Buffer.allocUnsafe(headerLength + head.length);
    start.set(head, writeFrameHeader(start, length));
    raw.cork();
    raw.write(start);
    raw.write(body);
    raw.uncork();
  }

  close(code: number, reason: string): void {
    // Past OPEN (the peer half-closed, or its close frame crossed ours) ws starts no close
    // timer and would wait on the peer for ever: there is no handshake left to do, so drop it.
    if (this.socket.readyState !== OPEN) {
      this.socket.terminate();
      return;
    }
    try {
      this.socket.close(code, reason);
    } catch {
      // Never leave a socket half-closed: it would hold a connection slot for ever.
      this.socket.terminate();
    }
  }

  terminate(): void {
    this.socket.terminate();
  }

  probe(): void {
    if (this.socket.readyState === OPEN) this.socket.ping();
  }

  /** @internal event entry points for the module-level listeners. */
  onMessage(data: Buffer, isBinary: boolean): void {
    this.sink?.message(data, isBinary);
  }
  onClose(code: number, reason: string): void {
    this.sink?.closed(code, reason);
  }
  onPong(): void {
    this.sink?.heard();
  }
  onPing(): void {
    this.sink?.controlFrame();
  }
  onError(err: Error & { code?: string }): void {
    const code = wsErrorCloseCode(err);
    this.sink?.protocolError(code, err.message, err.code);
  }
}

function onSocketMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as TaggedSocket)[kTransport].onMessage(data, isBinary);
}

function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as TaggedSocket)[kTransport].onClose(code, reason.toString());
}

function onSocketPong(this: WebSocket): void {
  (this as TaggedSocket)[kTransport].onPong();
}

function onSocketPing(this: WebSocket): void {
  // ws answers the ping itself; the session counts it against the client's message rate.
  (this as TaggedSocket)[kTransport].onPing();
}

function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  // ws reports protocol errors here (e.g. WS_ERR_UNSUPPORTED_MESSAGE_LENGTH past maxPayload) and
  // closes the socket itself with the matching code (1009, 1002...); 'close' follows.
  (this as TaggedSocket)[kTransport].onError(err);
}

/**
 * The close code ws sends for a protocol error: ws stores it on the error under its private
 * `status-code` symbol (1002, 1007, 1008, 1009). Failing that, by the error's code, else 1002.
 */
export function wsErrorCloseCode(err: Error & { code?: string }): number {
  const symbol = Object.getOwnPropertySymbols(err).find((s) => s.description === 'status-code');
  const status = symbol === undefined ? undefined : (err as unknown as Record<symbol, unknown>)[symbol];
  if (typeof status === 'number' && status >= 1000 && status <= 4999) return status;
  return (err.code && WS_ERROR_CLOSE_CODES[err.code]) || CloseCode.ProtocolError;
}

/** The close code ws sends for the protocol errors it closes a socket over, by error code. */
const WS_ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: CloseCode.MessageTooBig,
  WS_ERR_INVALID_UTF8: CloseCode.InvalidPayload,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: CloseCode.PolicyViolation,
};
