/**
 * Mulberry32: a 32-bit PRNG whose whole state is one integer, so it lives inside the game state,
 * is hashed with it, and replays exactly. Integer-only arithmetic (Math.imul, shifts), so every
 * JavaScript engine produces the same sequence.
 */
export interface RngState {
  /** The generator state, an int32. */
  rng: number;
}

/** Advance the state and return the next value in [0, 2^32). */
export function nextU32(s: RngState): number {
  s.rng = (s.rng + 0x6d2b79f5) | 0;
  let t = s.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

/** A uniform integer in [0, n), for n ≤ 2^16 (the small bias of the modulo is irrelevant at that size). */
export function nextInt(s: RngState, n: number): number {
  return nextU32(s) % n;
}
