import { ByteWriter } from '../../shared/binary/byte-writer';

/**
 * Standalone ACKs on a sparse link: at most one per this many ms (default 150). INPUTs carry
 * the ack too, at least once per keepalive (133 ms by default) while the game sends inputs, so
 * this only paces a client that sends none (a hidden tab, inputs withheld); longer than the
 * keepalive so that a client holding a key sends no ACK between its inputs. The server deltas
 * an in-order client against the newest snapshot sent, not the acknowledged one, so a thinner
 * ack costs no bytes while it stays within the server's lag bound (half the history, 500 ms by
 * default): 150 ms of spacing plus a 33 ms send interval leave room for a 300 ms round trip.
 */
export const SPARSE_ACK_INTERVAL_MS = 150;

/**
 * Lead reports the input clock takes before inputs go sparse (64: about 2 s of snapshots at
 * 30 Hz). The clock sizes its cushion from how early each INPUT arrives (see TickSync); one
 * INPUT a keepalive instead of one a tick would make it settle four times slower, and inputs
 * would come late meanwhile. So a new link sends every input, as before, until the cushion is measured.
 */
export const SPARSE_AFTER_LEAD_REPORTS = 64;

/**
 * Which inputs and acks go out on the current link. On a link that delivers in order (a
 * WebSocket; WELCOME.inputKeepaliveTicks > 1), an INPUT goes out only when the input differs from
 * the last one sent, or `keepaliveTicks` after it: the server repeats the last input for a tick
 * without one, exactly as the client predicts it, so a skipped tick costs nothing (see
 * src/rooms/input-keepalive.ts). Each INPUT then carries just its newest input: redundancy is
 * for links that lose messages, and a skipped tick resent after its turn would count as late.
 * Standalone ACKs are thinned to one per {@link SPARSE_ACK_INTERVAL_MS}. On any other link
 * (WebRTC, an unordered simulated link) every input goes out, as before.
 *
 * Every input is still numbered, kept in the pending ring and predicted as it is made: only
 * the sending changes. Allocation-free per tick: the input is encoded into a scratch buffer
 * and compared with the last one sent.
 */
export class InputSendPolicy {
  /** The scratch the caller encodes each input into (reset it first) before {@link mustSend}. */
  readonly scratch: ByteWriter;
  /** Ticks between INPUTs of an unchanged input on this link; 1: every tick (not sparse). */
  keepaliveTicks = 1;
  private readonly lastSent: Uint8Array;
  /** Seq of the newest input sent on this link (0: none yet, so the next one goes). */
  private lastSentSeq = 0;
  /** When the newest ack went out (in an INPUT or an ACK), ms on the client's clock. */
  private lastAckAt = Number.NEGATIVE_INFINITY;

  /** @param inputBytes the game's InputCodec.byteLength */
  constructor(inputBytes: number) {
    this.lastSent = new Uint8Array(inputBytes);
    this.scratch = new ByteWriter(Math.max(16, inputBytes), Math.max(16, inputBytes), 'the input codec byteLength');
  }

  /** Whether inputs may be skipped on this link (acks are thinned whenever it is so). */
  get sparse(): boolean {
    return this.keepaliveTicks > 1;
  }

  /**
   * Whether inputs go sparse now, once the input clock has taken `leadReports` reports: until
   * {@link SPARSE_AFTER_LEAD_REPORTS}, every input goes out as on any link (with redundancy).
   */
  skipsInputs(leadReports: number): boolean {
    return this.keepaliveTicks > 1 && leadReports >= SPARSE_AFTER_LEAD_REPORTS;
  }

  /**
   * A WELCOME on a new link (a join, a resume, a move): sparse when the server allows it
   * (`keepaliveTicks` > 1) and the link delivers in order. The next input goes out whatever it is.
   */
  start(keepaliveTicks: number | undefined, inOrder: boolean): void {
    const k = Math.floor(keepaliveTicks ?? 1);
    this.keepaliveTicks = inOrder && k > 1 ? k : 1;
    this.lastSentSeq = 0;
    this.lastAckAt = Number.NEGATIVE_INFINITY;
  }

  /**
   * Whether input `seq`, just encoded into {@link scratch}, must go out (once
   * {@link skipsInputs}): the first sparse one on the link, a change from the last one sent,
   * or a keepalive `keepaliveTicks` after it.
   */
  mustSend(seq: number): boolean {
    if (this.keepaliveTicks <= 1 || this.lastSentSeq === 0 || seq - this.lastSentSeq >= this.keepaliveTicks) return true;
    const encoded = this.scratch.buffer;
    const last = this.lastSent;
    for (let i = 0; i < last.length; i++) if (encoded[i] !== last[i]) return true;
    return false;
  }

  /** Input `seq` (still in {@link scratch}) went out at `now`, carrying an ack. */
  sent(seq: number, now: number): void {
    const encoded = this.scratch.buffer;
    const last = this.lastSent;
    for (let i = 0; i < last.length; i++) last[i] = encoded[i];
    this.lastSentSeq = seq;
    this.lastAckAt = now;
  }

  /** Whether a standalone ACK may go out at `now`: always unless sparse; else once per interval. */
  ackDue(now: number): boolean {
    return this.keepaliveTicks <= 1 || now - this.lastAckAt >= SPARSE_ACK_INTERVAL_MS;
  }

  /** A standalone ACK went out at `now`. */
  ackSent(now: number): void {
    this.lastAckAt = now;
  }
}
