import type { GameDefinition, Predictor } from '../../game/game-definition';
import { FNV_OFFSET, hashInt } from '../../math/state-hash';
import { arenaInputCodec, type ArenaInput } from './arena-input';
import { movePlayer, type Mover } from './arena-movement';
import { arenaEntitySchema, PlayerField, PlayerFlag, writeArenaEntities } from './arena-replication';
import { tickRules } from './arena-rules';
import { arenaStateCodec } from './arena-state-codec';
import { addArenaPlayer, createArenaState, removeArenaPlayer, type ArenaState } from './arena-state';
import { stepArena } from './arena-step';

/** Hash every field of every player and projectile, in order, with the tick and PRNG state. */
export function hashArena(s: ArenaState): number {
  let h = hashInt(hashInt(FNV_OFFSET, s.tick), s.rng);
  for (const p of s.players) {
    h = hashInt(h, p.id);
    h = hashInt(h, p.x);
    h = hashInt(h, p.y);
    h = hashInt(h, p.aim);
    h = hashInt(h, p.hp);
    h = hashInt(h, p.score);
    h = hashInt(h, p.deaths);
    h = hashInt(h, (p.alive ? 1 : 0) | (p.cooldown << 1));
    h = hashInt(h, p.respawnIn);
    h = hashInt(h, p.shield);
  }
  for (const b of s.projectiles) {
    h = hashInt(h, b.id);
    h = hashInt(h, b.owner);
    h = hashInt(h, b.x);
    h = hashInt(h, b.y);
    h = hashInt(h, b.vx);
    h = hashInt(h, b.vy);
    h = hashInt(h, b.ttl);
    h = hashInt(h, b.rewind16);
  }
  return hashInt(h, s.nextProjectileId);
}

/** Local-player prediction: movement only (shots are server entities, never predicted). */
export const arenaPredictor: Predictor<Mover, ArenaInput> = {
  create: () => ({ x: 0, y: 0, aim: 0, alive: false }),
  reset(table, row, out) {
    out.x = table.get(row, PlayerField.X);
    out.y = table.get(row, PlayerField.Y);
    out.aim = table.get(row, PlayerField.Aim);
    out.alive = (table.get(row, PlayerField.Flags) & PlayerFlag.Alive) !== 0;
  },
  step(p, input, setup) {
    movePlayer(p, input, tickRules(setup.tickRate).playerStep);
  },
  copy(from, to) {
    to.x = from.x;
    to.y = from.y;
    to.aim = from.aim;
    to.alive = from.alive;
  },
  equals: (a, b) => a.x === b.x && a.y === b.y && a.alive === b.alive,
  distance: (a, b) => Math.hypot(a.x - b.x, a.y - b.y),
};

/** The arena: a top-down shooter. Move with WASD, aim with the mouse, shoot, respawn, score. */
export const arenaGame: GameDefinition<ArenaState, ArenaInput, Mover> = {
  name: 'arena',
  entitySchema: arenaEntitySchema,
  input: arenaInputCodec,
  createState: (setup) => createArenaState(setup.seed, setup.tickRate),
  addPlayer: addArenaPlayer,
  removePlayer: removeArenaPlayer,
  step: stepArena,
  tickOf: (s) => s.tick,
  writeEntities: writeArenaEntities,
  hash: hashArena,
  predictor: arenaPredictor,
  stateCodec: arenaStateCodec,
};
