import type { StateCodec } from '../../game/game-definition';
import { plainStateCodec } from '../../game/state-codec';
import { createArenaState, type ArenaMatchLine, type ArenaPlayer, type ArenaProjectile, type ArenaState } from './arena-state';

/** What of an arena travels: the state proper, without its scratch (the player grid, the projectile pool). */
interface ArenaWire {
  tick: number;
  rng: number;
  tickRate: number;
  matchesEnded: number;
  lastMatch: ArenaMatchLine[];
  /** Positions histories included (typed arrays): lag compensation tests shots against them. */
  players: ArenaPlayer[];
  projectiles: ArenaProjectile[];
  nextProjectileId: number;
}

const plain = plainStateCodec<ArenaWire>();

/**
 * The arena's state for a room move. The state is plain data but for two things the default
 * codec would get wrong: the player grid (a class, rebuilt every step, so left out and made
 * afresh) and the rules (derived from the tick rate by `tickRules`, so only the rate travels). The pool of dead
 * projectiles is scratch and starts empty.
 */
export const arenaStateCodec: StateCodec<ArenaState> = {
  encode(s) {
    const wire: ArenaWire = {
      tick: s.tick,
      rng: s.rng,
      tickRate: s.rules.tickRate,
      matchesEnded: s.matchesEnded,
      lastMatch: s.lastMatch,
      players: s.players,
      projectiles: s.projectiles,
      nextProjectileId: s.nextProjectileId,
    };
    return plain.encode(wire);
  },
  decode(bytes) {
    const w = plain.decode(bytes);
    const s = createArenaState(w.rng, w.tickRate);
    s.tick = w.tick;
    s.rng = w.rng;
    s.matchesEnded = w.matchesEnded;
    s.lastMatch.push(...w.lastMatch);
    s.players = w.players.map((p) => ({ ...p, histX: Int32Array.from(p.histX), histY: Int32Array.from(p.histY) }));
    s.projectiles = w.projectiles;
    s.nextProjectileId = w.nextProjectileId;
    return s;
  },
};
