import { ReplayRecorder, type ReplayLog } from '../../shared/game/replay';
import { arenaGame, Button, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import { radiansToAngle16 } from '../../shared/math/fixed-trig';
import { nextInt, type RngState } from '../../shared/math/prng';

/** How {@link recordArenaSession} plays. */
export interface ArenaSessionOptions {
  /** Seed of the room's PRNG and of the players' input generator. */
  seed: number;
  /** Ticks to simulate (default 300, 10 s at 30 Hz). */
  ticks?: number;
  tickRate?: number;
  /** Players, ids 1..n (default 3). */
  players?: number;
}

/**
 * Play an arena session in Node with seeded pseudo-random players and record it as a replay log.
 *
 * Each player holds a random direction for a random 5-20 ticks, aims at the next player (with
 * jitter) and fires about half the time, so shots hit, players die and respawn, and the PRNG
 * inside the state is exercised. A fourth player joins at a third of the session and the first
 * leaves at two thirds, so the log also covers joins and leaves mid-game. The inputs are made
 * here (Math.atan2 is fine: only their encoded bytes reach the step).
 *
 * @returns the log and the final state (for assertions that the session was eventful)
 */
export function recordArenaSession(options: ArenaSessionOptions): { log: ReplayLog; state: ArenaState } {
  const tickRate = options.tickRate ?? 30;
  const ticks = options.ticks ?? 300;
  const count = options.players ?? 3;
  const rng: RngState = { rng: options.seed ^ 0x5bd1e995 };
  const state = arenaGame.createState({ seed: options.seed, tickRate });
  const recorder = new ReplayRecorder(arenaGame, options.seed, tickRate);
  const inputs = new Map<number, ArenaInput>();
  const holdFor = new Map<number, number>();

  const join = (id: number) => {
    recorder.join(state.tick, id, `bot-${id}`);
    arenaGame.addPlayer(state, id, `bot-${id}`);
    inputs.set(id, arenaGame.input.create());
    holdFor.set(id, 0);
  };
  const leave = (id: number) => {
    recorder.leave(state.tick, id);
    arenaGame.removePlayer(state, id);
    inputs.delete(id);
  };

  for (let id = 1; id <= count; id++) join(id);
  for (let t = 0; t < ticks; t++) {
    if (t === Math.floor(ticks / 3)) join(count + 1);
    if (t === Math.floor((2 * ticks) / 3)) leave(1);
    const players = state.players;
    for (let i = 0; i < players.length; i++) {
      const p = players[i];
      const target = players[(i + 1) % players.length];
      const input = inputs.get(p.id)!;
      const hold = holdFor.get(p.id)! - 1;
      if (hold <= 0) {
        input.buttons = nextInt(rng, 16); // any mix of Up/Down/Left/Right
        holdFor.set(p.id, 5 + nextInt(rng, 16));
      } else holdFor.set(p.id, hold);
      input.buttons = (input.buttons & ~Button.Fire) | (nextInt(rng, 2) === 1 ? Button.Fire : 0);
      const jitter = (nextInt(rng, 1001) - 500) / 5000; // ±0.1 rad
      input.aim = radiansToAngle16(Math.atan2(target.y - p.y, target.x - p.x) + jitter);
      recorder.input(state.tick, p.id, input);
    }
    arenaGame.step(state, { get: (id) => inputs.get(id) });
  }
  return { log: recorder.finish(state), state };
}
