/**
 * The large-world benchmark's room run for a fixed number of ticks, without Benchmark.js: for
 * instruction counts under `valgrind --tool=callgrind` (repeatable on a busy machine, where
 * wall-clock is not) and for comparing commits (copy this file into the other checkout).
 *
 *   TICKS=40 CLIENTS=1000 RATE=30 [CELL=125] npx tsx bench/large-world-ticks.ts
 *
 * Prints µs per tick, bytes per snapshot and the entities a client holds, on average.
 */
import type { TickInputs } from '../shared/game/game-definition';
import type { ArenaInput } from '../shared/games/arena';
import { Room, type PlayerSlot } from '../src/rooms/room';
import { defineRoomType, resolveRoomType } from '../src/rooms/room-type';
import { joinCountingClients, walkerTick } from './lib/bench-room';
import { createFieldGame, FIELD_SIZE, type FieldState } from './scenarios/large-world';
import { BENCH_TICK_RATE, walkerInput, WARMUP_TICKS } from './scenarios/workload';

const clientCount = Number(process.env.CLIENTS ?? 1000);
const sendRate = Number(process.env.RATE ?? 30);
const ticks = Number(process.env.TICKS ?? 300);
const cellSize = {
  ...(process.env.CELL ? { cellSize: Number(process.env.CELL) } : {}),
  ...(process.env.MARGIN ? { margin: Number(process.env.MARGIN) } : {}),
};
const PLAYERS = 1000;

const game = createFieldGame(2000);
let clientInputs: TickInputs<ArenaInput> = { get: () => undefined };
const npc: ArenaInput = { buttons: 0, aim: 0 };
let stateTick = 0;
const mixed: TickInputs<ArenaInput> = { get: (id) => clientInputs.get(id) ?? walkerInput(id, stateTick, false, npc) };
const type = resolveRoomType(
  defineRoomType({
    game: {
      ...game,
      step(state, inputs) {
        clientInputs = inputs;
        stateTick = state.tick;
        game.step(state, mixed);
      },
    },
    maxPlayers: 65535,
    seed: () => 1,
    replication: { interest: { width: FIELD_SIZE, height: FIELD_SIZE, viewWidth: 1600, viewHeight: 1000, ...cellSize } },
    onCreate: (room) => {
      for (let i = 0; i < PLAYERS - clientCount; i++) game.addPlayer(room.state, 0x8000 + i, `npc${i}`);
    },
  }),
  { maxPlayers: 65535, tickRate: BENCH_TICK_RATE, sendRate, resumeWindowMs: 0 },
);
const room = new Room<FieldState, ArenaInput>('field', type);
const anyRoom = room as unknown as Room<unknown, ArenaInput>;
const { clients, slots } = joinCountingClients(anyRoom, clientCount);
const tick = walkerTick(anyRoom, slots, false);
for (let i = 0; i < WARMUP_TICKS; i++) tick();
for (const c of clients) c.messages = c.bytes = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < ticks; i++) tick();
const us = Number(process.hrtime.bigint() - start) / 1000 / ticks;
let snapshots = 0;
let bytes = 0;
for (const c of clients) {
  snapshots += c.messages;
  bytes += c.bytes;
}
let held = 0;
let records = 0;
for (const slot of slots as PlayerSlot<unknown>[]) {
  const table = room.replicator.heldBy(slot.replica, room.tick);
  if (table) {
    held += table.count;
    records++;
  }
}
const perSnapshot = bytes / snapshots;
console.log(
  `large world ${clientCount} clients ${sendRate} Hz, ${ticks} ticks: ${us.toFixed(0)} µs/tick, ${perSnapshot.toFixed(1)} B/snapshot ` +
    `(${((perSnapshot * sendRate) / 1000).toFixed(2)} KB/s), ${(held / Math.max(1, records)).toFixed(1)} entities held per client`,
);
