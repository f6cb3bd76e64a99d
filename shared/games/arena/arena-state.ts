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
  /**
   * Where the player was at the end of each of the last {@link HISTORY_TICKS} ticks (index
   * tick % HISTORY_TICKS), for lag compensation: shots are tested against where the shooter
   * saw their target. Derived from the positions, so not hashed.
   */
  readonly histX: Int32Array;
  readonly histY: Int32Array;
  /** The first tick in the history (the player's first tick in the room). */
  histFrom: number;
}

/** Ticks of position history each player keeps: a second at the highest tick rate (128 Hz), the most a shot rewinds. */
export const HISTORY_TICKS = 128;

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
  /** How far back its targets are tested, 1/16 ticks: what its shooter saw (lag compensation). */
  rewind16: number;
}

/** Projectile ids start above every player id, so ids stay ascending in the entity table. */
export const PROJECTILE_ID_BASE = 0x10000;

/** One player's line of a finished match. */
export interface ArenaMatchLine {
  id: number;
  score: number;
  deaths: number;
}

export interface ArenaState extends RngState {
  tick: number;
  /** Matches ended since the room began (one every `rules.matchTicks` ticks). */
  matchesEnded: number;
  /**
   * The newest finished match: each player's score and deaths at its end, in id order (objects
   * reused from match to match). Derived from the state before the reset, so not hashed.
   */
  readonly lastMatch: ArenaMatchLine[];
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
    matchesEnded: 0,
    lastMatch: [],
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
  // A new life: the places it was before are not where it could be hit (spawn runs inside the
  // step that ends at tick + 1).
  p.histFrom = state.tick + 1;
}

export function addArenaPlayer(state: ArenaState, id: number, name: string): void {
  if (findPlayer(state, id)) throw new Error(`player ${id} is already in the arena`);
  const p: ArenaPlayer = {
    id,
    name,
    x: 0,
    y: 0,
    aim: 0,
    hp: 0,
    score: 0,
    deaths: 0,
    alive: false,
    cooldown: 0,
    respawnIn: 0,
    shield: 0,
    histX: new Int32Array(HISTORY_TICKS),
    histY: new Int32Array(HISTORY_TICKS),
    histFrom: state.tick,
  };
  spawn(state, p);
  p.histFrom = state.tick;
  recordPosition(p, state.tick);
  let i = state.players.length;
  while (i > 0 && state.players[i - 1].id > id) i--;
  state.players.splice(i, 0, p);
}

/** Note where `p` is at the end of `tick`. */
export function recordPosition(p: ArenaPlayer, tick: number): void {
  const i = tick % HISTORY_TICKS;
  p.histX[i] = p.x;
  p.histY[i] = p.y;
}

/**
 * Where `p` was at tick `at16` / 16 (fractional: lag compensation tests against the
 * interpolated positions a client drew), written into `out`. `now` is the newest tick in the
 * history; times before the player's first tick or more than the history back give the oldest
 * position held. Integer arithmetic only, so it is the same everywhere.
 */
export function positionAt(p: ArenaPlayer, at16: number, now: number, out: { x: number; y: number }): void {
  const oldest = Math.max(p.histFrom, now - HISTORY_TICKS + 1);
  let a = at16 >> 4;
  let f = at16 & 15;
  if (a < oldest) {
    a = oldest;
    f = 0;
  }
  if (a >= now) {
    out.x = p.histX[now % HISTORY_TICKS];
    out.y = p.histY[now % HISTORY_TICKS];
    return;
  }
  const ia = a % HISTORY_TICKS;
  const ib = (a + 1) % HISTORY_TICKS;
  out.x = p.histX[ia] + (((p.histX[ib] - p.histX[ia]) * f) >> 4);
  out.y = p.histY[ia] + (((p.histY[ib] - p.histY[ia]) * f) >> 4);
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
