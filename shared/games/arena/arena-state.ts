import { nextInt, type RngState } from '../../math/prng';
import { UniformGrid } from '../../spatial/uniform-grid';
import { PLAYER_RADIUS, WORLD_H, WORLD_W, MAX_HP, tickRules, type ArenaTickRules } from './arena-rules';

export interface ArenaPlayer {
  /** Player id, also the entity id (1..65535). */
  id: number;
  name: string;
  /** Position, world units. */
  x: number;
  y: number;
  /** Last aim, u16 angle. */
  aim: number;
  hp: number;
  score: number;
  deaths: number;
  alive: boolean;
  /** Ticks until the next shot is allowed. */
  cooldown: number;
  /** Ticks until respawn (while dead). */
  respawnIn: number;
  /** Ticks of spawn protection left. */
  shield: number;
}

export interface ArenaProjectile {
  /** Entity id, ≥ {@link PROJECTILE_ID_BASE}. */
  id: number;
  owner: number;
  x: number;
  y: number;
  /** Velocity, units per tick. */
  vx: number;
  vy: number;
  /** Ticks left to live. */
  ttl: number;
}

/** Projectile ids start above every player id, so ids stay ascending in the entity table. */
export const PROJECTILE_ID_BASE = 0x10000;

export interface ArenaState extends RngState {
  tick: number;
  readonly rules: ArenaTickRules;
  /** Sorted by id, so iteration order (and so the step) is deterministic. */
  players: ArenaPlayer[];
  /** Live projectiles in creation (= id) order. */
  projectiles: ArenaProjectile[];
  /** Dead projectile objects, reused so steady-state firing allocates nothing. */
  projectilePool: ArenaProjectile[];
  nextProjectileId: number;
  /**
   * Scratch, not state: the players by position, rebuilt each step before shots move, so a
   * shot tests only the players near its path. Not hashed, not replayed.
   */
  readonly playerGrid: UniformGrid;
}

/**
 * Edge of a player-grid cell, world units: about a shot's reach in one tick at 30 Hz (a 192-unit
 * step plus the 160-unit hit distance each side), so a shot's query touches about four cells.
 */
export const PLAYER_GRID_CELL = 512;

export function createArenaState(seed: number, tickRate: number): ArenaState {
  return {
    tick: 0,
    rng: seed | 0,
    rules: tickRules(tickRate),
    players: [],
    projectiles: [],
    projectilePool: [],
    nextProjectileId: PROJECTILE_ID_BASE,
    playerGrid: new UniformGrid({ width: WORLD_W, height: WORLD_H, cellSize: PLAYER_GRID_CELL }),
  };
}

/** Place `p` at a random free-ish spot from the state's PRNG, full health, shielded. */
export function spawn(state: ArenaState, p: ArenaPlayer): void {
  p.x = PLAYER_RADIUS + nextInt(state, WORLD_W - 2 * PLAYER_RADIUS);
  p.y = PLAYER_RADIUS + nextInt(state, WORLD_H - 2 * PLAYER_RADIUS);
  p.hp = MAX_HP;
  p.alive = true;
  p.cooldown = 0;
  p.respawnIn = 0;
  p.shield = state.rules.shieldTicks;
}

export function addArenaPlayer(state: ArenaState, id: number, name: string): void {
  if (findPlayer(state, id)) throw new Error(`player ${id} is already in the arena`);
  const p: ArenaPlayer = { id, name, x: 0, y: 0, aim: 0, hp: 0, score: 0, deaths: 0, alive: false, cooldown: 0, respawnIn: 0, shield: 0 };
  spawn(state, p);
  let i = state.players.length;
  while (i > 0 && state.players[i - 1].id > id) i--;
  state.players.splice(i, 0, p);
}

export function removeArenaPlayer(state: ArenaState, id: number): void {
  const i = state.players.findIndex((p) => p.id === id);
  if (i >= 0) state.players.splice(i, 1);
}

export function findPlayer(state: ArenaState, id: number): ArenaPlayer | undefined {
  // Binary search: players are sorted by id.
  const ps = state.players;
  let lo = 0;
  let hi = ps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const pid = ps[mid].id;
    if (pid === id) return ps[mid];
    if (pid < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
