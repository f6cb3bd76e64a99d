/**
 * The arena's rules as numbers. World positions are integers in 1/8 pixel (`UNITS_PER_PX`), so
 * they fit a u16 on the wire and integer math keeps the step deterministic.
 */
export const UNITS_PER_PX = 8;
/** Arena size, px. */
export const WORLD_WIDTH_PX = 1600;
export const WORLD_HEIGHT_PX = 1000;
export const WORLD_W = WORLD_WIDTH_PX * UNITS_PER_PX;
export const WORLD_H = WORLD_HEIGHT_PX * UNITS_PER_PX;

export const PLAYER_RADIUS = 16 * UNITS_PER_PX;
export const PROJECTILE_RADIUS = 4 * UNITS_PER_PX;
export const MAX_HP = 100;
export const PROJECTILE_DAMAGE = 25;

/** Movement speed, px/s. */
export const PLAYER_SPEED_PX_S = 240;
/** Projectile speed, px/s. */
export const PROJECTILE_SPEED_PX_S = 720;
/** Projectile lifetime, ms. */
export const PROJECTILE_LIFETIME_MS = 1000;
/** Minimum time between shots, ms. */
export const FIRE_COOLDOWN_MS = 250;
/** Time dead before respawning, ms. */
export const RESPAWN_MS = 2000;
/** Time after respawn during which a player cannot be hit, ms. */
export const SPAWN_SHIELD_MS = 1000;

/**
 * A match's length, ms: when it ends every player's score and deaths are noted
 * (`ArenaState.lastMatch`, which a server records in profiles) and start again from 0.
 */
export const MATCH_MS = 180_000;

/** 1/√2 in Q8, for diagonal movement at the same speed as straight movement. */
export const DIAGONAL_Q8 = 181;

/** Per-tick quantities for one tick rate. Derived once per room, never inside the step. */
export interface ArenaTickRules {
  readonly tickRate: number;
  /** Units moved per tick. */
  readonly playerStep: number;
  readonly projectileStep: number;
  readonly projectileTicks: number;
  readonly fireCooldownTicks: number;
  readonly respawnTicks: number;
  readonly shieldTicks: number;
  /** Ticks per match: matches end on the ticks that are multiples of it. */
  readonly matchTicks: number;
}

const cache = new Map<number, ArenaTickRules>();

/** The per-tick rules for `tickRate` Hz (memoized: tick rates are few). */
export function tickRules(tickRate: number): ArenaTickRules {
  let r = cache.get(tickRate);
  if (!r) {
    const ticks = (ms: number) => Math.max(1, Math.round((ms * tickRate) / 1000));
    r = {
      tickRate,
      playerStep: Math.round((PLAYER_SPEED_PX_S * UNITS_PER_PX) / tickRate),
      projectileStep: Math.round((PROJECTILE_SPEED_PX_S * UNITS_PER_PX) / tickRate),
      projectileTicks: ticks(PROJECTILE_LIFETIME_MS),
      fireCooldownTicks: ticks(FIRE_COOLDOWN_MS),
      respawnTicks: ticks(RESPAWN_MS),
      shieldTicks: ticks(SPAWN_SHIELD_MS),
      matchTicks: ticks(MATCH_MS),
    };
    cache.set(tickRate, r);
  }
  return r;
}

/** Whole seconds left in the match running at `tick` (matches end on multiples of matchTicks). */
export function matchSecondsLeft(tick: number, tickRate: number): number {
  const { matchTicks } = tickRules(tickRate);
  return Math.ceil((matchTicks - (((tick % matchTicks) + matchTicks) % matchTicks)) / tickRate);
}
