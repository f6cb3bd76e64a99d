import type { EntitySchema } from '../../replication/entity-schema';
import type { EntityTable } from '../../replication/entity-table';
import type { ArenaState } from './arena-state';

/** Entity kinds, the indices into {@link arenaEntitySchema}.kinds. */
export const ArenaKind = { Player: 0, Projectile: 1 } as const;

/** Player field indices. */
export const PlayerField = { X: 0, Y: 1, Aim: 2, Hp: 3, Score: 4, Flags: 5 } as const;
/** Projectile field indices. */
export const ProjectileField = { X: 0, Y: 1, Owner: 2 } as const;

/** Bits of the player `flags` field. */
export const PlayerFlag = { Alive: 1, Shielded: 2 } as const;

export const arenaEntitySchema: EntitySchema = {
  kinds: [
    {
      name: 'player',
      fields: [
        { name: 'x', type: 'u16', lerp: 'linear' },
        { name: 'y', type: 'u16', lerp: 'linear' },
        { name: 'aim', type: 'u16', lerp: 'angle16' },
        { name: 'hp', type: 'u8' },
        { name: 'score', type: 'uvarint' },
        // Alive flips at death and at respawn, where the player jumps to a spawn point.
        { name: 'flags', type: 'u8', jumpBits: PlayerFlag.Alive },
      ],
    },
    {
      name: 'projectile',
      fields: [
        { name: 'x', type: 'u16', lerp: 'linear' },
        { name: 'y', type: 'u16', lerp: 'linear' },
        { name: 'owner', type: 'uvarint' },
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
