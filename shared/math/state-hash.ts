/**
 * FNV-1a over 32-bit words: a cheap, order-sensitive hash of integer state. Two states with the
 * same hash after the same inputs is how determinism is checked across server, browser and bots.
 */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** Fold one int32 into the running hash `h`, a byte at a time. */
export function hashInt(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((v >>> 8) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ ((v >>> 16) & 0xff), FNV_PRIME);
  h = Math.imul(h ^ (v >>> 24), FNV_PRIME);
  return h >>> 0;
}
