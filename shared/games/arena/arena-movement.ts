import { Button, type ArenaInput } from './arena-input';
import { DIAGONAL_Q8, PLAYER_RADIUS, WORLD_H, WORLD_W } from './arena-rules';

/** The part of a player that movement reads and writes: shared by the server step and prediction. */
export interface Mover {
  x: number;
  y: number;
  aim: number;
  alive: boolean;
}

/**
 * Move one player by one tick of input: 8 directions at `speed` units per tick, clamped to the
 * arena walls. The single source of truth for movement, so prediction matches the server exactly.
 */
export function movePlayer(p: Mover, input: ArenaInput, speed: number): void {
  p.aim = input.aim & 0xffff;
  if (!p.alive) return;
  const b = input.buttons;
  const dx = ((b & Button.Right) !== 0 ? 1 : 0) - ((b & Button.Left) !== 0 ? 1 : 0);
  const dy = ((b & Button.Down) !== 0 ? 1 : 0) - ((b & Button.Up) !== 0 ? 1 : 0);
  if (dx === 0 && dy === 0) return;
  let step = speed;
  if (dx !== 0 && dy !== 0) step = (speed * DIAGONAL_Q8) >> 8;
  p.x = clamp(p.x + dx * step, PLAYER_RADIUS, WORLD_W - PLAYER_RADIUS);
  p.y = clamp(p.y + dy * step, PLAYER_RADIUS, WORLD_H - PLAYER_RADIUS);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
