import type { ByteReader } from '../../shared/binary/byte-reader';
import { readInputHeader, type InputHeader } from '../../shared/protocol/input-message';
import { OfferResult } from '../input/tick-input-buffer';
import type { PlayerSlot } from './player-slot';
import type { Room } from './room';

/**
 * A room's incoming inputs: each INPUT message's inputs into the sender's buffer, by the tick
 * they are stamped for, with its ack and the lead of the newest. One header scratch serves every
 * message, so nothing is allocated per input.
 */
export class RoomInputs<S, I, P> {
  private readonly header: InputHeader = { ackTick: 0, firstSeq: 0, count: 0, viewLag16: 0 };

  constructor(private readonly room: Room<S, I, P>) {}

  /**
   * Buffer the inputs of one INPUT message (reader just past the type byte), each for the tick
   * it is stamped with, and note how early the newest arrived: `now` is the arrival time on the
   * room's clock (NaN: the latest advance). Throws WireError on a malformed message; the
   * caller closes that client.
   */
  accept(slot: PlayerSlot<I>, reader: ByteReader, now: number): void {
    const room = this.room;
    const loop = room.loop;
    const stats = room.stats;
    const h = readInputHeader(reader, room.type.game.input.byteLength, this.header);
    if (h.ackTick > slot.ackTick) room.acknowledge(slot, h.ackTick);
    const current = room.tick;
    // Each input's lead, on its first arrival (resent copies are redundancy, not news): the
    // time left before its tick is simulated. A room running behind (after a stall) runs its
    // next tick at once, not at its scheduled time.
    const at = Number.isNaN(now) ? loop.nextStepAt - loop.msUntilNextStep() : now;
    const untilNext = Math.max(0, loop.nextStepAt - at);
    for (let i = 0; i < h.count; i++) {
      const tick = h.firstSeq + i;
      // The message's view lag holds for each of its inputs: an older one was made when both
      // the input clock and the drawing were that many ticks earlier.
      const result = slot.inputs.offer(tick, reader, current, h.viewLag16);
      if (result === OfferResult.Duplicate) continue;
      if (result === OfferResult.TooEarly) stats.inputsTooEarly++;
      else {
        if (result === OfferResult.Late) stats.inputsLate++;
        const lead = untilNext + (tick - current - 1) * loop.stepMs;
        if (!(lead >= slot.inputLeadMs)) slot.inputLeadMs = lead;
      }
    }
  }
}
