import { nextU32, type RngState } from '../../shared/math/prng';

/**
 * The wait until a bot's next abrupt link kill, ms: kills form a Poisson process at
 * `perMinute` per bot, so the gaps are exponential with mean 60000 / perMinute ms. Each bot
 * draws from its own seeded stream, so a run repeats. Infinity when `perMinute` is 0.
 */
export function nextKillGapMs(rng: RngState, perMinute: number): number {
  if (!(perMinute > 0)) return Number.POSITIVE_INFINITY;
  // u in (0, 1]: never 0, so the logarithm is finite.
  const u = (nextU32(rng) + 1) / 4294967296;
  return (-Math.log(u) * 60_000) / perMinute;
}
