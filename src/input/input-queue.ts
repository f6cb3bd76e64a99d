import type { ByteReader } from '../../shared/binary/byte-reader';
import type { InputCodec } from '../../shared/game/game-definition';

/** What {@link InputQueue.offer} did with an input. */
export const OfferResult = { Accepted: 0, Duplicate: 1, AcceptedDroppingOldest: 2 } as const;
export type OfferResult = (typeof OfferResult)[keyof typeof OfferResult];

/**
 * One player's pending inputs: a fixed ring, in seq order, deduplicated. Inputs are decoded
 * straight into preallocated slots, so queueing allocates nothing.
 *
 * Seqs only move forward: an input whose seq is not newer than the newest seen is a duplicate
 * (clients resend recent inputs for loss tolerance). A gap in seqs means inputs were lost; the
 * newer input is taken anyway. When full, the oldest input is dropped, bounding the latency a
 * client running fast can build up to `capacity` ticks.
 */
export class InputQueue<I> {
  private readonly slots: I[];
  private readonly seqs: Uint32Array;
  private readonly scratch: I;
  private head = 0;
  /** Inputs waiting. */
  length = 0;
  /** Newest seq accepted (0 = none yet). */
  newestSeq = 0;
  /** Inputs dropped because the queue was full. */
  dropped = 0;
  /** Inputs never received (holes in the seq sequence). */
  lost = 0;
  /** Inputs discarded by {@link shedOldest} to cut a standing backlog. */
  shed = 0;

  constructor(private readonly codec: InputCodec<I>, readonly capacity = 4) {
    if (capacity < 1) throw new RangeError('InputQueue capacity must be ≥ 1');
    this.slots = Array.from({ length: capacity }, () => codec.create());
    this.seqs = new Uint32Array(capacity);
    this.scratch = codec.create();
  }

  /** Decode the input with `seq` from `reader` (always consuming its bytes) and queue it if new. */
  offer(seq: number, reader: ByteReader): OfferResult {
    if (seq <= this.newestSeq) {
      this.codec.read(reader, this.scratch);
      return OfferResult.Duplicate;
    }
    let result: OfferResult = OfferResult.Accepted;
    if (this.length === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.length--;
      this.dropped++;
      result = OfferResult.AcceptedDroppingOldest;
    }
    const tail = (this.head + this.length) % this.capacity;
    this.codec.read(reader, this.slots[tail]);
    this.seqs[tail] = seq;
    this.length++;
    this.lost += seq - this.newestSeq - 1;
    this.newestSeq = seq;
    return result;
  }

  /** Discard the oldest waiting input (one tick less latency for this player from now on). */
  shedOldest(): void {
    if (this.length === 0) return;
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    this.shed++;
  }

  /** Move the oldest input into `out` and return its seq, or return 0 if the queue is empty. */
  shiftInto(out: I): number {
    if (this.length === 0) return 0;
    const seq = this.seqs[this.head];
    this.codec.copy(this.slots[this.head], out);
    this.head = (this.head + 1) % this.capacity;
    this.length--;
    return seq;
  }
}
