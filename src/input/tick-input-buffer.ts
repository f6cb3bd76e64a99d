import type { ByteReader } from '../../shared/binary/byte-reader';
import type { InputCodec } from '../../shared/game/game-definition';

/** What {@link TickInputBuffer.offer} did with an input. */
export const OfferResult = {
  /** Stored for its tick. */
  Accepted: 0,
  /** Already received (clients resend unacknowledged inputs for loss tolerance). */
  Duplicate: 1,
  /** Its tick has been simulated without it: the server repeated the previous input instead. */
  Late: 2,
  /** Stamped further ahead than the buffer reaches: dropped (a client clock gone wrong). */
  TooEarly: 3,
} as const;
export type OfferResult = (typeof OfferResult)[keyof typeof OfferResult];

/**
 * One player's inputs keyed by the server tick each is stamped for (its seq). Clients stamp
 * every input for a tick slightly ahead of the server (see the SDK's tick sync), so an input
 * waits here until its tick, whatever order inputs arrive in. A ring of `capacity` slots
 * (a power of two) covers ticks (current, current + capacity]; decoding goes straight into the
 * slots, so buffering allocates nothing.
 *
 * Each slot remembers the tick it last held even after that tick is simulated, so a resent
 * copy of an applied input is told apart (a duplicate) from an input that came too late.
 */
export class TickInputBuffer<I> {
  private readonly slots: I[];
  /** The tick each slot holds or last held (0: never used). */
  private readonly ticks: Uint32Array;
  /** Each slot's view lag (see INPUT), 1/16 ticks. */
  private readonly viewLags: Uint16Array;
  /** The view lag of the input {@link take} copied last, 1/16 ticks. */
  takenViewLag16 = 0;
  private readonly mask: number;
  private readonly scratch: I;
  /** Newest tick received (0: none yet). */
  newestTick = 0;
  /** Inputs that arrived after their tick was simulated. */
  late = 0;
  /** Inputs stamped beyond the buffer's reach, dropped. */
  tooEarly = 0;

  /** `capacity` is rounded up to a power of two. */
  constructor(
    private readonly codec: InputCodec<I>,
    capacity: number,
  ) {
    if (!(capacity >= 1)) throw new RangeError('TickInputBuffer capacity must be ≥ 1');
    const size = 2 ** Math.ceil(Math.log2(capacity));
    this.mask = size - 1;
    this.slots = Array.from({ length: size }, () => codec.create());
    this.ticks = new Uint32Array(size);
    this.viewLags = new Uint16Array(size);
    this.scratch = codec.create();
  }

  /** Ticks ahead of the current one an input may be stamped for. */
  get capacity(): number {
    return this.mask + 1;
  }

  /**
   * Decode the input stamped for `tick` from `reader` (always consuming its bytes) and keep it,
   * with its view lag (1/16 ticks), if `tick` is still ahead: `current` is the last tick
   * simulated, so `current + 1` is next.
   */
  offer(tick: number, reader: ByteReader, current: number, viewLag16 = 0): OfferResult {
    const slot = tick & this.mask;
    if (this.ticks[slot] === tick) {
      this.codec.read(reader, this.scratch);
      return OfferResult.Duplicate;
    }
    if (tick <= current) {
      this.codec.read(reader, this.scratch);
      // Remember it (unless the slot already holds a future tick), so its resent copies count
      // once, as duplicates, rather than as late again.
      if (this.ticks[slot] <= current) this.ticks[slot] = tick;
      this.late++;
      return OfferResult.Late;
    }
    if (tick > current + this.capacity) {
      this.codec.read(reader, this.scratch);
      this.tooEarly++;
      return OfferResult.TooEarly;
    }
    this.codec.read(reader, this.slots[slot]);
    this.ticks[slot] = tick;
    this.viewLags[slot] = viewLag16;
    if (tick > this.newestTick) this.newestTick = tick;
    return OfferResult.Accepted;
  }

  /**
   * The inputs held for ticks after `current`, oldest first: what travels with a moved room.
   * Allocates; not for the tick path.
   */
  pending(current: number): { tick: number; input: I; viewLag16: number }[] {
    const out: { tick: number; input: I; viewLag16: number }[] = [];
    for (let slot = 0; slot <= this.mask; slot++) {
      const tick = this.ticks[slot];
      if (tick <= current) continue;
      const input = this.codec.create();
      this.codec.copy(this.slots[slot], input);
      out.push({ tick, input, viewLag16: this.viewLags[slot] });
    }
    return out.sort((a, b) => a.tick - b.tick);
  }

  /** Hold `input` for `tick` (a moved room's buffered input; the caller checks the tick is ahead). */
  put(tick: number, input: I, viewLag16: number): void {
    const slot = tick & this.mask;
    this.codec.copy(input, this.slots[slot]);
    this.ticks[slot] = tick;
    this.viewLags[slot] = viewLag16;
    if (tick > this.newestTick) this.newestTick = tick;
  }

  /**
   * Copy the input stamped for `tick` into `out` (and its view lag into {@link takenViewLag16});
   * false when none came (in time).
   */
  take(tick: number, out: I): boolean {
    const slot = tick & this.mask;
    if (this.ticks[slot] !== tick) return false;
    this.codec.copy(this.slots[slot], out);
    this.takenViewLag16 = this.viewLags[slot];
    return true;
  }
}
