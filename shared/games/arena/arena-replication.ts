import type { EntitySchema } from '../../replication/entity-schema';
import type { EntityTable } from '../../replication/entity-table';
import { MAX_HP, WORLD_H, WORLD_W } from './arena-rules';
import type { ArenaState } from './arena-state';

/** Entity kinds, the indices into {@link arenaEntitySchema}.kinds. */
export const ArenaKind = { Player: 0, Projectile: 1 } as const;

/** Player field indices. */
export const PlayerField = { X: 0, Y: 1, Aim: 2, Hp: 3, Score: 4, Flags: 5 } as const;
/** Projectile field indices. */
export const ProjectileField = { X: 0, Y: 1, Owner: 2 } as const;

/** Player field indices in the SDK's `globals` table (the `everyone` fields only). */
export const ArenaGlobalField = { Score: 0 } as const;

/** Bits of the player `flags` field. */
export const PlayerFlag = { Alive: 1, Shielded: 2 } as const;

/**
 * What the arena replicates, with each field's range and precision: the codec derives the wire
 * widths from these and refuses values outside them. Positions are exact (14 and 13 bits), the
 * aim takes 10 bits: 0.35° steps, a quarter pixel at the end of the demo's 40 px aim line.
 */
export const arenaEntitySchema: EntitySchema = {
  kinds: [
    {
      name: 'player',
      fields: [
        { name: 'x', min: 0, max: WORLD_W, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: WORLD_H, lerp: 'linear', role: 'y' },
        { name: 'aim', min: 0, max: 0xffff, bits: 10, lerp: 'angle16' },
        { name: 'hp', min: 0, max: MAX_HP },
        // Everyone's score feeds the scoreboard, whatever is in view; it moves by one.
        { name: 'score', min: 0, max: 0x7fffffff, deltaOrder: 0, everyone: true },
        // Alive flips at death and at respawn, where the player jumps to a spawn point.
        { name: 'flags', min: 0, max: PlayerFlag.Alive | PlayerFlag.Shielded, jumpBits: PlayerFlag.Alive },
      ],
    },
    {
      name: 'projectile',
      fields: [
        { name: 'x', min: 0, max: WORLD_W, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: WORLD_H, lerp: 'linear', role: 'y' },
        { name: 'owner', min: 0, max: 0xffff },
      ],
    },
  ],
};

/** Players (ascending ids), then projectiles (ascending ids, all above player ids). */
export function writeArenaEntities(state: ArenaState, out: EntityTable): void {
  for (let i = 0; i < state.players.length; i++) {
    const p = state.players[i];
    const r = out.push(p.id, ArenaKind.Player);
    out.set(r, PlayerField.X, p.x);
    out.set(r, PlayerField.Y, p.y);
    out.set(r, PlayerField.Aim, p.aim);
    out.set(r, PlayerField.Hp, p.hp);
    out.set(r, PlayerField.Score, p.score);
    out.set(r, PlayerField.Flags, (p.alive ? PlayerFlag.Alive : 0) | (p.shield > 0 ? PlayerFlag.Shielded : 0));
  }
  for (let i = 0; i < state.projectiles.length; i++) {
    const b = state.projectiles[i];
    const r = out.push(b.id, ArenaKind.Projectile);
    out.set(r, ProjectileField.X, b.x);
    out.set(r, ProjectileField.Y, b.y);
    out.set(r, ProjectileField.Owner, b.owner);
  }
}
