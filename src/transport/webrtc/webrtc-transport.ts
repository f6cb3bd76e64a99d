import type { ServerChannel } from '@geckos.io/server';
import { WireError } from '../../../shared/binary/wire-error';
import { DatagramLink, type DatagramTimers } from '../../../shared/datagram/datagram-link';
import { CloseCode } from '../../../shared/protocol/close-codes';
import { Delivery, joinParts } from '../../wire/delivery';
import type { ServerTransport, TransportSink } from '../transport';
import type { WebRtcCounters } from './webrtc-options';

/** A close's last reliable message gets this long to be acknowledged before the channel goes, ms. */
const CLOSE_LINGER_MS = 1000;
/** The data channel's own send buffer past which unreliable messages are dropped, bytes. */
const MAX_CHANNEL_BUFFER_BYTES = 64 * 1024;

/**
 * The part of a geckos.io 3 ServerChannel's `dataChannel` (node-datachannel's DataChannel) this
 * transport uses. geckos sets it to null once the connection is closed.
 */
interface DataChannelLike {
  bufferedAmount(): number;
  isOpen(): boolean;
  sendMessageBinary(data: Uint8Array): boolean;
}

/**
 * One player's WebRTC data channel (geckos.io, unordered, no retransmits) as a
 * {@link ServerTransport}: snapshots go once (a lost one is superseded by the next); control
 * messages go through a {@link DatagramLink}, reliable and in order. The session and the room
 * cannot tell it from a WebSocket.
 */
export class WebRtcTransport implements ServerTransport {
  readonly kind = 'webrtc';
  private sink: TransportSink | undefined;
  private readonly link: DatagramLink;
  private ended = false;
  private closing = false;
  private lingerTimer: unknown;

  constructor(
    private readonly channel: ServerChannel,
    private readonly timers: DatagramTimers,
    private readonly maxPayloadBytes: number,
    private readonly counters: WebRtcCounters,
  ) {
    this.link = new DatagramLink((d) => this.put(d), timers);
    this.link.onMessage = (bytes) => {
      if (bytes.length > this.maxPayloadBytes) {
        this.fail(1009, `message of ${bytes.length} bytes is over the ${this.maxPayloadBytes}-byte limit`);
        return;
      }
      this.sink?.message(bytes, true);
    };
    this.link.onPong = () => this.sink?.heard();
    // The client closing deliberately (a leave) comes as a close on the reliable stream.
    this.link.onClose = (code) => this.end(code === 1000 ? 1000 : CloseCode.ConnectionLost, 'client closed');
    channel.onRaw((raw) => this.onDatagram(raw as ArrayBuffer | Uint8Array));
    channel.onDisconnect(() => this.end(CloseCode.ConnectionLost, ''));
  }

  bind(sink: TransportSink): void {
    this.sink = sink;
  }

  get isOpen(): boolean {
    return !this.ended && !this.closing;
  }

  get isClosing(): boolean {
    return this.closing || this.ended;
  }

  /** What is queued for this client: the channel's buffer and unacknowledged control messages. */
  get bufferedAmount(): number {
    return this.channelBuffered() + this.link.unackedBytes;
  }

  send(bytes: Uint8Array, delivery: Delivery): void {
    if (!this.isOpen) return;
    if (delivery === Delivery.Reliable) {
      this.link.sendReliable(bytes);
      return;
    }
    // Nothing waits behind a full buffer: a snapshot that cannot go now is dropped, and the
    // next one (a delta against what the client acknowledged) replaces it.
    if (this.channelBuffered() > MAX_CHANNEL_BUFFER_BYTES) {
      this.counters.datagramsDropped++;
      return;
    }
    this.link.sendUnreliable(bytes);
  }

  sendParts(head: Uint8Array, body: Uint8Array, delivery: Delivery): void {
    // A datagram is one buffer: join them (the body is small next to a WebSocket's worth).
    this.send(joinParts(head, body), delivery);
  }

  close(code: number, reason: string): void {
    if (this.closing || this.ended) return;
    this.closing = true;
    // Data channels carry no close code: it rides the reliable stream, after the ERROR the
    // session sent. The channel goes once it is acknowledged, or after a grace period.
    this.link.sendClose(code, reason);
    const started = this.timers.now();
    const check = () => {
      if (this.ended) return;
      if (this.link.allAcked || this.timers.now() - started >= CLOSE_LINGER_MS) this.end(code, reason, true);
      else this.lingerTimer = this.timers.setTimeout(check, 20);
    };
    this.lingerTimer = this.timers.setTimeout(check, 20);
  }

  terminate(): void {
    this.end(CloseCode.ConnectionLost, '', true);
  }

  probe(): void {
    if (this.isOpen) this.link.ping();
  }

  private onDatagram(raw: ArrayBuffer | Uint8Array): void {
    if (this.ended) return;
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(raw);
    // A datagram carries one message and a few bytes of framing.
    if (bytes.length > this.maxPayloadBytes + 16) {
      this.fail(1009, `datagram of ${bytes.length} bytes is over the ${this.maxPayloadBytes}-byte limit`);
      return;
    }
    try {
      this.link.receive(bytes);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      this.fail(CloseCode.MalformedMessage, `malformed datagram: ${err.message}`, err.code);
    }
  }

  /** A breach the transport itself detects (as ws does for an oversized frame). */
  private fail(code: number, detail: string, errorCode?: string): void {
    this.sink?.protocolError(code, detail, errorCode);
    this.close(code, detail);
  }

  /**
   * Straight onto the data channel, not through geckos.io's emit: geckos.io 3 defers the send
   * to a microtask (every datagram would pay for a promise, and a channel closing in between is
   * logged) and copies each buffer (`Buffer.from`).
   */
  private put(datagram: Uint8Array): void {
    const dc = this.dataChannel();
    if (this.ended || !dc?.isOpen()) return;
    try {
      dc.sendMessageBinary(datagram);
    } catch {
      // Closed under us: the disconnect event ends the transport.
    }
  }

  private dataChannel(): DataChannelLike | undefined {
    return (this.channel as unknown as { dataChannel?: DataChannelLike | null }).dataChannel ?? undefined;
  }

  private channelBuffered(): number {
    return this.dataChannel()?.bufferedAmount() ?? 0;
  }

  /** The link is over: tell the session once, stop the reliable stream, close the channel. */
  private end(code: number, reason: string, closeChannel = false): void {
    if (this.ended) return;
    this.ended = true;
    this.counters.retransmits += this.link.stats.retransmits;
    this.link.dispose();
    if (this.lingerTimer !== undefined) this.timers.clearTimeout(this.lingerTimer);
    // geckos.io 3's close is async and logs "connection not found!" for a connection it has
    // closed already (its data channel is then null): only an open one is closed.
    if (closeChannel && this.dataChannel()) void Promise.resolve(this.channel.close()).catch(() => undefined);
    this.sink?.closed(code, reason);
  }
}
