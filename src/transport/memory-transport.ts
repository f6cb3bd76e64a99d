import { realTimers, type Timers } from '../loop/timers';
import { SocketHandlers, type WebSocketLike } from '../sdk/socket-like';
import { joinParts, type Delivery } from '../wire/delivery';
import type { ServerTransport, TransportSink } from './transport';

/** The close code a link reports when it ended without a close handshake. */
const CONNECTION_LOST = 1006;

export interface MemoryLinkOptions {
  /** Timers that carry messages across the link (default: the host's). */
  timers?: Timers;
  /** One-way delay, ms (default 0: delivered on the next microtask). */
  latencyMs?: number;
}

/**
 * An in-process link between a server session and a client SDK, with the faults of a real
 * network on demand: a delay, a stall (everything held, then delivered in order) and a cut
 * (both ends see 1006, everything in flight is lost). Tests and single-player games use it;
 * no socket is opened.
 *
 * ```
 *  TickwireClient ── link.client (WebSocketLike) ══ latency / stall / cut ══ link.server (ServerTransport) ── Session
 * ```
 */
export class MemoryLink {
  readonly server: MemoryServerEnd;
  readonly client: MemoryClientEnd;
  /** One-way delay, ms; may be changed at any time (messages already in flight keep theirs). */
  latencyMs: number;
  private readonly timers: Timers;
  private stalledQueue: (() => void)[] | undefined;
  /** True once cut or closed: nothing more crosses. */
  down = false;

  constructor(options: MemoryLinkOptions = {}) {
    this.timers = options.timers ?? realTimers;
    this.latencyMs = options.latencyMs ?? 0;
    this.server = new MemoryServerEnd(this);
    this.client = new MemoryClientEnd(this);
  }

  /** Hold every message in both directions until {@link unstall}, as a frozen router would. */
  stall(): void {
    this.stalledQueue ??= [];
  }

  /** Deliver what the stall held, in order, then carry on. */
  unstall(): void {
    const held = this.stalledQueue;
    this.stalledQueue = undefined;
    this.server.heldBytes = 0;
    if (held) for (const deliver of held) this.carry(deliver);
  }

  get stalled(): boolean {
    return this.stalledQueue !== undefined;
  }

  /** Kill the link with no handshake: both ends report 1006; whatever was in flight is lost. */
  cut(): void {
    if (this.down) return;
    this.down = true;
    this.stalledQueue = undefined;
    this.server.heldBytes = 0;
    this.carry(() => this.client.ended(CONNECTION_LOST, ''), true);
    this.carry(() => this.server.ended(CONNECTION_LOST, ''), true);
  }

  /** @internal Move one event across the link, after the delay (or hold it while stalled). */
  carry(deliver: () => void, evenIfDown = false): void {
    if (this.down && !evenIfDown) return;
    if (this.stalledQueue && !evenIfDown) {
      this.stalledQueue.push(deliver);
      return;
    }
    if (this.latencyMs <= 0) queueMicrotask(deliver);
    else this.timers.setTimeout(deliver, this.latencyMs);
  }

  /** @internal A close handshake: both ends learn the code once it has crossed. */
  closeBoth(code: number, reason: string): void {
    if (this.down) return;
    this.carry(() => {
      this.down = true;
      this.client.ended(code, reason);
      this.server.ended(code, reason);
    });
  }
}

/** The server's end of a {@link MemoryLink}. */
export class MemoryServerEnd implements ServerTransport {
  readonly kind = 'memory';
  private sink: TransportSink | undefined;
  private ended_ = false;
  private closing = false;
  /** Bytes sent while the link is stalled: what a real socket would have queued. */
  heldBytes = 0;

  constructor(private readonly link: MemoryLink) {}

  bind(sink: TransportSink): void {
    this.sink = sink;
  }

  get isOpen(): boolean {
    return !this.ended_ && !this.closing && !this.link.down;
  }

  get isClosing(): boolean {
    return this.closing || this.ended_;
  }

  get bufferedAmount(): number {
    return this.heldBytes;
  }

  sendParts(head: Uint8Array, body: Uint8Array, delivery: Delivery): void {
    this.send(joinParts(head, body), delivery);
  }

  send(bytes: Uint8Array, _delivery: Delivery): void {
    if (!this.isOpen) return;
    if (this.link.stalled) this.heldBytes += bytes.length;
    this.link.carry(() => this.link.client.receive(bytes));
  }

  close(code: number, reason: string): void {
    if (this.closing || this.ended_) return;
    this.closing = true;
    this.link.closeBoth(code, reason);
  }

  terminate(): void {
    this.link.cut();
  }

  probe(): void {
    // A browser answers pings by itself: the answer comes back after a round trip.
    this.link.carry(() => this.link.carry(() => this.sink?.heard()));
  }

  /** @internal */
  receive(bytes: Uint8Array): void {
    if (!this.ended_) this.sink?.message(bytes, true);
  }

  /** @internal */
  ended(code: number, reason: string): void {
    if (this.ended_) return;
    this.ended_ = true;
    this.sink?.closed(code, reason);
  }
}

/** The client's end of a {@link MemoryLink}: the browser WebSocket's shape, for the SDK. */
export class MemoryClientEnd extends SocketHandlers implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;

  constructor(private readonly link: MemoryLink) {
    super();
  }

  get bufferedAmount(): number {
    return 0;
  }

  /** @internal the server accepted the link. */
  opened(): void {
    this.link.carry(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this.onopen?.({});
    });
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) return;
    // The sender may reuse its buffer: copy, as a socket would have written it out.
    const copy = data.slice();
    this.link.carry(() => this.link.server.receive(copy));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.link.closeBoth(code, reason);
  }

  /** Drop the link with no close frame, as a dead network would. */
  terminate(): void {
    this.link.cut();
  }

  /** @internal */
  receive(bytes: Uint8Array): void {
    if (this.readyState !== 1) return;
    this.onmessage?.({ data: bytes });
  }

  /** @internal */
  ended(code: number, reason: string): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}
