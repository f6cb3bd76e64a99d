import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { BENCH_TICK_RATE, stepOnce, warmArena } from './workload';

/** Player counts timed. */
const PLAYERS = [10, 100, 1000] as const;

/**
 * The arena's simulation step alone: N players that walk and hold Fire (so projectiles fly, hit
 * and respawn players), state warmed up for 3 s first. One op = one tick, including the walker
 * inputs (a few integer ops per player). No replication: see room-broadcast for the whole tick.
 */
export const stepScenario: Scenario = {
  name: 'step',
  run(ctx) {
    const rows: BenchRow[] = [];
    for (const players of PLAYERS) {
      const { state, inputs } = warmArena(players, true);
      const m = measure(`arena step ${players}`, () => stepOnce(state, inputs), ctx.settings);
      // Entities replicated in steady state: players plus the mean live projectiles over 1 s.
      let projectiles = 0;
      for (let i = 0; i < BENCH_TICK_RATE; i++) {
        stepOnce(state, inputs);
        projectiles += state.projectiles.length;
      }
      const entities = Math.round(players + projectiles / BENCH_TICK_RATE);
      rows.push(
        row(m, { scenario: 'arena step (walk+fire)', players, entities, clients: null, bytesPerSnapshot: null, bytesPerEntity: null }),
      );
      ctx.log(`step ${players} players: ${m.usPerOp.toFixed(1)} µs/tick`);
    }
    return rows;
  },
};
