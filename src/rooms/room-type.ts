import type { GameDefinition } from '../../shared/game/game-definition';
import type { EntitySchema } from '../../shared/replication/entity-schema';
import type { SnapshotCodec } from '../../shared/replication/snapshot-codec';
import type { PlayerSlot, Room } from './room';

/**
 * A room type: a game plus the server-side settings and lifecycle hooks around it. This is the
 * whole API a game developer writes against; adding a game never touches the server core.
 *
 * ```ts
 * const arena = defineRoomType({ name: 'arena', game: arenaGame, maxPlayers: 32 });
 * await new TickwireServer({ roomTypes: [arena] }).listen();
 * ```
 * Unset rates and limits take the server's defaults.
 */
export interface RoomTypeDefinition<S, I, P = unknown> {
  /** What clients put in JOIN.roomType. Default: `game.name`. */
  name?: string;
  game: GameDefinition<S, I, P>;
  /** Players per room, 1-65535. When every room is full, joining makes a new one. */
  maxPlayers?: number;
  /** Simulation rate, Hz (10-128). */
  tickRate?: number;
  /** Snapshot rate, Hz (1..tickRate). */
  sendRate?: number;
  /** Inputs a player may have queued, in ticks (default 4): bounds added latency. */
  inputBufferTicks?: number;
  /**
   * Ticks a missing input repeats the player's last one (default 8, ~0.27 s at 30 Hz); on the
   * next starved tick the input is neutralized (InputCodec.neutralize, else the neutral input):
   * rides out jitter without letting an idle player drift.
   */
  repeatInputTicks?: number;
  /**
   * Record a replay of every room from its creation (default false); read it with
   * `room.stopRecording()`, e.g. in onDispose. Memory grows with input changes while it runs.
   * Recording starts before onCreate, and a replay rebuilds the state from the seed and the
   * recorded joins, leaves and inputs alone: so with replays on, change the game state only
   * through the game's own step and player hooks, never directly from onCreate or onTick.
   */
  recordReplays?: boolean;
  /** The snapshot codec (default: the full codec). The seam where delta codecs plug in. */
  createCodec?: (schema: EntitySchema) => SnapshotCodec;
  /** PRNG seed for a new room (default: random). */
  seed?: () => number;
  /**
   * After the room is made, before anyone joins. Anything it does to `room.state` is not in a
   * replay (see recordReplays).
   */
  onCreate?: (room: Room<S, I, P>) => void;
  /** After a player has been added to the game state. */
  onJoin?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /** After a player has been removed from the game state. */
  onLeave?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /** After every simulation step. Throwing here crashes this room only. */
  onTick?: (room: Room<S, I, P>) => void;
  /** When the room is disposed (emptied, crashed or server shutdown). */
  onDispose?: (room: Room<S, I, P>) => void;
}

/** Identity at run time; gives the compiler the generics. */
export function defineRoomType<S, I, P>(def: RoomTypeDefinition<S, I, P>): RoomTypeDefinition<S, I, P> {
  return def;
}

/** A room type with every default filled in and checked. */
export interface ResolvedRoomType<S = unknown, I = unknown, P = unknown> extends RoomTypeDefinition<S, I, P> {
  name: string;
  maxPlayers: number;
  tickRate: number;
  sendRate: number;
  inputBufferTicks: number;
  repeatInputTicks: number;
}

export interface RoomDefaults {
  maxPlayers: number;
  tickRate: number;
  sendRate: number;
}

/** Fill defaults and validate; a bad setting throws with a sentence that says what to change. */
export function resolveRoomType<S, I, P>(def: RoomTypeDefinition<S, I, P>, defaults: RoomDefaults): ResolvedRoomType<S, I, P> {
  const name = def.name ?? def.game.name;
  const tickRate = def.tickRate ?? defaults.tickRate;
  const sendRate = def.sendRate ?? Math.min(defaults.sendRate, tickRate);
  const maxPlayers = def.maxPlayers ?? defaults.maxPlayers;
  const inputBufferTicks = def.inputBufferTicks ?? 4;
  const repeatInputTicks = def.repeatInputTicks ?? 8;
  const where = `room type "${name}"`;
  if (!Number.isInteger(tickRate) || tickRate < 10 || tickRate > 128) throw new RangeError(`${where}: tickRate must be an integer from 10 to 128 Hz, got ${tickRate}`);
  if (!Number.isInteger(sendRate) || sendRate < 1 || sendRate > tickRate) throw new RangeError(`${where}: sendRate must be an integer from 1 to tickRate (${tickRate}) Hz, got ${sendRate}`);
  if (!Number.isInteger(maxPlayers) || maxPlayers < 1 || maxPlayers > 65535) throw new RangeError(`${where}: maxPlayers must be an integer from 1 to 65535, got ${maxPlayers}`);
  if (!Number.isInteger(inputBufferTicks) || inputBufferTicks < 1 || inputBufferTicks > 64) throw new RangeError(`${where}: inputBufferTicks must be from 1 to 64, got ${inputBufferTicks}`);
  if (!Number.isInteger(repeatInputTicks) || repeatInputTicks < 1) throw new RangeError(`${where}: repeatInputTicks must be an integer ≥ 1, got ${repeatInputTicks}`);
  return { ...def, name, tickRate, sendRate, maxPlayers, inputBufferTicks, repeatInputTicks };
}
