import type { TickInputs } from '../../game/game-definition';
import { cosQ14, sinQ14 } from '../../math/fixed-trig';
import { Button, type ArenaInput } from './arena-input';
import { movePlayer } from './arena-movement';
import { PLAYER_RADIUS, PROJECTILE_DAMAGE, PROJECTILE_RADIUS, WORLD_H, WORLD_W } from './arena-rules';
import { findPlayer, spawn, type ArenaPlayer, type ArenaProjectile, type ArenaState } from './arena-state';

/** Centre distance at which a projectile hits a player, world units. */
const HIT_DIST = PLAYER_RADIUS + PROJECTILE_RADIUS;
const HIT_DIST_SQ = HIT_DIST * HIT_DIST;

/**
 * One fixed tick of the arena, in a fixed order:
 * 1. each player, in id order: respawn timer, movement, firing;
 * 2. each projectile, in id order: move, expire, hit the first live player it overlaps (players
 *    found through a grid built once per step, not all of them per shot);
 * 3. tick + 1.
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
    if ((input.buttons & Button.Fire) !== 0 && p.cooldown === 0) fire(state, p);
  }

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
}

function fire(state: ArenaState, p: ArenaPlayer): void {
  const rules = state.rules;
  p.cooldown = rules.fireCooldownTicks;
  const cos = cosQ14(p.aim);
  const sin = sinQ14(p.aim);
  const b: ArenaProjectile = state.projectilePool.pop() ?? { id: 0, owner: 0, x: 0, y: 0, vx: 0, vy: 0, ttl: 0 };
  b.id = state.nextProjectileId;
  // Wrap within [PROJECTILE_ID_BASE, 2^31) so ids stay above player ids forever.
  state.nextProjectileId = state.nextProjectileId >= 0x7fffffff ? 0x10000 : state.nextProjectileId + 1;
  b.owner = p.id;
  // Muzzle at the player's edge, so a shot never starts inside its shooter.
  b.x = p.x + ((cos * PLAYER_RADIUS) >> 14);
  b.y = p.y + ((sin * PLAYER_RADIUS) >> 14);
  b.vx = (cos * rules.projectileStep) >> 14;
  b.vy = (sin * rules.projectileStep) >> 14;
  b.ttl = rules.projectileTicks;
  state.projectiles.push(b);
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
  let hit: ArenaPlayer | undefined;
  let hitAlong = Infinity;
  // Players within `reach` of the path's start, from the grid (cells over-approximate; the
  // exact tests below decide). Cell order is not id order, so ties go to the smaller id,
  // which is what scanning every player in id order did.
  const grid = state.playerGrid;
  const found = grid.queryBox(x0 - reach, y0 - reach, x0 + reach, y0 + reach);
  const nearby = grid.results;
  for (let n = 0; n < found; n++) {
    const p = players[nearby[n]];
    if (!p.alive || p.id === b.owner || p.shield > 0) continue;
    const qx = p.x - x0;
    const qy = p.y - y0;
    if (qx > reach || qx < -reach || qy > reach || qy < -reach) continue;
    // How far along the path the closest approach is, in units of len2 (0 = start, len2 = end).
    const dot = qx * b.vx + qy * b.vy;
    const along = dot <= 0 ? 0 : dot >= len2 ? len2 : dot;
    let near: boolean;
    if (along === 0) near = qx * qx + qy * qy <= HIT_DIST_SQ;
    else if (along === len2) near = (p.x - b.x) * (p.x - b.x) + (p.y - b.y) * (p.y - b.y) <= HIT_DIST_SQ;
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
