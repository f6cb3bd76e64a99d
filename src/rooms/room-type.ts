import type { GameDefinition } from '../../shared/game/game-definition';
import type { ReplicationOptions } from '../replication/replicator';
import type { PlayerIdentity, PlayerSlot, Room } from './room';

/** What a player asked for, as the onAuth hook sees it. */
export interface JoinRequest {
  roomType: string;
  name: string;
}

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
  /**
   * How far ahead of the room a client may stamp an input, ticks (default a second's worth,
   * rounded up to a power of two: 32 at 30 Hz). Clients stamp inputs for the tick they are
   * meant for, a little ahead; one stamped further is dropped (`inputsTooEarly`).
   */
  inputBufferTicks?: number;
  /**
   * Lag compensation's cap, ms (default 200): a player's shots are resolved against what it
   * saw (TickInputs.rewindTicks), but never further back than this, so a high-ping player
   * cannot hit others where they were long ago.
   */
  maxRewindMs?: number;
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
  /**
   * Replication: interest management (off by default: everyone sees everything), the
   * per-client bandwidth budget (64 KiB/s) and the baseline history (1000 ms). See the README's
   * "Replication" section.
   */
  replication?: ReplicationOptions;
  /** GLOBALS rate, Hz (default 2): how often `everyone` fields (scores) reach every client. */
  globalsRate?: number;
  /**
   * With interest management, where a player's view is centred before each snapshot: write the
   * point into `out` and return true, or return false to centre it on the player's own entity
   * (the entity whose id is the player id; the default). For spectators without an entity, or
   * games whose player entity has another id. Write into `out`: it is reused, nothing allocates.
   */
  viewCenter?: (room: Room<S, I, P>, player: PlayerSlot<I>, out: { x: number; y: number }) => boolean;
  /**
   * How long a player whose link dropped keeps its seat, entity and score, ms (default: the
   * server's `resumeWindowMs`, 20000). 0 turns resume off: a drop leaves at once.
   */
  resumeWindowMs?: number;
  /**
   * False: rooms of this type never move to another node when this one drains; they end as
   * before and their players matchmake again. Default: the game's `movable`, else true. A moved
   * room needs the game's state to travel (GameDefinition.stateCodec).
   */
  movable?: boolean;
  /**
   * A room that moved here from a draining node, before its players come back: instead of
   * onCreate (which made the room on the first node). The state, seats and scores are already
   * in place; re-take what onDispose would release (e.g. bus subscriptions).
   */
  onMovedIn?: (room: Room<S, I, P>) => void;
  /**
   * The room has been handed to another node and is forgotten here; onDispose does not run
   * (the room has not ended: it ends, and runs onDispose, on the node where it finally closes).
   */
  onMovedOut?: (room: Room<S, I, P>) => void;
  /** PRNG seed for a new room (default: random). */
  seed?: () => number;
  /**
   * After the room is made, before anyone joins. Anything it does to `room.state` is not in a
   * replay (see recordReplays).
   */
  onCreate?: (room: Room<S, I, P>) => void;
  /** After a player has been added to the game state. */
  onJoin?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /**
   * Just before a player is removed from the game state (its entity and score still there): the
   * place to save what it earned, e.g. `ProfileStore.recordMatch`. Not called when the whole
   * room is disposed: onDispose sees everyone then.
   */
  onLeaving?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /**
   * After a player has been removed from the game state: a deliberate leave, a kick, or a
   * dropped link whose resume window ran out.
   */
  onLeave?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /**
   * A player's link dropped (`code`: 1006 for a lost connection, 4005 for a heartbeat timeout,
   * 1001 for a closed tab...). The seat is held for `resumeWindowMs`; onResume or onLeave follows.
   */
  onDrop?: (room: Room<S, I, P>, player: PlayerSlot<I>, code: number) => void;
  /** A dropped player came back on a new link (or an identity took its seat over from another tab). */
  onResume?: (room: Room<S, I, P>, player: PlayerSlot<I>) => void;
  /**
   * Each tick a detached player has no input for (its buffered ones played out), write its input into `input` (default:
   * the neutral input, so the player stands still). A game may keep it walking, or play it.
   */
  onDetachedInput?: (room: Room<S, I, P>, player: PlayerSlot<I>, input: I) => void;
  /**
   * With authentication on, decide whether a proven identity may join this room type: return
   * false (or a sentence saying why) to refuse it with 4011 Forbidden. May be async. Runs
   * before every join and resume; guests (authentication off) skip it. Not on a TOKEN_REFRESH:
   * that only proves the seated identity again (the same `sub`), it takes no seat.
   */
  onAuth?: (identity: PlayerIdentity, request: JoinRequest) => boolean | string | Promise<boolean | string>;
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
  resumeWindowMs: number;
}

export interface RoomDefaults {
  maxPlayers: number;
  tickRate: number;
  sendRate: number;
  /** Seat hold after a drop, ms. */
  resumeWindowMs: number;
}

/** Fill defaults and validate; a bad setting throws with a sentence that says what to change. */
export function resolveRoomType<S, I, P>(def: RoomTypeDefinition<S, I, P>, defaults: RoomDefaults): ResolvedRoomType<S, I, P> {
  const name = def.name ?? def.game.name;
  const tickRate = def.tickRate ?? defaults.tickRate;
  const sendRate = def.sendRate ?? Math.min(defaults.sendRate, tickRate);
  const maxPlayers = def.maxPlayers ?? defaults.maxPlayers;
  const inputBufferTicks = def.inputBufferTicks ?? tickRate;
  const repeatInputTicks = def.repeatInputTicks ?? 8;
  const resumeWindowMs = def.resumeWindowMs ?? defaults.resumeWindowMs;
  const where = `room type "${name}"`;
  if (!Number.isInteger(tickRate) || tickRate < 10 || tickRate > 128)
    throw new RangeError(`${where}: tickRate must be an integer from 10 to 128 Hz, got ${tickRate}`);
  if (!Number.isInteger(sendRate) || sendRate < 1 || sendRate > tickRate)
    throw new RangeError(`${where}: sendRate must be an integer from 1 to tickRate (${tickRate}) Hz, got ${sendRate}`);
  if (!Number.isInteger(maxPlayers) || maxPlayers < 1 || maxPlayers > 65535)
    throw new RangeError(`${where}: maxPlayers must be an integer from 1 to 65535, got ${maxPlayers}`);
  if (!Number.isInteger(inputBufferTicks) || inputBufferTicks < 4 || inputBufferTicks > 1024)
    throw new RangeError(`${where}: inputBufferTicks must be from 4 to 1024, got ${inputBufferTicks}`);
  if (def.maxRewindMs !== undefined && !(def.maxRewindMs >= 0 && def.maxRewindMs <= 1000))
    throw new RangeError(`${where}: maxRewindMs must be from 0 to 1000 ms, got ${def.maxRewindMs}`);
  if (!Number.isInteger(repeatInputTicks) || repeatInputTicks < 1)
    throw new RangeError(`${where}: repeatInputTicks must be an integer ≥ 1, got ${repeatInputTicks}`);
  if (!Number.isFinite(resumeWindowMs) || resumeWindowMs < 0 || resumeWindowMs > 3_600_000)
    throw new RangeError(`${where}: resumeWindowMs must be from 0 to 3600000 ms, got ${resumeWindowMs}`);
  return { ...def, name, tickRate, sendRate, maxPlayers, inputBufferTicks, repeatInputTicks, resumeWindowMs };
}
