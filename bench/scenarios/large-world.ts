import type { GameDefinition, TickInputs } from '../../shared/game/game-definition';
import { arenaInputCodec, Button, type ArenaInput } from '../../shared/games/arena';
import { nextInt, type RngState } from '../../shared/math/prng';
import { FNV_OFFSET, hashInt } from '../../shared/math/state-hash';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import type { InterestOptions } from '../../src/replication/interest';
import { Room, type PlayerSlot } from '../../src/rooms/room';
import { defineRoomType, resolveRoomType } from '../../src/rooms/room-type';
import { joinCountingClients, walkerTick } from '../lib/bench-room';
import { compareClientBodies } from '../lib/client-bodies';
import { measure, row, type BenchRow, type Scenario } from '../lib/harness';
import { BENCH_TICK_RATE, walkerInput, WARMUP_TICKS } from './workload';

/** World edge, units. */
export const FIELD_SIZE = 8000;
/** A client's view: a screen's worth of the world, units. */
const VIEW_W = 1600;
const VIEW_H = 1000;
/** Player speed, units per tick (240 units/s at 30 Hz). */
const PLAYER_STEP = 8;
/** Drone ids start here, above every player id. */
const DRONE_ID_BASE = 0x10000;
/** Players without a client (server-driven walkers) take ids from here. */
const NPC_ID_BASE = 0x8000;

export const FieldKind = { Player: 0, Drone: 1 } as const;

const fieldSchema: EntitySchema = {
  kinds: [
    {
      name: 'player',
      fields: [
        { name: 'x', min: 0, max: FIELD_SIZE, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: FIELD_SIZE, lerp: 'linear', role: 'y' },
        { name: 'aim', min: 0, max: 0xffff, bits: 8, lerp: 'angle16' },
      ],
    },
    {
      name: 'drone',
      fields: [
        { name: 'x', min: 0, max: FIELD_SIZE, lerp: 'linear', role: 'x' },
        { name: 'y', min: 0, max: FIELD_SIZE, lerp: 'linear', role: 'y' },
      ],
    },
  ],
};

/** A big open world: players (sorted by id) and drones bouncing off the edges. */
export interface FieldState extends RngState {
  tick: number;
  playerIds: number[];
  px: number[];
  py: number[];
  aim: number[];
  dx: Int32Array;
  dy: Int32Array;
  dvx: Int32Array;
  dvy: Int32Array;
}

const clamp = (v: number) => (v < 0 ? 0 : v > FIELD_SIZE ? FIELD_SIZE : v);

/** The benchmark's large-world game: `drones` moving entities besides the players. */
export function createFieldGame(drones: number): GameDefinition<FieldState, ArenaInput> {
  return {
    name: 'field',
    entitySchema: fieldSchema,
    input: arenaInputCodec,
    createState(setup) {
      const s: FieldState = {
        tick: 0,
        rng: setup.seed | 0,
        playerIds: [],
        px: [],
        py: [],
        aim: [],
        dx: new Int32Array(drones),
        dy: new Int32Array(drones),
        dvx: new Int32Array(drones),
        dvy: new Int32Array(drones),
      };
      for (let i = 0; i < drones; i++) {
        s.dx[i] = nextInt(s, FIELD_SIZE);
        s.dy[i] = nextInt(s, FIELD_SIZE);
        s.dvx[i] = nextInt(s, 25) - 12;
        s.dvy[i] = nextInt(s, 25) - 12;
      }
      return s;
    },
    addPlayer(s, id) {
      let i = s.playerIds.length;
      while (i > 0 && s.playerIds[i - 1] > id) i--;
      s.playerIds.splice(i, 0, id);
      s.px.splice(i, 0, nextInt(s, FIELD_SIZE));
      s.py.splice(i, 0, nextInt(s, FIELD_SIZE));
      s.aim.splice(i, 0, 0);
    },
    removePlayer(s, id) {
      const i = s.playerIds.indexOf(id);
      if (i < 0) return;
      for (const a of [s.playerIds, s.px, s.py, s.aim]) a.splice(i, 1);
    },
    step(s, inputs) {
      for (let i = 0; i < s.playerIds.length; i++) {
        const input = inputs.get(s.playerIds[i]);
        if (!input) continue;
        const b = input.buttons;
        s.px[i] = clamp(s.px[i] + ((b & Button.Right) !== 0 ? PLAYER_STEP : 0) - ((b & Button.Left) !== 0 ? PLAYER_STEP : 0));
        s.py[i] = clamp(s.py[i] + ((b & Button.Down) !== 0 ? PLAYER_STEP : 0) - ((b & Button.Up) !== 0 ? PLAYER_STEP : 0));
        s.aim[i] = input.aim;
      }
      for (let i = 0; i < s.dx.length; i++) {
        const x = s.dx[i] + s.dvx[i];
        const y = s.dy[i] + s.dvy[i];
        if (x < 0 || x > FIELD_SIZE) s.dvx[i] = -s.dvx[i];
        if (y < 0 || y > FIELD_SIZE) s.dvy[i] = -s.dvy[i];
        s.dx[i] = clamp(x);
        s.dy[i] = clamp(y);
      }
      s.tick++;
    },
    tickOf: (s) => s.tick,
    writeEntities(s, out) {
      for (let i = 0; i < s.playerIds.length; i++) {
        const r = out.push(s.playerIds[i], FieldKind.Player);
        out.set(r, 0, s.px[i]);
        out.set(r, 1, s.py[i]);
        out.set(r, 2, s.aim[i]);
      }
      for (let i = 0; i < s.dx.length; i++) {
        const r = out.push(DRONE_ID_BASE + i, FieldKind.Drone);
        out.set(r, 0, s.dx[i]);
        out.set(r, 1, s.dy[i]);
      }
    },
    hash(s) {
      let h = hashInt(FNV_OFFSET, s.tick);
      for (let i = 0; i < s.playerIds.length; i++) h = hashInt(hashInt(hashInt(h, s.playerIds[i]), s.px[i]), s.py[i]);
      for (let i = 0; i < s.dx.length; i++) h = hashInt(hashInt(h, s.dx[i]), s.dy[i]);
      return h;
    },
  };
}

/** Players in the room, with a client or not. */
const PLAYERS = 1000;
/** Drones besides the players. */
const DRONES = 2000;

/** Interest grid tuning for the large-world room, units (defaults: InterestOptions'). */
export type LargeWorldGrid = Pick<InterestOptions, 'cellSize' | 'margin'>;

/**
 * The large-world room: PLAYERS players and DRONES drones on the field, interest on (a
 * VIEW_W × VIEW_H view), `clientCount` places left for clients (joinCountingClients) and the
 * other players walking server-side on the workload's inputs. The scenario and
 * bench/replication/large-world-ticks.ts both tick this room.
 */
export function createLargeWorldRoom(clientCount: number, sendRate: number, grid: LargeWorldGrid = {}): Room<FieldState, ArenaInput> {
  const game = createFieldGame(DRONES);
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
      replication: { interest: { width: FIELD_SIZE, height: FIELD_SIZE, viewWidth: VIEW_W, viewHeight: VIEW_H, ...grid } },
      onCreate: (room) => {
        for (let i = 0; i < PLAYERS - clientCount; i++) game.addPlayer(room.state, NPC_ID_BASE + i, `npc${i}`);
      },
    }),
    { maxPlayers: 65535, tickRate: BENCH_TICK_RATE, sendRate, resumeWindowMs: 0 },
  );
  return new Room<FieldState, ArenaInput>('field', type);
}

/** (clients, send rate Hz): every client every tick, and the big room's 10 Hz staggered over 3 ticks. */
const CASES: readonly [number, number][] = [
  [200, 30],
  [1000, 30],
  [1000, 10],
];

/**
 * The large world: 1,000 players and 2,000 drones moving over 8,000 × 8,000 units, interest on
 * (a 1,600 × 1,000 view per client), 200 or 1,000 of the players with a client (the rest walk
 * server-side), every client sending one INPUT a tick that acknowledges the previous snapshot.
 * One op is one whole tick at 30 Hz: inputs decoded, the step, the grid, and a delta for every
 * client due a snapshot, against its own baseline: every client every tick at a 30 Hz send
 * rate; a third of them each tick at 10 Hz (staggered sends).
 */
export const largeWorldScenario: Scenario = {
  name: 'large-world',
  run(ctx) {
    const rows: BenchRow[] = [];
    for (const [clientCount, sendRate] of CASES) {
      const room = createLargeWorldRoom(clientCount, sendRate);
      const { clients, slots } = joinCountingClients(room as unknown as Room<unknown, ArenaInput>, clientCount);
      const tick = walkerTick(room as unknown as Room<unknown, ArenaInput>, slots, false);
      for (let i = 0; i < WARMUP_TICKS; i++) tick();
      for (const c of clients) c.messages = c.bytes = 0;
      const before = { ...room.stats };
      const m = measure(`large world ${clientCount} clients ${sendRate} Hz`, tick, ctx.settings);
      let snaps = 0;
      let bytes = 0;
      for (const c of clients) {
        snaps += c.messages;
        bytes += c.bytes;
      }
      const perSnapshot = bytes / snaps;
      const bites = room.stats.budgetBites - before.budgetBites;
      const sent = room.stats.snapshotsSent - before.snapshotsSent;
      rows.push(
        row(m, {
          scenario: `large world tick, ${sendRate} Hz sends${sendRate < BENCH_TICK_RATE ? ' staggered' : ''}`,
          players: PLAYERS,
          entities: PLAYERS + DRONES,
          clients: clientCount,
          bytesPerSnapshot: Math.round(perSnapshot),
          bytesPerEntity: null,
          note: `${((perSnapshot * sendRate) / 1000).toFixed(2)} KB/s per client; budget bit ${((bites / Math.max(1, sent)) * 100).toFixed(1)} % of snapshots`,
        }),
      );
      rows.push(
        ...compareClientBodies(
          room as unknown as Room,
          slots as PlayerSlot<unknown>[],
          `large world ${clientCount}@${sendRate}Hz`,
          { players: PLAYERS, entities: PLAYERS + DRONES, clients: clientCount },
          ctx,
        ),
      );
      ctx.log(
        `large world ${clientCount} clients, ${sendRate} Hz: ${m.usPerOp.toFixed(0)} µs/tick, ${Math.round(perSnapshot)} B/snapshot = ${((perSnapshot * sendRate) / 1000).toFixed(2)} KB/s per client`,
      );
    }
    return rows;
  },
};
