import { nextU32, type RngState } from '../../shared/math/prng';
import { Button, type ArenaInput } from '../../shared/games/arena';

/** A seeded source of plausible arena inputs: held directions, sweeping aim, bursts of fire. */
export function randomInputs(seed: number): (input: ArenaInput) => void {
  const rng: RngState = { rng: seed };
  return (input) => {
    const r = nextU32(rng);
    if ((r & 7) === 0) input.buttons = (r >>> 3) & (Button.Up | Button.Down | Button.Left | Button.Right);
    input.aim = (input.aim + ((r >>> 8) & 0xfff)) & 0xffff;
    input.buttons = (r >>> 20) % 3 === 0 ? input.buttons | Button.Fire : input.buttons & ~Button.Fire;
  };
}
