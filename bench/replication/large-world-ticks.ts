/**
 * The large-world benchmark's room run for a fixed number of ticks, without Benchmark.js: for
 * instruction counts under `valgrind --tool=callgrind` (repeatable on a busy machine, where
 * wall-clock is not) and for comparing commits (copy this file and bench/scenarios/large-world.ts, which builds the
 * room, into the other checkout).
 *
 *   TICKS=40 CLIENTS=1000 RATE=30 [CELL=125] npx tsx bench/replication/large-world-ticks.ts
 *
 * Prints µs per tick, bytes per snapshot and the entities a client holds, on average.
 */
import type { ArenaInput } from '../../shared/games/arena';
import { Room, type PlayerSlot } from '../../src/rooms/room';
import { joinCountingClients, walkerTick } from '../lib/bench-room';
import { createLargeWorldRoom } from '../scenarios/large-world';
import { WARMUP_TICKS } from '../scenarios/workload';

const clientCount = Number(process.env.CLIENTS ?? 1000);
const sendRate = Number(process.env.RATE ?? 30);
const ticks = Number(process.env.TICKS ?? 300);
const grid = {
  ...(process.env.CELL ? { cellSize: Number(process.env.CELL) } : {}),
  ...(process.env.MARGIN ? { margin: Number(process.env.MARGIN) } : {}),
};
const room = createLargeWorldRoom(clientCount, sendRate, grid);
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
