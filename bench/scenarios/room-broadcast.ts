import { ByteReader } from '../../shared/binary/byte-reader';
import type { GameDefinition, TickInputs } from '../../shared/game/game-definition';
import { arenaGame, type ArenaInput, type ArenaState, type Mover } from '../../shared/games/arena';
import { MessageType } from '../../shared/protocol/message-types';
import { readDetachedIds, readSnapshotHeader, newSnapshotHeader } from '../../shared/protocol/snapshot-message';
import { EntityTable } from '../../shared/replication/entity-table';
import { quantizeTable } from '../../shared/replication/quantize';
import { Room, type PlayerSlot } from '../../src/rooms/room';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { CountingClient, joinCountingClients, walkerTick } from '../lib/bench-room';
import { compareClientBodies } from '../lib/client-bodies';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { BENCH_TICK_RATE, entityTableOf, tablesEqual, WalkerInputs, WARMUP_TICKS } from './workload';

/**
 * (clients, players) pairs timed. Every client is a player, so a room cannot have fewer players
 * than clients: 50 clients × 10 players is timed as 50 × 50, and 200 × 10 or 200 × 100 as 200 × 200.
 */
const GRID: readonly [clients: number, players: number][] = (() => {
  const pairs: [number, number][] = [];
  for (const clients of [1, 50, 200]) {
    for (const players of [10, 100, 1000]) {
      const p = Math.max(players, clients);
      if (!pairs.some(([c, q]) => c === clients && q === p)) pairs.push([clients, p]);
    }
  }
  return pairs;
})();

/** Ids of the players without a client (server-driven walkers), above every client's id. */
const NPC_ID_BASE = 0x8000;

/**
 * The arena, with the players that have no client walking and firing on the workload's inputs
 * (a real room would have a client per player; what matters here is how many entities move).
 */
function arenaWithNpcs(): GameDefinition<ArenaState, ArenaInput, Mover> {
  const npc = new WalkerInputs(true);
  let clientInputs: TickInputs<ArenaInput> = { get: () => undefined };
  const mixed: TickInputs<ArenaInput> = { get: (id) => clientInputs.get(id) ?? npc.get(id) };
  return {
    ...arenaGame,
    step(state, inputs) {
      clientInputs = inputs;
      npc.tick = state.tick;
      arenaGame.step(state, mixed);
    },
  };
}

/**
 * The room-broadcast room: the arena at the bench tick rate, a snapshot every tick (send rate =
 * tick rate), `players` players of which `clientCount` places are left for clients to join
 * (joinCountingClients), the others walking and firing server-side from NPC_ID_BASE. The scenario
 * and bench/replication/trim-sharing.ts both tick this room.
 */
export function createBroadcastRoom(clientCount: number, players: number): Room<ArenaState, ArenaInput, Mover> {
  const type = resolveRoomType(
    defineRoomType({
      game: arenaWithNpcs(),
      maxPlayers: 65535,
      tickRate: BENCH_TICK_RATE,
      sendRate: BENCH_TICK_RATE,
      seed: () => 1,
      onCreate: (room) => {
        for (let i = 0; i < players - clientCount; i++) arenaGame.addPlayer(room.state, NPC_ID_BASE + i, `npc${i}`);
      },
    }),
    { maxPlayers: 65535, tickRate: BENCH_TICK_RATE, sendRate: BENCH_TICK_RATE, resumeWindowMs: 0 },
  );
  return new Room<ArenaState, ArenaInput, Mover>('bench', type);
}

/**
 * The whole server tick of one room, as src/rooms/room.ts runs it: accept one INPUT message per
 * client (decode into its queue, its ack of the previous snapshot validated), take one input per
 * player, step the arena, write and quantize the entities into the history, encode one delta
 * body per distinct baseline, and give each client its own header + body in a fresh buffer.
 * Clients are fake (they count bytes and acknowledge every snapshot, as a client on a fast link
 * does), the loop shell and the sockets are left out, and the send rate equals the tick rate
 * (30 Hz), so every op is one tick with one snapshot.
 */
export const roomBroadcastScenario: Scenario = {
  name: 'room-broadcast',
  run(ctx) {
    const rows: BenchRow[] = [];
    for (const [clientCount, players] of GRID) {
      const room = createBroadcastRoom(clientCount, players);
      const { clients, slots } = joinCountingClients(room as unknown as Room<unknown, ArenaInput>, clientCount);
      // Each client sends one INPUT per tick, encoded as the SDK does; the room decodes it.
      const tick = walkerTick(room as unknown as Room<unknown, ArenaInput>, slots, true);
      for (let i = 0; i < WARMUP_TICKS; i++) tick();
      checkRoundTrip(room, clients, slots, tick);

      for (const c of clients) c.messages = c.bytes = 0;
      const m = measure(`room ${clientCount}x${players}`, tick, ctx.settings);
      const c0 = clients[0];
      const frameBytes = c0.bytes / c0.messages;
      // Entities replicated in steady state: players plus the mean live projectiles over 1 s.
      let projectiles = 0;
      for (let i = 0; i < BENCH_TICK_RATE; i++) {
        tick();
        projectiles += room.state.projectiles.length;
      }
      const entities = Math.round(players + projectiles / BENCH_TICK_RATE);
      rows.push(
        row(m, {
          scenario: 'room tick (step+replicate+send)',
          players,
          entities,
          clients: clientCount,
          bytesPerSnapshot: Math.round(frameBytes),
          bytesPerEntity: frameBytes / entities,
        }),
      );
      ctx.log(`room ${clientCount} clients × ${players} players: ${m.usPerOp.toFixed(1)} µs/tick, ${Math.round(frameBytes)} B/snapshot`);
      // The issue's reference room: the same clients' bodies with msgpackr and JSON.
      if (clientCount === 200 && players === 200)
        rows.push(
          ...compareClientBodies(
            room as unknown as Room,
            slots as PlayerSlot<unknown>[],
            'room 200×200',
            { players, entities, clients: clientCount },
            ctx,
          ),
        );
    }
    return rows;
  },
};

/**
 * Run one tick with the first client capturing its SNAPSHOT; decode it with the client's codec and
 * compare with the room's entities; check every client got exactly one message that tick.
 */
function checkRoundTrip(
  room: Room<ArenaState, ArenaInput, Mover>,
  clients: CountingClient[],
  slots: PlayerSlot<ArenaInput>[],
  tick: () => void,
): void {
  const before = clients.map((c) => c.messages);
  clients[0].capture = true;
  tick();
  const frame = clients[0].captured;
  if (!frame) throw new Error('room round trip: client 1 got no snapshot');
  clients.forEach((c, i) => {
    if (c.messages !== before[i] + 1)
      throw new Error(`room round trip: client ${i + 1} got ${c.messages - before[i]} snapshots in one tick`);
  });
  const reader = new ByteReader(frame);
  if (reader.u8() !== MessageType.Snapshot) throw new Error('room round trip: not a SNAPSHOT');
  const header = readSnapshotHeader(reader, newSnapshotHeader());
  if (header.tick !== room.state.tick) throw new Error(`room round trip: header tick ${header.tick} ≠ room tick ${room.state.tick}`);
  if (header.ackSeq !== slots[0].lastProcessedSeq) throw new Error('room round trip: ackSeq is not the last processed input');
  if (readDetachedIds(reader, []).length !== 0) throw new Error('room round trip: a player is listed as detached');
  const decoded = new EntityTable(arenaGame.entitySchema);
  const baseline = header.baselineTick === 0 ? null : room.replicator.heldBy(slots[0].replica, header.baselineTick);
  if (header.baselineTick !== 0 && !baseline) throw new Error('room round trip: the baseline is not on record');
  room.replicator.codec.decode(reader, baseline, decoded, header.tick);
  const expected = entityTableOf(room.state);
  quantizeTable(room.replicator.codec.schema, expected);
  if (!tablesEqual(decoded, expected)) throw new Error('room round trip: decoded entities differ from the room state');
}
