import { ByteReader } from '../binary/byte-reader';
import { ByteWriter } from '../binary/byte-writer';
import { WireError, WireErrorCode } from '../binary/wire-error';

/**
 * Two kinds of delivery over one unreliable, unordered datagram channel (a WebRTC data channel
 * with `ordered: false, maxRetransmits: 0`):
 *
 * - **unreliable**: sent once; may be lost, duplicated or reordered. Snapshots, inputs, acks:
 *   the protocol is built to survive that, and a lost snapshot must not hold up the next
 *   (WebSocket's head-of-line blocking is what this transport exists to avoid).
 * - **reliable, in order**: numbered, acknowledged, retransmitted on a timeout from measured
 *   round trips, and released to the receiver strictly in order. Control messages (JOIN,
 *   WELCOME, roster, GLOBALS, ERROR, NOTICE) and the close frame.
 *
 * ```
 * datagram := 0x00 message                   unreliable
 *           | 0x01 seq:uvarint message       reliable; seqs count from 1
 *           | 0x02 next:uvarint mask:u32     ack: every seq < next received, and next+1+i if bit i
 *           | 0x04                           ping: the peer answers 0x05 at once
 *           | 0x05                           pong
 * ```
 * A close travels as a reliable message `0xFF code:u16 reason:utf8` (no tickwire message type
 * is 0xFF), so it arrives after everything sent before it, as a WebSocket close frame would.
 */
export const DatagramKind = { Unreliable: 0, Reliable: 1, Ack: 2, Ping: 4, Pong: 5 } as const;

/** First byte of the reliable message that carries a close. */
const CLOSE_MARK = 0xff;
/** Round-trip estimate before the first sample, ms. */
const INITIAL_RTO_MS = 200;
const MIN_RTO_MS = 40;
const MAX_RTO_MS = 2000;
/** Reliable messages sent but not acknowledged before the link counts as stuck (and bufferedAmount says so). */
const MAX_UNACKED = 512;
/** Out-of-order reliable messages held while one before them is missing. */
const MAX_HELD = 512;

/** A clock and one-shot timers (the SDK's and the server's own, or a test's ManualScheduler). */
export interface DatagramTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface Pending {
  seq: number;
  frame: Uint8Array;
  sentAt: number;
  firstSentAt: number;
  retransmits: number;
}

export class DatagramLink {
  /** A message from the peer, reliable ones in order. The bytes are only valid during the call. */
  onMessage: (bytes: Uint8Array) => void = () => {};
  /** The peer closed with `code` and `reason` (after every reliable message it sent before). */
  onClose: (code: number, reason: string) => void = () => {};
  /** The peer answered a ping. */
  onPong: () => void = () => {};
  readonly stats = { reliableSent: 0, retransmits: 0, unreliableSent: 0, received: 0, duplicates: 0, heldOutOfOrder: 0 };
  /** Smoothed round trip from acks, ms (NaN before the first). */
  srttMs = Number.NaN;
  private rttVarMs = 0;
  private nextSeq = 1;
  private readonly unacked: Pending[] = [];
  private unackedBytes_ = 0;
  /** Receiver: every seq below this has been released in order. */
  private expected = 1;
  private readonly held = new Map<number, Uint8Array>();
  private timer: unknown;
  private timerAt = Infinity;
  private closed = false;
  private readonly writer = new ByteWriter(256, 1 << 20, 'datagram');
  private readonly reader = new ByteReader();

  /** `send` puts one datagram on the channel (it may be lost). */
  constructor(
    private readonly send: (datagram: Uint8Array) => void,
    private readonly timers: DatagramTimers,
  ) {}

  /** Bytes of reliable messages not yet acknowledged. */
  get unackedBytes(): number {
    return this.unackedBytes_;
  }

  /** True when more reliable messages are outstanding than the link should ever have. */
  get stuck(): boolean {
    return this.unacked.length >= MAX_UNACKED;
  }

  /** Send once, unordered: snapshots, inputs, acks. */
  sendUnreliable(message: Uint8Array): void {
    if (this.closed) return;
    const w = this.writer.reset();
    w.u8(DatagramKind.Unreliable);
    w.raw(message);
    this.stats.unreliableSent++;
    this.send(w.bytes().slice());
  }

  /** Send reliably, in order: control messages. */
  sendReliable(message: Uint8Array): void {
    if (this.closed) return;
    const seq = this.nextSeq++;
    const w = this.writer.reset();
    w.u8(DatagramKind.Reliable);
    w.uvarint(seq);
    w.raw(message);
    const frame = w.bytes().slice();
    const now = this.timers.now();
    this.unacked.push({ seq, frame, sentAt: now, firstSentAt: now, retransmits: 0 });
    this.unackedBytes_ += frame.length;
    this.stats.reliableSent++;
    this.send(frame);
    this.arm(now + this.rto());
  }

  /** Send a close after everything sent so far (reliable); the caller closes the channel once it is acknowledged or after a grace period. */
  sendClose(code: number, reason: string): void {
    const text = new TextEncoder().encode(reason);
    const msg = new Uint8Array(3 + text.length);
    msg[0] = CLOSE_MARK;
    msg[1] = code >> 8;
    msg[2] = code & 0xff;
    msg.set(text, 3);
    this.sendReliable(msg);
  }

  /** True once every reliable message sent has been acknowledged. */
  get allAcked(): boolean {
    return this.unacked.length === 0;
  }

  ping(): void {
    if (!this.closed) this.send(Uint8Array.of(DatagramKind.Ping));
  }

  /**
   * A datagram from the channel. Throws {@link WireError} on a malformed one: the caller
   * closes the link.
   */
  receive(datagram: Uint8Array): void {
    if (this.closed) return;
    const r = this.reader.reset(datagram);
    const kind = r.u8();
    if (kind === DatagramKind.Unreliable) {
      this.stats.received++;
      this.onMessage(r.rest());
    } else if (kind === DatagramKind.Reliable) {
      const seq = r.uvarint();
      if (seq === 0) throw new WireError(WireErrorCode.OutOfRange, 'reliable seqs start at 1');
      this.onReliable(seq, r.rest());
    } else if (kind === DatagramKind.Ack) {
      const next = r.uvarint();
      const mask = r.u32();
      r.expectEnd('ack');
      this.onAck(next, mask);
    } else if (kind === DatagramKind.Ping) {
      r.expectEnd('ping');
      this.send(Uint8Array.of(DatagramKind.Pong));
    } else if (kind === DatagramKind.Pong) {
      r.expectEnd('pong');
      this.onPong();
    } else throw new WireError(WireErrorCode.UnknownType, `unknown datagram kind 0x${kind.toString(16)}`);
  }

  /** Stop: no more sends, retransmits or events. */
  dispose(): void {
    this.closed = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.unacked.length = 0;
    this.unackedBytes_ = 0;
    this.held.clear();
  }

  private onReliable(seq: number, message: Uint8Array): void {
    if (seq < this.expected || this.held.has(seq)) this.stats.duplicates++;
    else if (seq === this.expected) {
      this.expected++;
      this.release(message);
      // Then whatever was waiting for it.
      for (let m = this.held.get(this.expected); m !== undefined && !this.closed; m = this.held.get(this.expected)) {
        this.held.delete(this.expected);
        this.expected++;
        this.release(m);
      }
    } else {
      if (seq - this.expected > MAX_HELD)
        throw new WireError(WireErrorCode.OutOfRange, `reliable seq ${seq} is over ${MAX_HELD} ahead of ${this.expected}`);
      // Copied: the caller's bytes are only valid during the call.
      this.held.set(seq, message.slice());
      this.stats.heldOutOfOrder++;
    }
    this.sendAck();
  }

  private release(message: Uint8Array): void {
    this.stats.received++;
    if (message.length >= 3 && message[0] === CLOSE_MARK) {
      const code = (message[1] << 8) | message[2];
      const reason = new TextDecoder().decode(message.subarray(3));
      this.onClose(code, reason);
      return;
    }
    this.onMessage(message);
  }

  private sendAck(): void {
    let mask = 0;
    for (let i = 0; i < 32; i++) if (this.held.has(this.expected + 1 + i)) mask |= 1 << i;
    const w = this.writer.reset();
    w.u8(DatagramKind.Ack);
    w.uvarint(this.expected);
    w.u32(mask >>> 0);
    this.send(w.bytes().slice());
  }

  private onAck(next: number, mask: number): void {
    const now = this.timers.now();
    let keep = 0;
    for (let i = 0; i < this.unacked.length; i++) {
      const p = this.unacked[i];
      const off = p.seq - next - 1;
      const acked = p.seq < next || (off >= 0 && off < 32 && ((mask >>> off) & 1) === 1);
      if (!acked) {
        this.unacked[keep++] = p;
        continue;
      }
      this.unackedBytes_ -= p.frame.length;
      // Karn: only a message sent once times the round trip.
      if (p.retransmits === 0) this.sampleRtt(now - p.firstSentAt);
    }
    this.unacked.length = keep;
  }

  private sampleRtt(ms: number): void {
    if (Number.isNaN(this.srttMs)) {
      this.srttMs = ms;
      this.rttVarMs = ms / 2;
    } else {
      this.rttVarMs += (Math.abs(ms - this.srttMs) - this.rttVarMs) / 4;
      this.srttMs += (ms - this.srttMs) / 8;
    }
  }

  private rto(): number {
    if (Number.isNaN(this.srttMs)) return INITIAL_RTO_MS;
    return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, this.srttMs + 4 * this.rttVarMs));
  }

  private arm(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(this.onTimer, Math.max(0, at - this.timers.now()));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.closed) return;
    const now = this.timers.now();
    let next = Infinity;
    for (const p of this.unacked) {
      // Each retransmission waits twice as long as the last (exponential backoff).
      const due = p.sentAt + this.rto() * 2 ** p.retransmits;
      if (due <= now) {
        p.retransmits++;
        p.sentAt = now;
        this.stats.retransmits++;
        this.send(p.frame);
        next = Math.min(next, now + this.rto() * 2 ** p.retransmits);
      } else next = Math.min(next, due);
    }
    if (next < Infinity) this.arm(next);
  };
}
