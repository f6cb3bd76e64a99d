#!/usr/bin/env node
/**
 * `npm run bench:trim-sharing -- [--clients 200] [--players 1000] [--ticks 100] [--warmup 690]
 * [--ack-loss 0] [--in-order]`: how well budget-trimmed bodies are shared in a room without interest. The
 * room-broadcast tick (every client a walker that acknowledges each snapshot in its next INPUT,
 * the other players walking and firing server-side), except that each client's ack is left out
 * of its INPUT with probability `--ack-loss` (a seeded draw): a lost or late ack. With
 * `--in-order` the clients claim a WebSocket's delivery (RoomClient.inOrder). Prints the
 * median tick (wall clock), the process's CPU time per tick, bytes per snapshot, and bodies
 * encoded and trimmed bodies shared per tick.
 */
import { parseArgs } from 'node:util';
import { ByteReader } from '../../shared/binary/byte-reader';
import { ByteWriter } from '../../shared/binary/byte-writer';
import { arenaInputCodec, type ArenaInput } from '../../shared/games/arena';
import { writeInputHeader } from '../../shared/protocol/input-message';
import { Room } from '../../src/rooms/room';
import { joinCountingClients } from '../lib/bench-room';
import { medianOfSorted } from '../lib/stats';
import { createBroadcastRoom } from '../scenarios/room-broadcast';
import { walkerInput } from '../scenarios/workload';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '200' },
    players: { type: 'string', default: '1000' },
    ticks: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '690' },
    'ack-loss': { type: 'string', default: '0' },
    'in-order': { type: 'boolean', default: false },
  },
});
const clientCount = Number(values.clients);
const players = Math.max(clientCount, Number(values.players));
const ticks = Number(values.ticks);
const ackLoss = Number(values['ack-loss']);

const room = createBroadcastRoom(clientCount, players);
const { clients, slots } = joinCountingClients(room as unknown as Room<unknown, ArenaInput>, clientCount);
// Links that deliver every snapshot in order (WebSockets): lost acks then only delay news.
for (const c of clients) (c as { inOrder?: boolean }).inOrder = values['in-order'];

// A linear congruential draw: the same losses on every run and every commit.
let seed = 12345;
const draw = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
const writer = new ByteWriter(64);
const reader = new ByteReader();
const input: ArenaInput = { buttons: 0, aim: 0 };
function tick(): void {
  const t = room.tick;
  for (const slot of slots) {
    writeInputHeader(writer.reset(), draw() < ackLoss ? 0 : t, t + 1, 1);
    arenaInputCodec.write(writer, walkerInput(slot.id, t, true, input));
    reader.reset(writer.bytes());
    reader.u8();
    room.acceptInputs(slot as never, reader);
  }
  room.step();
}

for (let i = 0; i < Number(values.warmup); i++) tick();
for (const c of clients) c.messages = c.bytes = 0;
const before = { ...room.stats };
const us: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < ticks; i++) {
  const t0 = process.hrtime.bigint();
  tick();
  us.push(Number(process.hrtime.bigint() - t0) / 1000);
}
const cpu = process.cpuUsage(cpu0);
us.sort((a, b) => a - b);
// `?? 0`: a commit before trimmedBodiesShared existed runs this script too (copied in, with
// bench/scenarios/room-broadcast.ts, which builds the room, and bench/lib/stats.ts).
const perTick = (k: 'bodiesEncoded' | 'trimmedBodiesShared' | 'budgetBites') => ((room.stats[k] ?? 0) - (before[k] ?? 0)) / ticks;
const messages = clients.reduce((a, c) => a + c.messages, 0);
const bytes = clients.reduce((a, c) => a + c.bytes, 0);
console.log(
  JSON.stringify({
    clients: clientCount,
    players,
    ackLoss,
    inOrder: values['in-order'],
    medianUsPerTick: Math.round(medianOfSorted(us)),
    // Process CPU time (user + system, every thread) per tick: less swayed by a busy machine.
    cpuUsPerTick: Math.round((cpu.user + cpu.system) / ticks),
    bytesPerSnapshot: Math.round(bytes / messages),
    bodiesEncodedPerTick: perTick('bodiesEncoded'),
    trimmedBodiesSharedPerTick: perTick('trimmedBodiesShared'),
    budgetBitesPerTick: perTick('budgetBites'),
  }),
);
