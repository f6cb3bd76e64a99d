import { ArenaKind, PlayerField, PlayerFlag, ProjectileField } from '../../shared/games/arena/arena-replication';
import {
  MAX_HP,
  PLAYER_RADIUS,
  PROJECTILE_RADIUS,
  UNITS_PER_PX,
  WORLD_HEIGHT_PX,
  WORLD_WIDTH_PX,
} from '../../shared/games/arena/arena-rules';
import { angle16ToRadians } from '../../shared/math/fixed-trig';
import type { EntityTable } from '../../shared/replication/entity-table';
import type { InterpolatedView } from '../../src/sdk/snapshot-buffer';
import * as C from './palette';

const NONE: readonly number[] = [];

/** Sizes in world px (the renderer draws in world px; the canvas transform scales to the screen). */
const R = PLAYER_RADIUS / UNITS_PER_PX;
// Drawn a little larger than the hit radius (4 px) so shots stay visible when the arena is scaled down.
const SHOT_R = PROJECTILE_RADIUS / UNITS_PER_PX + 1.5;
const GRID_PX = 100;
const HP_W = 40;
const HP_H = 5;
const AIM_FROM = R + 3;
const AIM_TO = R + 16;
const NAME_FONT = 'bold 17px ui-monospace, Menlo, Consolas, monospace';
const TAU = 2 * Math.PI;

/** What the renderer needs about the local player this frame. */
/** The local player's predicted shots for a frame: positions (x, y pairs, world units). */
export interface OwnShotsFrame {
  /** True when the own shots are predicted: the server's copies of them are not drawn. */
  predicted: boolean;
  count: number;
  xy: Float64Array;
}

const NO_SHOTS: OwnShotsFrame = { predicted: false, count: 0, xy: new Float64Array(0) };

export interface OwnPlayerFrame {
  /** Player id (0 before joining). */
  id: number;
  /** Whether to draw it at all (it is in a snapshot). */
  visible: boolean;
  /** Smoothed position, world units. */
  x: number;
  y: number;
  alive: boolean;
  /** The aim being sent, u16 angle: drawn from input so it turns without latency. */
  aim: number;
  name: string;
}

/**
 * Draws one frame of the arena on a 2D canvas: floor and grid, projectiles, remote players from
 * the interpolated view, then the local player on top. Reads typed arrays and cached strings only,
 * so a frame allocates nothing.
 */
export class ArenaRenderer {
  /** Players drawn in the last frame (live or ghost, the local one included). */
  playersDrawn = 0;
  /** Projectiles drawn in the last frame. */
  projectilesDrawn = 0;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('this browser has no 2D canvas');
    this.ctx = ctx;
  }

  /**
   * @param devicePerWorldPx canvas pixels per world px (see Viewport)
   * @param view remote entities, interpolated (the local player's row is skipped)
   * @param latest the newest snapshot, for the local player's hp and shield
   * @param names player id → display name
   * @param detached ids of players whose link is down (seat held): drawn faded, marked "reconnecting"
   */
  draw(
    devicePerWorldPx: number,
    view: InterpolatedView,
    latest: EntityTable,
    names: ReadonlyMap<number, string>,
    own: OwnPlayerFrame,
    detached: readonly number[] = NONE,
    ownShots: OwnShotsFrame = NO_SHOTS,
  ): void {
    const ctx = this.ctx;
    ctx.setTransform(devicePerWorldPx, 0, 0, devicePerWorldPx, 0, 0);
    this.drawFloor();
    this.playersDrawn = 0;
    this.projectilesDrawn = 0;

    // The own shots come from prediction, drawn at the present like the own player.
    ctx.fillStyle = C.OWN_PLAYER_COLOR;
    for (let i = 0; i < ownShots.count; i++) {
      ctx.beginPath();
      ctx.arc(ownShots.xy[i * 2] / UNITS_PER_PX, ownShots.xy[i * 2 + 1] / UNITS_PER_PX, SHOT_R, 0, TAU);
      ctx.fill();
      this.projectilesDrawn++;
    }
    for (let r = 0; r < view.count; r++) {
      if (view.kinds[r] !== ArenaKind.Projectile) continue;
      if (ownShots.predicted && view.get(r, ProjectileField.Owner) === own.id) continue;
      ctx.fillStyle = C.playerColor(view.get(r, ProjectileField.Owner), own.id);
      ctx.beginPath();
      ctx.arc(view.get(r, ProjectileField.X) / UNITS_PER_PX, view.get(r, ProjectileField.Y) / UNITS_PER_PX, SHOT_R, 0, TAU);
      ctx.fill();
      this.projectilesDrawn++;
    }

    ctx.font = NAME_FONT;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    for (let r = 0; r < view.count; r++) {
      const id = view.ids[r];
      if (view.kinds[r] !== ArenaKind.Player || id === own.id) continue;
      this.drawPlayer(
        view.get(r, PlayerField.X) / UNITS_PER_PX,
        view.get(r, PlayerField.Y) / UNITS_PER_PX,
        view.get(r, PlayerField.Aim),
        view.get(r, PlayerField.Hp),
        view.get(r, PlayerField.Flags),
        C.playerColor(id, own.id),
        names.get(id) ?? '?',
        detached.length > 0 && detached.includes(id),
      );
    }

    if (own.visible) {
      const row = latest.indexOf(own.id);
      const hp = row >= 0 ? latest.get(row, PlayerField.Hp) : MAX_HP;
      // Alive comes from the prediction (same as the position); the shield only from the server.
      const shield = row >= 0 ? latest.get(row, PlayerField.Flags) & PlayerFlag.Shielded : 0;
      const flags = (own.alive ? PlayerFlag.Alive : 0) | shield;
      this.drawPlayer(own.x / UNITS_PER_PX, own.y / UNITS_PER_PX, own.aim, hp, flags, C.OWN_PLAYER_COLOR, own.name);
    }
  }

  private drawFloor(): void {
    const ctx = this.ctx;
    ctx.fillStyle = C.ARENA_FLOOR;
    ctx.fillRect(0, 0, WORLD_WIDTH_PX, WORLD_HEIGHT_PX);
    ctx.strokeStyle = C.ARENA_GRID;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let x = GRID_PX; x < WORLD_WIDTH_PX; x += GRID_PX) {
      ctx.moveTo(x, 0);
      ctx.lineTo(x, WORLD_HEIGHT_PX);
    }
    for (let y = GRID_PX; y < WORLD_HEIGHT_PX; y += GRID_PX) {
      ctx.moveTo(0, y);
      ctx.lineTo(WORLD_WIDTH_PX, y);
    }
    ctx.stroke();
    ctx.strokeStyle = C.ARENA_WALL;
    ctx.lineWidth = 6;
    ctx.strokeRect(3, 3, WORLD_WIDTH_PX - 6, WORLD_HEIGHT_PX - 6);
  }

  /**
   * One player at (x, y) world px. Dead players are a faint ghost marked "respawning"; a player
   * whose link dropped is drawn half faded and marked "reconnecting…" until it resumes or leaves.
   */
  private drawPlayer(x: number, y: number, aim: number, hp: number, flags: number, color: string, name: string, detached = false): void {
    const ctx = this.ctx;
    this.playersDrawn++;
    if (detached && (flags & PlayerFlag.Alive) !== 0) {
      ctx.globalAlpha = 0.45;
      this.drawPlayer(x, y, aim, hp, flags, color, name);
      ctx.globalAlpha = 1;
      this.playersDrawn--;
      ctx.fillStyle = C.GHOST_INK;
      ctx.fillText('reconnecting…', x, y + R + 16);
      return;
    }
    if ((flags & PlayerFlag.Alive) === 0) {
      ctx.globalAlpha = 0.22;
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(x, y, R, 0, TAU);
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.fillStyle = C.GHOST_INK;
      ctx.fillText(name, x, y - R - 8);
      ctx.fillText('respawning', x, y + 6);
      return;
    }

    const a = angle16ToRadians(aim);
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    ctx.strokeStyle = color;
    ctx.lineWidth = 4;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(x + cos * AIM_FROM, y + sin * AIM_FROM);
    ctx.lineTo(x + cos * AIM_TO, y + sin * AIM_TO);
    ctx.stroke();

    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, R, 0, TAU);
    ctx.fill();
    ctx.strokeStyle = C.OUTLINE;
    ctx.lineWidth = 2;
    ctx.stroke();

    if ((flags & PlayerFlag.Shielded) !== 0) {
      ctx.strokeStyle = C.SHIELD_RING;
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.arc(x, y, R + 6, 0, TAU);
      ctx.stroke();
    }

    const top = y - R - 12;
    ctx.fillStyle = C.HP_BACK;
    ctx.fillRect(x - HP_W / 2 - 1, top - 1, HP_W + 2, HP_H + 2);
    ctx.fillStyle = hp > MAX_HP / 3 ? C.HP_GOOD : C.HP_LOW;
    ctx.fillRect(x - HP_W / 2, top, (HP_W * Math.max(0, Math.min(hp, MAX_HP))) / MAX_HP, HP_H);

    ctx.fillStyle = C.NAME_INK;
    ctx.fillText(name, x, top - 6);
  }
}
