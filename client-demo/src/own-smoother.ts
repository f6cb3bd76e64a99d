import type { Mover } from '../../shared/games/arena/arena-movement';

/** A correction larger than this is a teleport (e.g. a respawn), shown at once, world units (48 px). */
const SNAP_UNITS = 48 * 8;
/** Time constant of the correction fade-out, ms: ~95 % of an error is gone after 3τ. */
const CORRECTION_TAU_MS = 60;

/**
 * Where to draw the local player. Two separate effects are smoothed differently:
 *
 * - its own movement, which advances in whole ticks: drawn between the positions before and after
 *   the latest tick (`alpha` of the fixed-step loop), so 30 Hz movement looks smooth at 60+ fps;
 * - corrections, where reconciliation moved the prediction without a local input: the jump is
 *   kept as an offset that fades out, so a misprediction glides instead of popping.
 *
 * ```
 * predicted:  prev ──tick──► cur         (moved by our own input: drawn with alpha)
 * correction:               cur ⇢ cur+δ  (moved by a snapshot: offset −δ, fading to 0)
 * ```
 */
export class OwnSmoother {
  /** The position to draw, world units (valid while `visible`). */
  x = 0;
  y = 0;
  visible = false;
  private prevX = 0;
  private prevY = 0;
  private curX = 0;
  private curY = 0;
  private offX = 0;
  private offY = 0;

  /** Call just before a local step: folds in any correction that arrived since the last look. */
  beforeStep(p: Mover | undefined): void {
    this.observe(p);
  }

  /** Call right after a local step: the move from `cur` to `p` is the player's own. */
  afterStep(p: Mover | undefined): void {
    if (!p || !this.visible) return this.observe(p);
    this.prevX = this.curX;
    this.prevY = this.curY;
    this.curX = p.x;
    this.curY = p.y;
  }

  /** Compute `x`, `y` for a frame `dtMs` after the previous one, `alpha` (0..1) into the current tick. */
  update(p: Mover | undefined, alpha: number, dtMs: number): void {
    this.observe(p);
    if (!this.visible) return;
    const keep = Math.exp(-Math.max(0, dtMs) / CORRECTION_TAU_MS);
    this.offX *= keep;
    this.offY *= keep;
    this.x = this.prevX + (this.curX - this.prevX) * alpha + this.offX;
    this.y = this.prevY + (this.curY - this.prevY) * alpha + this.offY;
  }

  private observe(p: Mover | undefined): void {
    if (!p) {
      this.visible = false;
      return;
    }
    if (!this.visible) {
      this.visible = true;
      this.reset(p);
      return;
    }
    const dx = p.x - this.curX;
    const dy = p.y - this.curY;
    if (dx === 0 && dy === 0) return;
    if (Math.abs(dx) > SNAP_UNITS || Math.abs(dy) > SNAP_UNITS) {
      this.reset(p);
      return;
    }
    // Shift the whole segment by the correction and hide the jump behind an equal, fading offset.
    this.prevX += dx;
    this.prevY += dy;
    this.curX = p.x;
    this.curY = p.y;
    this.offX -= dx;
    this.offY -= dy;
  }

  private reset(p: Mover): void {
    this.prevX = this.curX = this.x = p.x;
    this.prevY = this.curY = this.y = p.y;
    this.offX = this.offY = 0;
  }
}
