import type { EntityTable } from '../../replication/entity-table';
import { Button, type ArenaInput } from './arena-input';
import type { Mover } from './arena-movement';
import { ArenaKind, ProjectileField } from './arena-replication';
import { tickRules, type ArenaTickRules } from './arena-rules';
import { launch } from './arena-step';

/** A shot the local player fired, drawn before the server confirms it. */
export interface PredictedShot {
  /** The input tick that fired it: it left the muzzle in that tick's step. */
  tick: number;
  /** Muzzle position and velocity per tick, world units (the server's own `launch`). */
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Ticks it lives. */
  ttl: number;
  /** The server's projectile id once confirmed (0 until then). */
  serverId: number;
}

/**
 * The local player's own shots, predicted: a shot appears the moment the fire input is sent
 * (no round trip), flying exactly as the server will fly it, and is drawn at the present (the
 * input clock's time, like the own player) rather than in the interpolated past like everyone
 * else's. Each snapshot reconciles: the server's new projectiles of this player confirm the
 * predicted ones in order; a predicted shot whose input tick the server has used without
 * firing (a cooldown or death the client did not foresee, a late input) is withdrawn.
 *
 * ```ts
 * const seq = client.sendInput(input);
 * shots.fired(seq, input, client.predicted);          // after each input
 * client.on('snapshot', (_t, ackSeq) => shots.reconcile(client.latest, client.playerId, ackSeq));
 * shots.positionAt(shot, client.lastInputTick - 1 + client.tickSync.phase(now), out) // where to draw it
 * ```
 */
export class ArenaShotPredictor {
  /** Shots in flight, oldest first. */
  readonly shots: PredictedShot[] = [];
  /** Predicted shots the server confirmed, and ones it did not fire. */
  confirmed = 0;
  rejected = 0;
  private readonly rules: ArenaTickRules;
  /** The input tick of the last predicted shot: the cooldown runs from it. */
  private lastFired = -Infinity;
  /** The newest server projectile id of ours seen: newer ones are new shots. */
  private newestServerId = 0;
  private readonly pool: PredictedShot[] = [];

  constructor(tickRate: number) {
    this.rules = tickRules(tickRate);
  }

  /**
   * Input `tick` was sent with `input`; `mover` is the predicted player after it (where the
   * server's step fires from). Predicts a shot when the server would fire one.
   */
  fired(tick: number, input: ArenaInput, mover: Mover | undefined): void {
    if (tick === 0 || !mover?.alive || (input.buttons & Button.Fire) === 0) return;
    if (tick - this.lastFired < this.rules.fireCooldownTicks) return;
    this.lastFired = tick;
    const shot = this.pool.pop() ?? { tick: 0, x: 0, y: 0, vx: 0, vy: 0, ttl: 0, serverId: 0 };
    launch(shot, mover.x, mover.y, input.aim, this.rules);
    shot.tick = tick;
    shot.serverId = 0;
    this.shots.push(shot);
  }

  /**
   * A snapshot: `latest` is its table, `ackSeq` the newest input tick the server has used for
   * this player. Confirms, withdraws and retires predicted shots.
   */
  reconcile(latest: EntityTable, ownId: number, ackSeq: number): void {
    let newest = this.newestServerId;
    for (let r = 0; r < latest.count; r++) {
      if (latest.kinds[r] !== ArenaKind.Projectile || latest.get(r, ProjectileField.Owner) !== ownId) continue;
      const id = latest.ids[r];
      if (id <= this.newestServerId) continue;
      // A new shot of ours: it confirms the oldest predicted one the server has had time to fire.
      for (let i = 0; i < this.shots.length; i++) {
        const shot = this.shots[i];
        if (shot.serverId !== 0 || shot.tick > ackSeq) continue;
        shot.serverId = id;
        this.confirmed++;
        break;
      }
      if (id > newest) newest = id;
    }
    this.newestServerId = newest;
    let keep = 0;
    for (let i = 0; i < this.shots.length; i++) {
      const s = this.shots[i];
      const refused = s.serverId === 0 && s.tick <= ackSeq;
      // A confirmed shot the server no longer has hit something or expired.
      const gone = s.serverId !== 0 && latest.indexOf(s.serverId) < 0;
      const expired = ackSeq >= s.tick - 1 + s.ttl;
      if (refused) this.rejected++;
      if (refused || gone || expired) this.pool.push(s);
      else this.shots[keep++] = s;
    }
    this.shots.length = keep;
  }

  /** Where `shot` is at input-clock time `tick` (fractional), world units, into `out`; false once it has expired. */
  positionAt(shot: PredictedShot, tick: number, out: { x: number; y: number }): boolean {
    const flown = tick - shot.tick + 1;
    if (flown < 0 || flown > shot.ttl) return false;
    out.x = shot.x + shot.vx * flown;
    out.y = shot.y + shot.vy * flown;
    return true;
  }

  /** Forget everything (a resume, a new room). */
  clear(): void {
    for (const s of this.shots) this.pool.push(s);
    this.shots.length = 0;
    this.lastFired = -Infinity;
  }
}
