import type { ByteReader } from '../binary/byte-reader';
import type { ByteWriter } from '../binary/byte-writer';
import type { EntitySchema } from '../replication/entity-schema';
import type { EntityTable } from '../replication/entity-table';

/**
 * A fixed-size binary codec for one game's input. Fixed size keeps INPUT messages trivially
 * bounded and lets the server check a message's length before reading a byte of it.
 */
export interface InputCodec<I> {
  /** Bytes per input on the wire. */
  readonly byteLength: number;
  /** A neutral input (nothing pressed): what a player who sent nothing does. */
  create(): I;
  /**
   * Make `input` neutral in place while keeping what should persist (the arena keeps the aim,
   * so an idle player does not snap to face +x). Optional: without it the server copies `create()`.
   */
  neutralize?(input: I): void;
  write(out: ByteWriter, input: I): void;
  /**
   * Read one input into `out`. The server is the authority, so this clamps or masks impossible
   * values (unknown button bits, out-of-range axes) rather than trusting them.
   */
  read(input: ByteReader, out: I): void;
  copy(from: I, to: I): void;
}

/** The inputs of one tick, by player id. Unknown ids (never joined) get no input. */
export interface TickInputs<I> {
  get(playerId: number): I | undefined;
  /**
   * Lag compensation: how many ticks behind this step's result the player's view of the other
   * entities was when it made this tick's input (fractional, in 1/16 ticks; 0 when unknown),
   * already capped by the room type's `maxRewindMs`. A game resolves the player's shots
   * against where the others were that many ticks ago: what the shooter saw. Optional: a
   * step must treat a missing method as 0.
   */
  rewindTicks?(playerId: number): number;
}

/** Room settings that the game's rules may depend on. */
export interface GameSetup {
  /** Seed for the PRNG inside the state. */
  seed: number;
  /** Simulation rate in Hz: the step is always exactly 1/tickRate seconds. */
  tickRate: number;
}

/**
 * Client-side prediction of the local player. The SDK keeps one `P` per client, resets it from
 * the server's authoritative entity, and replays unacknowledged inputs through `step`, which must
 * be the same code the server's step runs for that player.
 */
export interface Predictor<P, I> {
  create(setup: GameSetup): P;
  /** Copy the authoritative state of `playerId`'s entity (row `row` of `table`) into `out`. */
  reset(table: EntityTable, row: number, out: P): void;
  /** Advance `p` by one tick of `input`. */
  step(p: P, input: I, setup: GameSetup): void;
  copy(from: P, to: P): void;
  /** Whether two predictions agree exactly (used to count mispredictions). */
  equals(a: P, b: P): boolean;
  /**
   * How far apart two predictions are, world units: sizes the corrections the SDK counts
   * (`stats.correctionMax`, `correctionsOverHalfUnit`). Optional; without it a correction has
   * size 1.
   */
  distance?(a: P, b: P): number;
}

/**
 * Turns a game's whole state into bytes and back, for a room that moves to another node (a
 * deploy drains a node: its rooms go on elsewhere). `decode(encode(s))` must be a state the step
 * carries on from exactly as from `s` (same `hash`, same next steps). Runs once per move, off
 * the tick path, so it may allocate.
 */
export interface StateCodec<S> {
  encode(state: S): Uint8Array;
  decode(bytes: Uint8Array): S;
}

/**
 * A game, written once in `shared/` and run unchanged by the server, the browser and the bots.
 *
 * The contract: `step` is pure and deterministic. Given the same state and inputs it produces a
 * bit-identical state everywhere: fixed dt (1/tickRate), integer or quantized values, randomness
 * only from a PRNG kept in the state, no clocks, no Math.random, no iteration over unordered keys.
 *
 * @typeParam S the game state
 * @typeParam I one player's input for one tick
 * @typeParam P the predicted local-player state (see {@link Predictor})
 */
export interface GameDefinition<S, I, P = unknown> {
  /** Stable name, used as the room type by default. */
  readonly name: string;
  /** What each replicated entity looks like on the wire. */
  readonly entitySchema: EntitySchema;
  readonly input: InputCodec<I>;
  createState(setup: GameSetup): S;
  /** A player entered; `playerId` is unique in the room while the player stays. */
  addPlayer(state: S, playerId: number, name: string): void;
  removePlayer(state: S, playerId: number): void;
  /** Advance one fixed tick. */
  step(state: S, inputs: TickInputs<I>): void;
  /** The state's current tick number. */
  tickOf(state: S): number;
  /** Write the replicated view of `state` into `out` (already cleared). */
  writeEntities(state: S, out: EntityTable): void;
  /** A 32-bit hash of the whole state. */
  hash(state: S): number;
  /** Local-player prediction; omit for games that do not predict. */
  readonly predictor?: Predictor<P, I>;
  /**
   * How the state travels when its room moves to another node. Default: msgpackr, which keeps
   * plain data (objects, arrays, numbers, strings, booleans, typed arrays); a state holding
   * class instances, Maps, functions or scratch structures needs its own codec.
   */
  readonly stateCodec?: StateCodec<S>;
  /**
   * False: rooms of this game never move; a drain ends them as before (players matchmake
   * again). Default true. A room type can say the same (`RoomTypeDefinition.movable`).
   */
  readonly movable?: boolean;
}
