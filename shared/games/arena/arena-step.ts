import type { TickInputs } from '../../game/game-definition';
import { cosQ14, sinQ14 } from '../../math/fixed-trig';
import { Button, type ArenaInput } from './arena-input';
import { movePlayer } from './arena-movement';
import { PLAYER_RADIUS, PROJECTILE_DAMAGE, PROJECTILE_RADIUS, WORLD_H, WORLD_W, type ArenaTickRules } from './arena-rules';
import {
  findPlayer,
  HISTORY_TICKS,
  positionAt,
  recordPosition,
  spawn,
  type ArenaPlayer,
  type ArenaProjectile,
  type ArenaState,
} from './arena-state';

/** Scratch for rewound positions (the step is single-threaded and allocation-free). */
const scratchPosition = { x: 0, y: 0 };

/** Centre distance at which a projectile hits a player, world units. */
const HIT_DIST = PLAYER_RADIUS + PROJECTILE_RADIUS;
const HIT_DIST_SQ = HIT_DIST * HIT_DIST;

/**
 * One fixed tick of the arena, in a fixed order:
 * 1. each player, in id order: respawn timer, movement, firing; then every position is noted
 *    in the players' history;
 * 2. each projectile, in id order: move, expire, hit the first live player it overlaps (players
 *    found through a grid built once per step, not all of them per shot), each player where
 *    the shooter saw it when it fired: its position `rewind` ticks ago (lag compensation);
 * 3. tick + 1; on a multiple of `rules.matchTicks` the match ends: scores and deaths are noted
 *    in `lastMatch` and start again from 0.
 * Integer math and in-place updates only: no allocation once the projectile pool has warmed up.
 */
export function stepArena(state: ArenaState, inputs: TickInputs<ArenaInput>): void {
  const rules = state.rules;
  for (let i = 0; i < state.players.length; i++) {
    const p = state.players[i];
    if (!p.alive) {
      if (--p.respawnIn <= 0) spawn(state, p);
      continue;
    }
    if (p.cooldown > 0) p.cooldown--;
    if (p.shield > 0) p.shield--;
    const input = inputs.get(p.id);
    if (input === undefined) continue;
    movePlayer(p, input, rules.playerStep);
    if ((input.buttons & Button.Fire) !== 0 && p.cooldown === 0) fire(state, p, inputs.rewindTicks ? inputs.rewindTicks(p.id) : 0);
  }
  const next = state.tick + 1;
  for (let i = 0; i < state.players.length; i++) recordPosition(state.players[i], next);

  // Index the players by position once; shots look up only the cells along their path.
  const grid = state.playerGrid;
  grid.clear();
  for (let i = 0; i < state.players.length; i++) grid.insert(i, state.players[i].x, state.players[i].y);
  grid.build();

  const ps = state.projectiles;
  let keep = 0;
  for (let i = 0; i < ps.length; i++) {
    const b = ps[i];
    b.x += b.vx;
    b.y += b.vy;
    const dead = --b.ttl <= 0 || b.x < 0 || b.y < 0 || b.x > WORLD_W || b.y > WORLD_H || hitSomeone(state, b);
    if (dead) state.projectilePool.push(b);
    else ps[keep++] = b;
  }
  ps.length = keep;
  state.tick++;
  if (state.tick % rules.matchTicks === 0) endMatch(state);
}

/** Most a shot rewinds, 1/16 ticks: what the position history holds, less a tick of margin. */
const MAX_REWIND16 = (HISTORY_TICKS - 2) * 16;

function fire(state: ArenaState, p: ArenaPlayer, rewindTicks: number): void {
  const rules = state.rules;
  p.cooldown = rules.fireCooldownTicks;
  const b: ArenaProjectile = state.projectilePool.pop() ?? { id: 0, owner: 0, x: 0, y: 0, vx: 0, vy: 0, ttl: 0, rewind16: 0 };
  b.rewind16 = Math.max(0, Math.min(MAX_REWIND16, Math.round(rewindTicks * 16)));
  b.id = state.nextProjectileId;
  // Wrap within [PROJECTILE_ID_BASE, 2^31) so ids stay above player ids forever.
  state.nextProjectileId = state.nextProjectileId >= 0x7fffffff ? 0x10000 : state.nextProjectileId + 1;
  b.owner = p.id;
  launch(b, p.x, p.y, p.aim, rules);
  state.projectiles.push(b);
}

/**
 * Where a shot from a player at (x, y) aiming `aim` starts and how it flies: the muzzle at the
 * player's edge (so a shot never starts inside its shooter), the speed along the aim, the
 * lifetime. The one definition, shared with the client's prediction of its own shots.
 */
export function launch(
  b: { x: number; y: number; vx: number; vy: number; ttl: number },
  x: number,
  y: number,
  aim: number,
  rules: ArenaTickRules,
): void {
  const cos = cosQ14(aim);
  const sin = sinQ14(aim);
  b.x = x + ((cos * PLAYER_RADIUS) >> 14);
  b.y = y + ((sin * PLAYER_RADIUS) >> 14);
  b.vx = (cos * rules.projectileStep) >> 14;
  b.vy = (sin * rules.projectileStep) >> 14;
  b.ttl = rules.projectileTicks;
}

/**
 * The first player the projectile's path this tick passes within hit distance of: the whole
 * segment from its last position, not only where it lands, so a fast shot at a low tick rate
 * (576 units a tick at 10 Hz against a 320-unit hit diameter) cannot jump over a player.
 * Integer arithmetic only, with every product far below 2^53, so it is exact everywhere.
 */
function hitSomeone(state: ArenaState, b: ArenaProjectile): boolean {
  const players = state.players;
  const x0 = b.x - b.vx;
  const y0 = b.y - b.vy;
  const len2 = b.vx * b.vx + b.vy * b.vy;
  const reach = HIT_DIST + Math.abs(b.vx) + Math.abs(b.vy);
  // Rewound, a player may have been up to this far from where the grid has it now.
  const rewound = b.rewind16 > 0;
  const moved = rewound ? ((b.rewind16 + 15) >> 4) * state.rules.playerStep : 0;
  const at16 = (state.tick + 1) * 16 - b.rewind16;
  const then = scratchPosition;
  let hit: ArenaPlayer | undefined;
  let hitAlong = Infinity;
  // Players within `reach` of the path's start, from the grid (cells over-approximate; the
  // exact tests below decide). Cell order is not id order, so ties go to the smaller id,
  // which is what scanning every player in id order did.
  const grid = state.playerGrid;
  const found = grid.queryBox(x0 - reach - moved, y0 - reach - moved, x0 + reach + moved, y0 + reach + moved);
  const nearby = grid.results;
  for (let n = 0; n < found; n++) {
    const p = players[nearby[n]];
    if (!p.alive || p.id === b.owner || p.shield > 0) continue;
    let px = p.x;
    let py = p.y;
    if (rewound) {
      positionAt(p, at16, state.tick + 1, then);
      px = then.x;
      py = then.y;
    }
    const qx = px - x0;
    const qy = py - y0;
    if (qx > reach || qx < -reach || qy > reach || qy < -reach) continue;
    // How far along the path the closest approach is, in units of len2 (0 = start, len2 = end).
    const dot = qx * b.vx + qy * b.vy;
    const along = dot <= 0 ? 0 : dot >= len2 ? len2 : dot;
    let near: boolean;
    if (along === 0) near = qx * qx + qy * qy <= HIT_DIST_SQ;
    else if (along === len2) near = (px - b.x) * (px - b.x) + (py - b.y) * (py - b.y) <= HIT_DIST_SQ;
    else {
      const cross = b.vx * qy - b.vy * qx; // distance to the path × its length
      near = cross * cross <= HIT_DIST_SQ * len2;
    }
    if (near && (along < hitAlong || (along === hitAlong && p.id < hit!.id))) {
      hit = p;
      hitAlong = along;
    }
  }
  if (!hit) return false;
  hit.hp -= PROJECTILE_DAMAGE;
  if (hit.hp <= 0) {
    hit.hp = 0;
    hit.alive = false;
    hit.deaths++;
    hit.respawnIn = state.rules.respawnTicks;
    const shooter = findPlayer(state, b.owner);
    if (shooter) shooter.score++;
  }
  return true;
}

/** Note every player's line in `lastMatch`, then zero the scores for the next match. */
function endMatch(state: ArenaState): void {
  const lines = state.lastMatch;
  lines.length = state.players.length;
  for (let i = 0; i < state.players.length; i++) {
    const p = state.players[i];
    const line = (lines[i] ??= { id: 0, score: 0, deaths: 0 });
    line.id = p.id;
    line.score = p.score;
    line.deaths = p.deaths;
    p.score = 0;
    p.deaths = 0;
  }
  state.matchesEnded++;
}
