import pino from 'pino';
import { arenaGame, type ArenaInput, type ArenaState } from '../../shared/games/arena';
import type { Mover } from '../../shared/games/arena/arena-movement';
import { ManualScheduler } from '../../src/loop/timers';
import type { Room } from '../../src/rooms/room';
import { defineRoomType, type RoomTypeDefinition } from '../../src/rooms/room-type';
import { NetworkSimulator, type NetworkSimulatorOptions } from '../../src/sdk/network-simulator';
import { ClientState, TickwireClient, type TickwireClientOptions } from '../../src/sdk/tickwire-client';
import { TickwireServer } from '../../src/server/tickwire-server';
import { SimulatedProcess } from './simulated-process';
import type { InterpolatedView } from '../../src/sdk/snapshot-buffer';

type ArenaClient = TickwireClient<ArenaState, ArenaInput, Mover>;

/** One player of a {@link netcodeRig}: its SDK client, its network and what it plays. */
export interface RigPlayer {
  client: ArenaClient;
  net: NetworkSimulator;
  /** Fills the input for each tick the input clock says is due (default: nothing held). */
  play: (input: ArenaInput, client: ArenaClient, player: RigPlayer) => void;
  readonly input: ArenaInput;
  /** The remote entities as last drawn (each frame). */
  readonly view: InterpolatedView;
}

export interface NetcodeRigOptions {
  tickRate?: number;
  sendRate?: number;
  /** Each player's network (seeded from `seed` + its index). */
  net?: NetworkSimulatorOptions;
  seed?: number;
  /** Drawn frames per second per player (default 60). */
  fps?: number;
  roomType?: Partial<RoomTypeDefinition<ArenaState, ArenaInput, Mover>>;
  client?: Partial<TickwireClientOptions<ArenaState, ArenaInput, Mover>>;
}

/**
 * The real server and real SDK clients over in-memory links, each behind its own
 * {@link NetworkSimulator}, all on one ManualScheduler: every timer (the server's own tick
 * driver, on a {@link SimulatedProcess}; each
 * client's input clock, frames, pings, every delayed message) runs in time order inside
 * `run(ms)`, with no sleeping and the same result every time. Minutes of play take a second.
 */
export async function netcodeRig(options: NetcodeRigOptions = {}) {
  const time = new ManualScheduler(0);
  const serverProcess = new SimulatedProcess(time);
  const tickRate = options.tickRate ?? 30;
  const server = new TickwireServer({
    // A fixed room seed: spawn points, and so every run, repeat exactly.
    roomTypes: [
      defineRoomType({
        game: arenaGame,
        tickRate,
        sendRate: options.sendRate ?? tickRate,
        seed: () => options.seed ?? 1,
        ...options.roomType,
      }),
    ],
    clock: time,
    // The server's own tick driver, on a simulated process: see stallServer.
    driveTimers: serverProcess.timers,
    staticDir: null,
    frontDoor: { perIpLimits: false },
    logger: pino({ level: 'silent' }),
  });
  const players: RigPlayer[] = [];
  server.startTicking();

  const frameMs = 1000 / (options.fps ?? 60);
  const drive = (p: RigPlayer) => {
    const now = time.now();
    for (let n = p.client.inputsDue(now, 8); n > 0; n--) {
      p.play(p.input, p.client, p);
      p.client.sendInput(p.input);
    }
    if (p.client.state !== ClientState.Closed) time.setTimeout(() => drive(p), Math.max(0.25, p.client.msUntilNextInput(now)));
  };

  const rig = {
    time,
    server,
    players,
    /** Add a player and join it; resolves once it is in the room. */
    async join(name: string, play: RigPlayer['play'] = () => {}, net: NetworkSimulatorOptions = options.net ?? {}): Promise<RigPlayer> {
      const sim = new NetworkSimulator({ seed: (options.seed ?? 1) + players.length * 7919, ...net, clock: time, timers: time });
      const client: ArenaClient = new TickwireClient({
        url: 'memory:',
        game: arenaGame,
        name,
        connect: sim.wrap(() => server.openMemoryLink({ timers: serverProcess.io, latencyMs: 0.001 }).client),
        clock: time,
        timers: time,
        random: () => 0,
        ...options.client,
      } as TickwireClientOptions<ArenaState, ArenaInput, Mover>);
      const p: RigPlayer = { client, net: sim, play, input: arenaGame.input.create(), view: client.createView() };
      players.push(p);
      const welcome = client.connect();
      let joined = false;
      void welcome.then(() => (joined = true));
      // The JOIN goes out after a microtask: alternate time and microtasks until the WELCOME.
      for (let i = 0; i < 10_000 && !joined; i++) {
        await Promise.resolve();
        time.advance(1);
      }
      await welcome;
      drive(p);
      const frame = () => {
        client.sampleRemote(time.now(), p.view);
        if (client.state !== ClientState.Closed) time.setTimeout(frame, frameMs);
      };
      time.setTimeout(frame, frameMs);
      return p;
    },
    /** Run `ms` of simulated time. */
    run(ms: number): void {
      time.advance(ms);
    },
    /**
     * The server's process does nothing for `ms`: no ticks, and every message to it waits.
     * After it, the server's own tick driver decides what runs first (see SimulatedProcess).
     */
    stallServer(ms: number): void {
      serverProcess.stall(ms);
    },
    /** The only room. */
    get room(): Room<ArenaState, ArenaInput, Mover> {
      return [...server.rooms.rooms.values()][0] as Room<ArenaState, ArenaInput, Mover>;
    },
  };
  return rig;
}
