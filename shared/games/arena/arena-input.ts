import type { ByteReader } from '../../binary/byte-reader';
import type { ByteWriter } from '../../binary/byte-writer';
import type { InputCodec } from '../../game/game-definition';

/** Button bits of {@link ArenaInput.buttons}. */
export const Button = {
  Up: 1 << 0,
  Down: 1 << 1,
  Left: 1 << 2,
  Right: 1 << 3,
  Fire: 1 << 4,
} as const;
const KNOWN_BUTTONS = Button.Up | Button.Down | Button.Left | Button.Right | Button.Fire;

/** One player's input for one tick. */
export interface ArenaInput {
  /** Bitset of {@link Button}. */
  buttons: number;
  /** Aim direction as a u16 angle (65536 = one turn, 0 = +x, 16384 = +y, screen-down). */
  aim: number;
}

/** 3 bytes: buttons u8, aim u16. Unknown button bits are masked off: the server decides what exists. */
export const arenaInputCodec: InputCodec<ArenaInput> = {
  byteLength: 3,
  create: () => ({ buttons: 0, aim: 0 }),
  neutralize(input: ArenaInput) {
    input.buttons = 0;
  },
  write(out: ByteWriter, input: ArenaInput) {
    out.u8(input.buttons & KNOWN_BUTTONS);
    out.u16(input.aim & 0xffff);
  },
  read(input: ByteReader, out: ArenaInput) {
    out.buttons = input.u8() & KNOWN_BUTTONS;
    out.aim = input.u16();
  },
  copy(from, to) {
    to.buttons = from.buttons;
    to.aim = from.aim;
  },
};
