import type { TickInputs } from '../../shared/game/game-definition';
import { arenaGame, Button, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import { EntityTable } from '../../shared/replication/entity-table';
import { DIR_AIM, DIR_BUTTONS } from '../lib/directions';

/** Simulation rate of every benchmark state, Hz (the server default). */
export const BENCH_TICK_RATE = 30;
/** Ticks run before timing, so positions, deaths and the projectile pool are in steady state: 3 s. */
export const WARMUP_TICKS = 90;

/** A small integer hash (one round of a multiply-xorshift), for repeatable per-player patterns. */
function hash(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The benchmark players' input at `tick`: walk in one of 8 directions, re-picked every 1-2 s
 * (30-60 ticks) from a hash of the player id and the time, aim where walking, and hold Fire if
 * `fire`. Deterministic, so every run times the same game. Writes into `out` and returns it.
 */
export function walkerInput(playerId: number, tick: number, fire: boolean, out: ArenaInput): ArenaInput {
  const hold = 30 + (hash(playerId) % 31);
  const epoch = ((tick + playerId * 7) / hold) | 0;
  const dir = hash(playerId * 0x9e37 + epoch) & 7;
  out.buttons = DIR_BUTTONS[dir] | (fire ? Button.Fire : 0);
  out.aim = DIR_AIM[dir];
  return out;
}

/**
 * Inputs for every player of a benchmark state, computed on demand. One scratch object serves
 * every player: the arena step reads a player's input at once and keeps no reference, so the
 * workload itself allocates nothing per tick.
 */
export class WalkerInputs implements TickInputs<ArenaInput> {
  /** Set to the state's tick before each step. */
  tick = 0;
  private readonly scratch: ArenaInput = { buttons: 0, aim: 0 };
  constructor(readonly fire: boolean) {}
  get(playerId: number): ArenaInput {
    return walkerInput(playerId, this.tick, this.fire, this.scratch);
  }
}

/** An arena with `players` players (ids 1..players), stepped {@link WARMUP_TICKS} times. */
export function warmArena(players: number, fire: boolean): { state: ArenaState; inputs: WalkerInputs } {
  const state = arenaGame.createState({ seed: 1, tickRate: BENCH_TICK_RATE });
  for (let id = 1; id <= players; id++) arenaGame.addPlayer(state, id, `p${id}`);
  const inputs = new WalkerInputs(fire);
  for (let i = 0; i < WARMUP_TICKS; i++) stepOnce(state, inputs);
  return { state, inputs };
}

/** One arena step with the walker inputs. */
export function stepOnce(state: ArenaState, inputs: WalkerInputs): void {
  inputs.tick = state.tick;
  arenaGame.step(state, inputs);
}

/** The replicated entities of `state`, as the server writes them before encoding. */
export function entityTableOf(state: ArenaState): EntityTable {
  const table = new EntityTable(arenaGame.entitySchema);
  arenaGame.writeEntities(state, table);
  return table;
}

/** Whether two entity tables hold the same rows (ids, kinds and every field). */
export function tablesEqual(a: EntityTable, b: EntityTable): boolean {
  if (a.count !== b.count || a.stride !== b.stride) return false;
  for (let r = 0; r < a.count; r++) {
    if (a.ids[r] !== b.ids[r] || a.kinds[r] !== b.kinds[r]) return false;
    for (let f = 0; f < a.stride; f++) if (a.get(r, f) !== b.get(r, f)) return false;
  }
  return true;
}
